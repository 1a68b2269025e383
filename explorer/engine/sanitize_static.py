"""The sanitizer's static pass: read node code for the usual sources of nondeterminism.

Flags (as warnings: a flagged line may well be harmless, e.g. ``time`` used only in a
log message, and the dynamic sanitizer is the judge):

- imports of ``time``, ``random``, ``uuid``, ``secrets``, ``threading`` and ``datetime``,
  and any use of ``os.urandom`` (clocks, random sources, threads);
- calls of the builtin ``hash()`` (of a str or bytes it changes with PYTHONHASHSEED);
- iteration over a set or frozenset (``for``, comprehensions, ``list()``, ``tuple()``,
  ``iter()``, ``enumerate()``, ``zip()``, ``str.join``): the order of a set of strs
  changes with PYTHONHASHSEED. What counts as a set: a set display or comprehension, a
  ``set()``/``frozenset()`` call, a set operation on one of those, a name assigned one
  of those, and a name or attribute annotated (in the same module) as ``set``/``frozenset``/``Set``/
  ``FrozenSet``/``AbstractSet``. Order-free uses (``sorted``, ``len``, ``in``, ``min``,
  ``max``, ``sum``, ``any``, ``all``) are not flagged.

Which files to read is the caller's choice (:func:`model_sources` gives the modules of
the model's class and of the objects it holds, leaving out the standard library,
installed packages and Synod's own engine and actor adapter).
"""

from __future__ import annotations

import ast
import inspect
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NONDETERMINISTIC_MODULES = {
    "time": "a clock",
    "random": "a random source",
    "uuid": "random identifiers",
    "secrets": "a random source",
    "threading": "threads (scheduling order)",
    "datetime": "a clock",
}
_SET_ANNOTATIONS = {"set", "frozenset", "Set", "FrozenSet", "AbstractSet", "MutableSet"}
_ORDERED_CONSUMERS = {"list", "tuple", "iter", "enumerate", "zip", "next", "reversed"}
# modules whose code is Synod's own machinery, not the user's nodes
_TRUSTED_PREFIXES = ("explorer.engine", "explorer.actors")


@dataclass(frozen=True)
class StaticWarning:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _annotation_names(node: ast.expr | None) -> set[str]:
    names: set[str] = set()
    if node is None:
        return names
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            names.update(part.strip("[]., ") for part in sub.value.replace("[", " ").split())
    return names


def _set_typed_names(tree: ast.Module) -> set[str]:
    """Names (variables, parameters, fields) annotated as a set type anywhere in the module."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            target = node.target
            name = target.id if isinstance(target, ast.Name) else (
                target.attr if isinstance(target, ast.Attribute) else None
            )
            if name and _annotation_names(node.annotation) & _SET_ANNOTATIONS:
                found.add(name)
        elif isinstance(node, ast.arg) and _annotation_names(node.annotation) & _SET_ANNOTATIONS:
            found.add(node.arg)
        elif isinstance(node, ast.Assign) and _is_set_expression(node.value):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _is_set_expression(node: ast.expr) -> bool:
    """A set display, comprehension or ``set()``/``frozenset()`` call."""
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset")


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, set_names: set[str]) -> None:
        self.path = path
        self.set_names = set_names
        self.warnings: list[StaticWarning] = []

    def warn(self, node: ast.AST, message: str) -> None:
        self.warnings.append(StaticWarning(self.path, getattr(node, "lineno", 0), message))

    def is_set(self, node: ast.expr) -> bool:
        if _is_set_expression(node):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.BitAnd | ast.Sub | ast.BitXor):
            return self.is_set(node.left) or self.is_set(node.right)
        if isinstance(node, ast.Name):
            return node.id in self.set_names
        if isinstance(node, ast.Attribute):
            return node.attr in self.set_names
        return False

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.split(".")[0]
            if root in NONDETERMINISTIC_MODULES:
                self.warn(node, f"imports {alias.name} ({NONDETERMINISTIC_MODULES[root]})")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        root = (node.module or "").split(".")[0]
        if root in NONDETERMINISTIC_MODULES:
            self.warn(node, f"imports from {node.module} ({NONDETERMINISTIC_MODULES[root]})")
        elif root == "os" and any(a.name == "urandom" for a in node.names):
            self.warn(node, "imports os.urandom (a random source)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "urandom" and isinstance(node.value, ast.Name) and node.value.id == "os":
            self.warn(node, "uses os.urandom (a random source)")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "hash":
            self.warn(node, "calls hash() (of a str or bytes it changes with PYTHONHASHSEED)")
        consumer = func.id if isinstance(func, ast.Name) else (
            "join" if isinstance(func, ast.Attribute) and func.attr == "join" else None
        )
        if consumer in _ORDERED_CONSUMERS or consumer == "join":
            if any(self.is_set(arg) for arg in node.args):
                self.warn(node, f"{consumer}() of a set: its order changes with PYTHONHASHSEED (sort it)")
        self.generic_visit(node)

    def _iterates(self, node: ast.AST, iterable: ast.expr) -> None:
        if self.is_set(iterable):
            self.warn(node, "iterates over a set: its order changes with PYTHONHASHSEED (sort it)")

    def visit_For(self, node: ast.For) -> None:
        self._iterates(node, node.iter)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._iterates(node.iter, node.iter)
        self.generic_visit(node)


def scan_source(source: str, path: str) -> list[StaticWarning]:
    """The warnings for one module's source text."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [StaticWarning(path, exc.lineno or 0, f"cannot parse: {exc.msg}")]
    scanner = _Scanner(path, _set_typed_names(tree))
    scanner.visit(tree)
    scanner.warnings.sort(key=lambda w: (w.line, w.message))
    return scanner.warnings


def _is_library(path: Path) -> bool:
    paths = sysconfig.get_paths()
    roots = {Path(paths[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    resolved = path.resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def _module_file(obj: Any) -> tuple[str, Path] | None:
    target = obj if inspect.isfunction(obj) else type(obj)
    module_name = getattr(target, "__module__", None)
    module = sys.modules.get(module_name or "")
    if module is None or module_name is None or module_name.startswith(_TRUSTED_PREFIXES):
        return None
    try:
        file = inspect.getsourcefile(module)
    except TypeError:
        return None
    if file is None or _is_library(Path(file)):
        return None
    return module_name, Path(file)


def model_sources(model: Any, extra: Iterable[Any] = ()) -> list[Path]:
    """Source files of the model's class and of the objects it holds (its nodes), sorted."""
    objects: list[Any] = [model, *extra]
    for value in vars(model).values() if hasattr(model, "__dict__") else ():
        items = value if isinstance(value, tuple | list) else (value,)
        objects.extend(items)
    files: dict[str, Path] = {}
    for obj in objects:
        found = _module_file(obj)
        if found is not None:
            files[found[0]] = found[1]
    return [files[name] for name in sorted(files)]


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def scan_model(model: Any) -> list[StaticWarning]:
    """The static warnings for every source file of ``model`` (see :func:`model_sources`)."""
    warnings: list[StaticWarning] = []
    for path in model_sources(model):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        warnings.extend(scan_source(text, _shown(path)))
    return warnings
