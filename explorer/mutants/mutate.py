"""Generated mutants of a protocol package: the mistakes ``synod mutate`` seeds, over ``ast``.

Each operator finds the places in a module where a realistic mistake can be written
and gives, per place, the source text to put there instead. A :class:`Mutant` is one
such edit: it knows the module, the line, the operator, and builds the mutated module's
source by replacing exactly that span of the original text, so the rest of the file
(comments, layout) is untouched and the diff is one hunk.

Operators (:data:`OPERATORS`):

- ``compare``: ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``, ``is`` ↔ ``is not``;
- ``constant``: an integer literal off by one (``n - 1``, ``n + 1``);
- ``bound``: a ``range`` stop or a slice bound off by one (when it is not a literal);
- ``negate``: the condition of an ``if``, ``while`` or conditional expression negated;
- ``drop``: a statement of a function dropped (an assignment, a call made for its effect);
- ``durable``: one field of a ``*Durable`` NamedTuple reset to its default when the node
  crashes (``on_crash``): a durable field left out of what survives a crash;
- ``swap``: two adjacent positional arguments of a call swapped.

Code that runs only under a seeded variant of the catalogue (the body of
``if self.<flag>:`` where the flag comes from ``config.flags``, and of ``if flags.<flag>:``
where ``flags`` holds the variant's flags) is not mutated: the correct protocol never
runs it, so every such mutant is equivalent, and the guard itself is the catalogue's
switch (``synod mutants`` covers it). Nor are the functions of :data:`NOT_PROTOCOL`: the
clients' workload and the parsing of variant names (a mutant there changes what is
checked, or which mistake is seeded, not the protocol). Ghost fields (``votes``: read by
the properties, never by the protocol) are not dropped from what survives a crash.
"""

from __future__ import annotations

import ast
import difflib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MODULES",
    "NOT_PROTOCOL",
    "OPERATORS",
    "Mutant",
    "generate",
    "package_dir",
    "sample",
]

OPERATORS = ("compare", "constant", "bound", "negate", "drop", "durable", "swap")

#: The modules of paxos_core that hold protocol logic. Left out: accessors.py (the
#: properties' read-only view of node states: a mutant there blinds the judge, not
#: the protocol), messages.py and events.py (declarations), __init__.py.
DEFAULT_MODULES: dict[str, tuple[str, ...]] = {
    "paxos_core": ("basic.py", "client.py", "common.py", "config.py", "kv.py", "multi.py"),
}

#: Functions of a package that are not protocol logic, by module, as ``name`` or
#: ``Class.name``: the workload the clients run (the model builds it; a mutant changes
#: the test, not the protocol) and the parsing of variant names (only a seeded mistake
#: reaches it). ``generate`` skips them for that package.
NOT_PROTOCOL: dict[str, dict[str, tuple[str, ...]]] = {
    "paxos_core": {
        "config.py": ("default_schedule", "propose_schedule", "variant_parts", "VariantFlags.for_variant"),
    },
}

#: Fields read by properties only (ghost state): forgetting them is no protocol mistake.
GHOST_FIELDS = frozenset({"votes"})

#: Calls whose positional arguments commute: swapping them is an equivalent mutant.
COMMUTATIVE = frozenset({"max", "min", "set", "frozenset"})

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One edit of one module: replace bytes ``start:end`` of the source by ``text``."""

    module: str  # path relative to the package, e.g. "multi.py"
    line: int
    operator: str
    description: str
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        """Stable across runs and processes: module, line, operator, a short digest of the edit."""
        import hashlib

        digest = hashlib.sha256(f"{self.start}:{self.end}:{self.text}".encode()).hexdigest()[:6]
        return f"{self.module}:{self.line}:{self.operator}:{digest}"

    def apply(self, source: str) -> str:
        data = source.encode()
        return (data[: self.start] + self.text.encode() + data[self.end :]).decode()

    def diff(self, source: str) -> str:
        mutated = self.apply(source)
        lines = difflib.unified_diff(
            source.splitlines(keepends=True), mutated.splitlines(keepends=True),
            f"a/{self.module}", f"b/{self.module}", n=1,
        )
        return "".join(lines)


# -- finding the places ------------------------------------------------------------------


class _Source:
    """A module's text with byte offsets of (line, column) positions (ast gives UTF-8 columns)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode()
        self.line_starts = [0]
        for i, byte in enumerate(self.data):
            if byte == 10:
                self.line_starts.append(i + 1)

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode()


def _holds_flags(node: ast.AST) -> bool:
    """Whether ``node`` evaluates to a variant's flags: ``<...>.flags``, the name ``flags``,
    or a call of a ``*Flags`` class or of one of its methods (``VariantFlags.for_variant(...)``)."""
    if isinstance(node, ast.Attribute) and node.attr == "flags":
        return True
    if isinstance(node, ast.Name) and node.id == "flags":
        return True
    if isinstance(node, ast.Call):
        func = node.func
        owner = func.value if isinstance(func, ast.Attribute) else func
        return isinstance(owner, ast.Name) and owner.id.endswith("Flags")
    return False


