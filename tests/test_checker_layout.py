"""checker/'s import rules: one-way, lin and prove independent, no cycles, z3 only where used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("checker", include_external_packages=True)


def test_checker_imports_neither_explorer_nor_paxos_core() -> None:
    graph = _graph()
    for module in sorted(m for m in graph.modules if m.startswith("checker")):
        imported = graph.find_modules_directly_imported_by(module)
        assert not {"explorer", "paxos_core"} & {m.split(".")[0] for m in imported}, module


def test_lin_and_prove_are_independent() -> None:
    graph = _graph()
    for a, b in (("checker.lin", "checker.prove"), ("checker.prove", "checker.lin")):
        chain = graph.find_shortest_chain(importer=a, imported=b, as_packages=True)
        assert chain is None, chain


def test_no_import_cycles_in_checker() -> None:
    graph = _graph()
    modules = sorted(m for m in graph.modules if m.startswith("checker"))
    edges = {
        m: sorted(x for x in graph.find_modules_directly_imported_by(m) if x.startswith("checker"))
        for m in modules
    }
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in edges[m]:
            assert state.get(n) != 1, " -> ".join([*path[path.index(n) :], n])
            if n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in modules:
        if m not in state:
            visit(m, [m])


def test_z3_is_loaded_only_by_the_modules_that_use_it() -> None:
    # A fresh interpreter: the test process may have imported z3 already.
    light = "checker, checker.invariants, checker.lin, checker.lin.cli, checker.lin.html, checker.prove"
    code = f"import sys, {light}; print('z3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
