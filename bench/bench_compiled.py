"""What compiling the hot modules with mypyc buys on the actor world (issue 14), measured.

It copies this tree's packages into a temporary directory, compiles the modules of
``COMPILED`` there with mypyc (which ships with mypy, in the test extra; it needs a C
compiler and the Python headers), then runs the default ``synod check`` world (3
replicas, 2 clients, 1 op each, faults drop=1,crash=1, BFS depth 8: 195,002 distinct
states) on the pure tree and on the compiled copy in alternating rounds, each run in a
fresh subprocess. It prints per run the distinct states, CPU seconds, distinct states
per CPU-second and which modules really ran compiled; then the medians, their ratio,
the per-round ratios, and whether every run found the same distinct and generated
counts and level sizes. Nothing in the repository changes.

Modules left interpreted, and why (mypyc 2.4; each was compiled and run against the
tests of its area):

- ``explorer/actors/model.py``: ``ActorModel`` mixes in four classes (multiple
  inheritance is unsupported for native classes; in a non-native class mypyc checks
  ``self`` by exact type, so a ``PaxosModel`` fails in the methods it inherits);
- ``explorer/models/paxos_properties.py``: ``BrokenStepWorld`` subclasses the ``World``
  NamedTuple, and ``_by_view`` sets attributes on the functions it makes;
- ``explorer/actors/encoding.py``: a closure in a mixin's method (an internal mypyc error
  once the mixin is non-native; native, it conflicts with another native base);
- ``explorer/actors/keyed.py``: its ``KeyedSteps`` mixin declares the attributes
  ``ActorModel`` sets, which in a native class live in slots, not in the instance's
  ``__dict__``: a model copied by ``__dict__`` (tests/test_por_stale.py) loses them and
  the sanitizer's static pass (``vars(model)``) no longer finds the nodes. With
  ``--also-keyed`` it is compiled anyway (``KEYED_COMPAT``, applied to the copy only:
  ``allow_interpreted_subclasses`` and ``steps_of`` as a ``ClassVar``), to measure it;
- ``explorer/engine/visited.py``: ``SpillingVisited`` copies a ``Visited`` by its
  ``__slots__``, which a compiled class does not have;
- ``paxos_core``: the node classes' handler tables name methods in the class body (a
  KeyError at import), compiled dataclasses check field types on construction (a list
  where ``ClusterConfig`` converts it) and lose ``__slots__``; and its steps are memoised
  (under 2% of the profile).

    python bench/bench_compiled.py                    # 3 rounds, pure vs compiled
    python bench/bench_compiled.py --rounds 5 --baseline-ref 09b8d3c
    python bench/bench_compiled.py --keep /tmp/synod-compiled   # reuse the build next time
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_actor_world import EXPECTED, ROOT, _extract, _spawn, run_case

PACKAGES = ("paxos_core", "explorer", "checker")
COMPILED = (
    "explorer/engine/bfs.py", "explorer/engine/run.py", "explorer/engine/fingerprint.py",
    "explorer/actors/network.py", "explorer/actors/world.py",
    "explorer/actors/fingerprints.py", "explorer/actors/memo.py",
    "explorer/models/paxos_screen.py", "explorer/models/paxos_views.py",
    "explorer/models/paxos.py", "explorer/models/paxos_progress.py",
    "checker/invariants.py",
)
#: ``--also-keyed``: compiled as a native class open to interpreted subclasses, which
#: moves ActorModel's attributes out of its ``__dict__`` (see the module docstring)
KEYED = "explorer/actors/keyed.py"
#: text -> replacement applied to the copy of keyed.py before compiling it
KEYED_COMPAT = (
    ("from __future__ import annotations\n",
     "from __future__ import annotations\nfrom typing import ClassVar\n\nfrom mypy_extensions import mypyc_attr\n"),
    ("\nclass KeyedSteps:", "\n@mypyc_attr(allow_interpreted_subclasses=True)\nclass KeyedSteps:"),
    ("    steps_of: type[KeyedSteps]\n", "    steps_of: ClassVar[type[KeyedSteps]]\n"),
)
SETUP = """from setuptools import setup
from mypyc.build import mypycify
setup(name="synod-compiled-bench", ext_modules=mypycify({paths!r}), script_args=["build_ext", "--inplace"])
"""


def preflight() -> str | None:
    """Why the compiled copy cannot be built here, or None."""
    try:
        import mypyc  # noqa: F401
    except ImportError:
        return "mypyc is not installed (it ships with mypy: pip install -e '.[test]')"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler: {compiler!r} (the one Python was built with) is not on PATH"
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.exists():
        return f"no Python headers: {include} is missing (e.g. apt-get install python3-dev)"
    return None


def patch_keyed(into: Path) -> str | None:
    """Apply ``KEYED_COMPAT`` to the copy of keyed.py; why not, or None."""
    path = into / KEYED
    text = path.read_text()
    for old, _ in KEYED_COMPAT:
        if old not in text:
            return f"{KEYED} left interpreted: its code no longer contains {old.strip()!r}"
    for old, new in KEYED_COMPAT:
        text = text.replace(old, new, 1)
    path.write_text(text)
    return None


def build(into: Path, also_keyed: bool) -> list[str]:
    """Copy this tree's packages into ``into`` and compile them there; notes."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__", "*.so"), dirs_exist_ok=True)
    modules, notes = list(COMPILED), []
    if also_keyed:
        problem = patch_keyed(into)
        modules += [] if problem else [KEYED]
        notes += [problem] if problem else []
    (into / "setup.py").write_text(SETUP.format(paths=[*modules, "--ignore-missing-imports", "--check-untyped-defs"]))
    started = time.monotonic()
    out = subprocess.run([sys.executable, "setup.py"], cwd=into, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        errors = [line for line in out.stdout.splitlines() + out.stderr.splitlines() if "error" in line.lower()]
        raise SystemExit(f"bench: the mypyc build failed: {(errors or ['no output'])[0]}")
    notes.append(f"built {len(modules)} modules with mypyc in {time.monotonic() - started:.0f} s wall")
    return notes


def _spawn_compiled_aware(root: Path, case: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--one", case, str(root)],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        return {"failed": (out.stderr.strip().splitlines()[-1:] or ["no output"])[0]}
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _one(case: str, root: str) -> dict[str, Any]:
    sys.path.insert(0, root)
    result = run_case(case, 1)
    result["compiled"] = sorted(
        name for name, module in sys.modules.items()
        if name.split(".")[0] in PACKAGES and str(getattr(module, "__file__", "")).endswith(".so")
    )
    return result


def _row(label: str, r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"{label:<9} failed: {r['failed']}"
    compiled = f"{len(r['compiled'])} modules compiled" if r.get("compiled") else "pure Python"
    return f"{label:<9} {r['distinct']:>9,} {r['cpu_s']:>7.2f} {r['distinct'] / r['cpu_s']:>9,.0f}  {compiled}"


def _summary(case: str, pure: list[dict[str, Any]], comp: list[dict[str, Any]]) -> list[str]:
    runs = pure + comp
    if any("failed" in r for r in runs):
        return ["(no summary: a run failed)"]
    keys = {(r["distinct"], r["generated"], tuple(r["levels"]), r["verdict"]) for r in runs}
    expected = EXPECTED.get(case)
    same = len(keys) == 1 and (expected is None or runs[0]["distinct"] == expected)
    p, c = statistics.median(r["cpu_s"] for r in pure), statistics.median(r["cpu_s"] for r in comp)
    per_round = [a["cpu_s"] / b["cpu_s"] for a, b in zip(pure, comp, strict=True)]
    return [
        f"median CPU-s: pure {p:.2f}, compiled {c:.2f}: {p / c:.2f}x "
        f"(per round {min(per_round):.2f}x..{max(per_round):.2f}x); "
        f"distinct states per CPU-s {runs[0]['distinct'] / p:,.0f} -> {runs[0]['distinct'] / c:,.0f}",
        "same distinct/generated counts, level sizes and verdict in every run" if same else "COUNTS DIFFER",
        "compiled modules in use: " + ", ".join(comp[0]["compiled"]),
    ]


def measure(compiled_root: Path, args: argparse.Namespace) -> None:
    print(f"{'code':<9} {'distinct':>9} {'CPU s':>7} {'dist/CPUs':>9}")
    pure: list[dict[str, Any]] = []
    comp: list[dict[str, Any]] = []
    for index in range(args.rounds):
        order = [("pure", ROOT, pure), ("compiled", compiled_root, comp)]
        for label, root, runs in order if index % 2 == 0 else order[::-1]:  # (ABBA: drift cancels)
            runs.append(_spawn_compiled_aware(root, args.case))
            print(_row(label, runs[-1]), flush=True)
    print("\n".join(_summary(args.case, pure, comp)))
    if args.baseline_ref:
        with tempfile.TemporaryDirectory(prefix="synod-baseline-") as tmp:
            _extract(args.baseline_ref, Path(tmp))
            base = _spawn(Path(tmp), args.case, 1)
        print(_row(args.baseline_ref[:9], base))
        if "failed" not in base and "failed" not in comp[0]:
            p, c = (statistics.median(r["cpu_s"] for r in runs) for runs in (pure, comp))
            print(
                f"baseline {args.baseline_ref}: {base['cpu_s']:.2f} CPU-s: {base['cpu_s'] / p:.2f}x the pure "
                f"median, {base['cpu_s'] / c:.2f}x the compiled median"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="pure/compiled pairs (default 3)")
    parser.add_argument("--case", default="multipaxos", choices=("multipaxos", "basic"))
    parser.add_argument("--baseline-ref", help="also one run of this git ref (e.g. 09b8d3c)")
    parser.add_argument("--also-keyed", action="store_true", help="compile explorer/actors/keyed.py too (see above)")
    parser.add_argument("--keep", type=Path, help="build into (or reuse the build in) this directory")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(*args.one)))
        return 0
    problem = preflight()
    if problem:
        print(f"bench: cannot build the compiled copy: {problem}", file=sys.stderr)
        return 2
    print(f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="synod-compiled-") as tmp:
        into = args.keep or Path(tmp)
        if args.keep and any(into.rglob("*.so")):
            print(f"reusing the compiled copy in {into}")
        else:
            into.mkdir(parents=True, exist_ok=True)
            print("\n".join(build(into, args.also_keyed)), flush=True)
        measure(into, args)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
