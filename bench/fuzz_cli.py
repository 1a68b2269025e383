"""Fuzz the ``synod`` command line with real subprocesses and print the counts.

    python bench/fuzz_cli.py                    # 10,000 inputs, seed 0, 2 at a time
    python bench/fuzz_cli.py --inputs 2000 --seed 7 --parallel 4 --report fuzz.json

Inputs come from tests/fuzz_inputs.py (malformed traces, histories in each format,
``synod check`` option values, ``synod prove quorums`` specs, ``synod explore`` options
and traces, ``synod mutants`` options on cheap cases), spread evenly over the six
surfaces; each runs as ``python -m explorer ...`` in a scratch directory of its own
(``synod explore`` with serving stubbed out: a valid input exits 0 where it would serve). Printed: the exit-code distribution per surface, and the inputs that broke the
rule: tracebacks, multi-line (or stdout-polluting) errors, files written by an exit-2
run, undocumented exit codes, and hangs (no exit within --hang seconds). ``--report
FILE`` writes every offending input with its output.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz_inputs import EXPLORE_PRELUDE, SURFACES, judge, snapshot  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120")


def exec_one(argv: list[str], surface: str, work: Path, hang_s: float) -> tuple[int, str, str] | None:
    """``python -m explorer ARGV`` in ``work``: (exit code, stdout, stderr), None on a hang."""
    try:
        proc = subprocess.run(
            [sys.executable, *(["-c", EXPLORE_PRELUDE] if surface == "explore" else ["-m", "explorer"]), *argv],
            cwd=work, env=ENV, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", timeout=hang_s,
        )
    except subprocess.TimeoutExpired:
        return None
    return proc.returncode, proc.stdout, proc.stderr


class Zygotes:
    """``--fork``: one bench/fuzz_zygote.py per parallel slot, each forking a child per input."""

    def __init__(self, count: int) -> None:
        self.idle: queue.Queue[subprocess.Popen[str]] = queue.Queue()
        self.all = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "fuzz_zygote.py")], env=ENV,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            for _ in range(count)
        ]
        for z in self.all:
            self.idle.put(z)

    def run(self, argv: list[str], surface: str, work: Path, hang_s: float) -> tuple[int, str, str] | None:
        out, err = work.parent / (work.name + ".out"), work.parent / (work.name + ".err")
        zygote = self.idle.get()
        try:
            assert zygote.stdin is not None and zygote.stdout is not None
            job = {"argv": argv, "cwd": str(work), "out": str(out), "err": str(err), "hang_s": hang_s}
            zygote.stdin.write(json.dumps(job) + "\n")
            zygote.stdin.flush()
            answer = json.loads(zygote.stdout.readline())
        finally:
            self.idle.put(zygote)
        try:
            if answer.get("hang"):
                return None
            read = lambda p: p.read_text(errors="replace")  # noqa: E731
            return int(answer["code"]), read(out), read(err)
        finally:
            out.unlink(missing_ok=True)
            err.unlink(missing_ok=True)

    def close(self) -> None:
        for z in self.all:
            assert z.stdin is not None
            z.stdin.close()
        for z in self.all:
            z.wait()


def run_one(surface: str, seed: int, hang_s: float, zygotes: Zygotes | None) -> dict[str, Any]:
    rng = random.Random(f"{surface}:{seed}")
    with tempfile.TemporaryDirectory(prefix="synod-fuzz-") as outer:
        work = Path(outer) / "work"  # the run's own directory; its output files beside it
        work.mkdir()
        argv = SURFACES[surface](rng, work)
        before = snapshot(work)
        ran = zygotes.run(argv, surface, work, hang_s) if zygotes else exec_one(argv, surface, work, hang_s)
        if ran is None:
            return {"surface": surface, "argv": argv, "hang": True}
        code, stdout, stderr = ran
        verdict = judge(argv[0], code, stdout, stderr, before, snapshot(work))
        return {
            "surface": surface,
            "argv": argv,
            "hang": False,
            "code": code,
            "ok": verdict.ok,
            "traceback": verdict.traceback,
            "multi_line_error": verdict.multi_line_error,
            "files_written": verdict.files_written,
            "unexpected_code": verdict.unexpected_code,
            "stderr": stderr[-1500:] if not verdict.ok else "",
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parallel", type=int, default=2, help="subprocesses at a time")
    parser.add_argument("--hang", type=float, default=120.0, help="seconds before an input counts as a hang")
    parser.add_argument("--report", metavar="FILE", help="write every offending input as JSON")
    parser.add_argument(
        "--fork", action="store_true",
        help="fork each input's process from a zygote that imported synod once "
        "(bench/fuzz_zygote.py) instead of starting an interpreter per input",
    )
    args = parser.parse_args()

    surfaces = sorted(SURFACES)
    jobs = [(surfaces[i % len(surfaces)], args.seed * 1_000_000 + i) for i in range(args.inputs)]
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    # SIGTERM (or Ctrl-C) stops early and prints the counts of the inputs run so far
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    pool = ThreadPoolExecutor(args.parallel)
    zygotes = Zygotes(args.parallel) if args.fork else None
    try:
        for row in pool.map(lambda job: run_one(job[0], job[1], args.hang, zygotes), jobs):
            rows.append(row)
            if row["hang"] or not row["ok"]:  # say so at once: a long run is read while it runs
                sys.stderr.write(f"fuzz: broke the rule: {' '.join(a[:60] for a in row['argv'])}\n")
            if len(rows) % 500 == 0:
                broken = sum(1 for r in rows if r["hang"] or not r["ok"])
                sys.stderr.write(f"fuzz: {len(rows):,} inputs, {broken} broke the rule, "
                                 f"{time.perf_counter() - started:,.0f} s\n")
                sys.stderr.flush()
    except KeyboardInterrupt:
        sys.stderr.write(f"fuzz: stopped after {len(rows):,} inputs\n")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if zygotes is not None:
            zygotes.close()  # their children's CPU is counted once they are waited for
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)

    how = "forked from a zygote" if args.fork else "as subprocesses"
    print(f"{len(rows):,} inputs {how}, seed {args.seed}: {wall:,.0f} s wall, "
          f"{children.ru_utime + children.ru_stime:,.0f} CPU-s in the subprocesses")
    codes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for row in rows:
        codes[row["surface"]]["hang" if row["hang"] else str(row["code"])] += 1
    for surface in surfaces:
        dist = ", ".join(f"{code}: {n:,}" for code, n in sorted(codes[surface].items()))
        print(f"  {surface:<7} exit codes  {dist}")
    bad = [r for r in rows if r["hang"] or not r["ok"]]
    for label, key in (("tracebacks", "traceback"), ("multi-line errors", "multi_line_error"),
                       ("files written on exit 2", "files_written"), ("undocumented exit codes", "unexpected_code")):
        print(f"  {label:<24} {sum(1 for r in bad if r.get(key)):,}")
    print(f"  {'hangs':<24} {sum(1 for r in rows if r['hang']):,}")
    for row in bad[:10]:
        print(f"    {' '.join(a[:60] for a in row['argv'])}\n      -> {row.get('code', 'hang')}: "
              f"{(row.get('stderr') or '').strip().splitlines()[-1:] }")
    if args.report:
        Path(args.report).write_text(json.dumps(bad, indent=1) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
