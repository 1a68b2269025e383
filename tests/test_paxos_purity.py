"""paxos_core is pure: it imports nothing from explorer/checker and nothing that does I/O,
reads clocks or randomness, or runs threads (checked on the source with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import paxos_core

PACKAGE = Path(paxos_core.__file__).resolve().parent
FORBIDDEN = {
    "explorer", "checker", "socket", "time", "random", "threading", "asyncio", "os",
    "subprocess", "select", "selectors", "multiprocessing", "datetime", "secrets", "io",
    "pathlib", "shutil", "signal", "urllib", "http",
}
FORBIDDEN_CALLS = {"open", "input", "print", "hash", "id", "eval", "exec", "__import__"}


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_paxos_core_sources_exist() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 8


def test_no_forbidden_imports_or_calls() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        bad = imported_modules(tree) & FORBIDDEN
        assert not bad, f"{path.name} imports {sorted(bad)}"
        calls = {
            n.func.id for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {sorted(calls & FORBIDDEN_CALLS)}"


def test_scanner_sees_a_forbidden_import() -> None:
    assert imported_modules(ast.parse("import time\nfrom explorer.engine.model import Model")) == {"time", "explorer"}
