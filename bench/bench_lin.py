"""Benchmark of the linearizability checker over the public corpus (prints, never asserts).

    SYNOD_CORPUS=/path/to/shared/corpus python bench/bench_lin.py [--quick] [--timeout S]

Prints per-history CPU seconds and search steps, the total over the corpus (parsing
excluded and included), the same with the pruning beyond Porcupine's switched off
(pending-operation dominance, read-only commutation, twin symmetry), and kv c10/c50 checked without
partitioning under a timeout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from checker.lin import LINEARIZABLE, History, check, make_model, parse_history


def _load(root: Path) -> list[tuple[str, str, bool, History, float]]:
    rows = []
    for row in (root / "EXPECTED.tsv").read_text().splitlines()[1:]:
        name, model, expected, _ = row.split("\t")
        c0 = time.process_time()
        h = parse_history((root / name).read_text(), "auto", name)
        rows.append((name, model, expected == "true", h, time.process_time() - c0))
    return rows


def _run(rows: list[tuple[str, str, bool, History, float]], verbose: bool, **kw: object) -> tuple[float, int, int]:
    total = 0.0
    steps = 0
    wrong = 0
    for name, model_name, expected, h, _ in rows:
        model = make_model("kv" if model_name == "kv" else "cas-register")
        c0 = time.process_time()
        r = check(h, model, timeout=120, **kw)  # type: ignore[arg-type]
        cpu = time.process_time() - c0
        total += cpu
        steps += r.stats.steps
        ok = (r.verdict == LINEARIZABLE) == expected and r.verdict != "unknown"
        wrong += not ok
        if verbose:
            print(
                f"{name:24} {len(h.ops):5} ops  {r.verdict:17} {cpu:8.4f} s  {r.stats.steps:9} steps"
                f"  {r.stats.cache_hits:8} hits{'' if ok else '  WRONG'}"
            )
    return total, steps, wrong


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the ablations and unpartitioned runs")
    ap.add_argument("--timeout", type=float, default=60.0, help="for unpartitioned kv runs")
    args = ap.parse_args()
    corpus = os.environ.get("SYNOD_CORPUS")
    if not corpus:
        sys.stderr.write("set SYNOD_CORPUS to the shared corpus directory\n")
        return 2
    root = Path(corpus) / "porcupine"
    rows = _load(root)
    parse_cpu = sum(r[4] for r in rows)
    total, steps, wrong = _run(rows, verbose=True)
    etcd = [r for r in rows if r[1] != "kv"]
    etcd_cpu, etcd_steps, _ = _run(etcd, verbose=False)
    print()
    print(f"corpus: {len(rows)} histories, {wrong} wrong verdicts")
    print(f"search CPU total: {total:.3f} s ({steps} steps); parsing: {parse_cpu:.3f} s; "
          f"together {total + parse_cpu:.3f} s")
    print(f"etcd only (103 histories): {etcd_cpu:.3f} s, {etcd_steps} steps")
    if args.quick:
        return 0
    print()
    print("pruning ablation (search CPU over the whole corpus, steps):")
    for label, kw in [
        ("all pruning (default)", {}),
        ("no dominance", {"dominance": False}),
        ("no read commutation", {"commute_reads": False}),
        ("no twin symmetry", {"symmetry": False}),
        ("Porcupine's pruning only", {"dominance": False, "commute_reads": False, "symmetry": False}),
    ]:
        t, s, w = _run(rows, verbose=False, **kw)
        print(f"  {label:28} {t:7.3f} s  {s:9} steps  wrong={w}")
    print()
    print(f"kv without partitioning (timeout {args.timeout:g} s):")
    for name in ("kv/c10-ok.txt", "kv/c10-bad.txt", "kv/c50-ok.txt", "kv/c50-bad.txt"):
        h = next(r[3] for r in rows if r[0] == name)
        c0 = time.process_time()
        r = check(h, make_model("kv"), timeout=args.timeout, partition=False)
        print(f"  {name:16} {r.verdict:17} {time.process_time() - c0:8.3f} CPU-s  {r.stats.steps} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
