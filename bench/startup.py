"""Start-up cost of ``synod``: CPU seconds of short invocations, as real subprocesses.

    python bench/startup.py            # best and median of 10 runs each

Issue 12's target: ``synod check --help`` and ``synod lin`` on a tiny history within
0.15 CPU-s (it was 0.36-0.44 s when the parser imported every subcommand, z3 included).
CPU time (user + system of the child, from ``wait4``) rather than wall time, so the
figure means something on a loaded machine; a bare ``python -c pass`` is printed beside
it as the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TINY_HISTORY = {
    "format": "synod-history", "version": 1, "model": "synod-kv",
    "events": [
        {"process": 3, "type": "invoke", "f": "put", "key": "x", "value": 1},
        {"process": 3, "type": "ok", "result": "ok"},
    ],
}


def cpu_seconds(argv: list[str]) -> float:
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        history = Path(scratch) / "tiny.json"
        history.write_text(json.dumps(TINY_HISTORY))
        trace = sorted((ROOT / "traces").glob("*.json"))[0]
        synod = [sys.executable, "-m", "explorer"]
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "synod --version": [*synod, "--version"],
            "synod check --help": [*synod, "check", "--help"],
            "synod lin <tiny history>": [*synod, "lin", str(history)],
            "synod replay --help": [*synod, "replay", "--help"],
            "synod replay <trace>": [*synod, "replay", str(trace)],
            "synod prove --help": [*synod, "prove", "--help"],
        }
        print(f"CPU seconds per invocation ({args.runs} runs each): best, median")
        for label, argv in cases.items():
            times = [cpu_seconds(argv) for _ in range(args.runs)]
            print(f"  {label:<28} {min(times):.3f}  {statistics.median(times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