def _flag_holders(tree: ast.Module) -> set[str]:
    """Local names bound to a variant's flags (``f = config.flags``)."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _holds_flags(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def variant_flags(trees: Sequence[ast.Module]) -> frozenset[str]:
    """Names of attributes that hold a seeded variant's switch: ``self.X = f.Y`` where
    ``f`` holds the flags (``<...>.flags``), and every ``Y`` read from the flags
    (``flags.Y``, ``f.Y``)."""
    names: set[str] = set()
    for tree in trees:
        holders = _flag_holders(tree) | {"flags"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (
                _holds_flags(node.value) or (isinstance(node.value, ast.Name) and node.value.id in holders)
            ):
                names.add(node.attr)
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Attribute):
                continue
            base = node.value.value
            is_flags = _holds_flags(base) or (isinstance(base, ast.Name) and base.id in holders)
            if not is_flags:
                continue
            names.add(node.value.attr)
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    names.add(target.attr)
    return frozenset(names)


def _is_flag(node: ast.AST, flags: frozenset[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in flags


def _skipped_functions(tree: ast.Module, names: Sequence[str]) -> list[ast.AST]:
    """The module-level functions and methods called ``name`` / ``Class.name`` in ``names``."""
    found: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            found.append(node)
        elif isinstance(node, ast.ClassDef):
            found.extend(
                item for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and f"{node.name}.{item.name}" in names
            )
    return found


def _dead_nodes(tree: ast.Module, flags: frozenset[str], skip: Sequence[str] = ()) -> set[int]:
    """ids of nodes that only a seeded variant runs (and of the variant guards), and of
    the functions named in ``skip``."""
    dead: set[int] = set()

    def mark(nodes: Sequence[ast.AST]) -> None:
        for n in nodes:
            dead.update(id(x) for x in ast.walk(n))

    mark(_skipped_functions(tree, skip))

    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp)):
            test = node.test
            guard = _is_flag(test, flags) or (
                isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)
                and any(_is_flag(v, flags) for v in test.values)
            )
            if guard:
                mark([test])
                mark(node.body if isinstance(node, ast.If) else [node.body])
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for i, value in enumerate(node.values):
                if _is_flag(value, flags):
                    mark(node.values[i:])
                    break
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            for value in node.values:
                if _is_flag(value, flags):
                    mark([value])
    return dead


def _docstrings(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first))
    return found


Edit = tuple[ast.AST, str, str, int, int, str]  # node, operator, description, start, end, text


def _compare_edits(src: _Source, node: ast.Compare) -> Iterator[Edit]:
    for i, op in enumerate(node.ops):
        swap = _COMPARE_SWAPS.get(type(op))
        if swap is None:
            continue
        mutated = ast.Compare(node.left, [*node.ops[:i], swap(), *node.ops[i + 1 :]], node.comparators)
        start, end = src.span(node)
        old, new = ast.unparse(ast.Compare(node.left, [op], [node.comparators[i]])), ast.unparse(
            ast.Compare(node.left, [swap()], [node.comparators[i]])
        )
        yield node, "compare", f"{old} -> {new}", start, end, ast.unparse(mutated)


def _constant_edits(src: _Source, node: ast.Constant) -> Iterator[Edit]:
    if type(node.value) is not int:
        return
    start, end = src.span(node)
    for delta in (-1, 1):
        new = node.value + delta
        yield node, "constant", f"{node.value} -> {new}", start, end, str(new) if new >= 0 else f"({new})"


def _bound_edits(src: _Source, node: ast.AST) -> Iterator[Edit]:
    bounds: list[ast.expr] = []
    if isinstance(node, ast.Slice):
        bounds = [b for b in (node.lower, node.upper) if b is not None]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
        bounds = [node.args[-1]]
    for bound in bounds:
        if isinstance(bound, ast.Constant):
            continue  # the constant operator covers literals
        start, end = src.span(bound)
        text = src.segment(bound)
        for sign in ("-", "+"):
            yield bound, "bound", f"{text} -> ({text}) {sign} 1", start, end, f"({text}) {sign} 1"


def _negate_edits(src: _Source, node: ast.AST) -> Iterator[Edit]:
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        test = node.test
        start, end = src.span(test)
        text = src.segment(test)
        yield test, "negate", f"{text} -> not ({text})", start, end, f"not ({text})"


def _drop_edits(src: _Source, func: ast.FunctionDef, docstrings: set[int]) -> Iterator[Edit]:
    for node in ast.walk(func):
        for block in ("body", "orelse"):
            stmts = getattr(node, block, None)
            if not isinstance(stmts, list):
                continue  # a conditional expression's body is no block
            for stmt in stmts:
                if id(stmt) in docstrings or not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
                    continue
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                    continue
                start, end = src.span(stmt)
                first = src.segment(stmt).splitlines()[0]
                yield stmt, "drop", f"dropped: {first.strip()}", start, end, "pass"


def _durable_edits(src: _Source, tree: ast.Module) -> Iterator[Edit]:
    durable: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Durable"):
            fields = [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
            durable[node.name] = [f for f in fields if f not in GHOST_FIELDS]
    if len(durable) != 1:
        return
    (cls, fields), = durable.items()
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or func.name != "on_crash":
            continue
        params = [a.arg for a in func.args.args]
        if "state" not in params:
            continue
        body = func.body[1:] if func.body and isinstance(func.body[0], ast.Expr) else func.body
        if not body:
            continue
        first = body[0]
        at = src.offset(first.lineno, 0)
        indent = " " * first.col_offset
        for name in fields:
            text = (
                f"{indent}state = state._replace(durable=state.durable._replace("
                f"{name}={cls}._field_defaults[{name!r}]))\n"
            )
            yield first, "durable", f"{cls}.{name} not kept across a crash", at, at, text


def _swap_edits(src: _Source, node: ast.Call) -> Iterator[Edit]:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name in COMMUTATIVE or any(isinstance(a, ast.Starred) for a in node.args):
        return
    for i in range(len(node.args) - 1):
        a, b = node.args[i], node.args[i + 1]
        ta, tb = src.segment(a), src.segment(b)
        if ta == tb:
            continue
        start, _ = src.span(a)
        _, end = src.span(b)
        yield node, "swap", f"{name}({ta}, {tb}) -> {name}({tb}, {ta})", start, end, f"{tb}, {ta}"


def module_mutants(module: str, text: str, flags: frozenset[str], skip: Sequence[str] = ()) -> list[Mutant]:
    """Every mutant of one module's source ``text`` (``module``: its path in the package),
    none inside the functions named in ``skip`` (``name`` or ``Class.name``)."""
    tree = ast.parse(text)
    src = _Source(text)
    dead = _dead_nodes(tree, flags, skip)
    docstrings = _docstrings(tree)
    edits: list[Edit] = []
    inside_functions: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside_functions.update(id(x) for x in ast.walk(node) if x is not node)
            if isinstance(node, ast.FunctionDef):
                edits.extend(_drop_edits(src, node, docstrings))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            edits.extend(_compare_edits(src, node))
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            edits.extend(_constant_edits(src, node))
        elif isinstance(node, ast.Call):
            edits.extend(_swap_edits(src, node))
        edits.extend(_bound_edits(src, node))
        if id(node) in inside_functions:
            edits.extend(_negate_edits(src, node))
    edits.extend(_durable_edits(src, tree))
    mutants: dict[tuple[int, int, str], Mutant] = {}
    for node, operator, description, start, end, new in edits:
        if id(node) in dead or src.data[start:end].decode() == new:
            continue
        # Every edit is valid Python by construction (an expression for an expression,
        # ``pass`` for a statement); not compiled here: 1,000 compiles cost 20 s. A
        # mutant that did not compile would be reported broken, not judged.
        mutant = Mutant(module, node.lineno, operator, description, start, end, new)  # type: ignore[attr-defined]
        mutants.setdefault((start, end, new), mutant)
    return sorted(mutants.values(), key=lambda m: (m.module, m.start, m.end, m.operator, m.text))


def package_dir(target: str) -> Path:
    """The source directory of the importable package ``target`` (ValueError if none)."""
    import importlib.util
    import os
    import sys

    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)  # a user's package in the current directory, as --model finds it
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"--target {target!r} is not an importable package")
    return Path(next(iter(spec.submodule_search_locations)))


def generate(target: str, modules: Sequence[str] | None = None) -> tuple[list[Mutant], dict[str, str]]:
    """Every mutant of the package ``target`` and the original source of each module.

    ``modules`` (paths relative to the package) defaults to :data:`DEFAULT_MODULES` for a
    known package, else every module but ``__init__.py``; the functions of
    :data:`NOT_PROTOCOL` for the package are not mutated."""
    root = package_dir(target)
    if modules is None:
        modules = DEFAULT_MODULES.get(target) or tuple(
            sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if p.name != "__init__.py")
        )
    sources: dict[str, str] = {}
    for module in modules:
        path = root / module
        if not path.is_file():
            raise ValueError(f"--target {target}: no module {module}")
        sources[module] = path.read_text(encoding="utf-8")
    trees = [ast.parse(text) for text in sources.values()]
    flags = variant_flags(trees)
    mutants: list[Mutant] = []
    skip = NOT_PROTOCOL.get(target, {})
    for module, text in sources.items():
        mutants.extend(module_mutants(module, text, flags, skip.get(module, ())))
    return mutants, sources


def sample(mutants: Sequence[Mutant], n: int | None, seed: int) -> list[Mutant]:
    """``n`` mutants chosen by a generator seeded with ``seed`` (all when ``n`` is None),
    in generation order: the same in every process."""
    if n is None or n >= len(mutants):
        return list(mutants)
    chosen = set(random.Random(seed).sample(range(len(mutants)), n))
    return [m for i, m in enumerate(mutants) if i in chosen]
