"""``synod prove``: z3 proofs that hold for every size, not just up to a bound.

    synod prove quorums --nodes N [--phase1-quorum Q --phase2-quorum Q | --sets '0,1;1,2'
                        | --sets1 .. --sets2 .. | --weights 1,1,2 --threshold1 T --threshold2 T
                        | --grid RxC] [--time-limit T] [--json]
    synod prove paxos [--variant NAME] [--time-limit T] [--json]
    synod prove multipaxos [--variant NAME] [--time-limit T] [--json]

The options shared with ``synod check`` are spelled as it spells them (``--nodes``,
``--phase1-quorum``, ``--phase2-quorum``, ``--time-limit``); the old ``--q1``, ``--q2`` and
``--timeout`` still work, hidden, for one release.

Exit codes: 0 proved, 1 refuted (disjoint quorums / counterexample to induction printed),
2 bad input (one line on stderr), 3 unknown (a solver timeout; never reported as proved).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from checker.prove.bmc import bounded_check, render_bmc
from checker.prove.paxos import ProofResult, prove, render_result
from checker.prove.protocol import VARIANTS
from checker.prove.quorums import (
    ExplicitQuorums,
    GridQuorums,
    QuorumError,
    QuorumResult,
    QuorumSystem,
    SizeQuorums,
    WeightedQuorums,
    check_intersection,
)

EXIT_PROVED, EXIT_REFUTED, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


class BadInput(ValueError):
    """A user-facing input error: reported as one line, exit 2."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _time_limit(parser: argparse.ArgumentParser, default: float, help_text: str) -> None:
    """``--time-limit`` as every synod command spells it; ``--timeout`` hidden (old)."""
    parser.add_argument("--time-limit", type=_positive_float, default=default, metavar="T", help=help_text)
    parser.add_argument("--timeout", dest="time_limit", type=_positive_float, help=argparse.SUPPRESS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="prove_target", metavar="TARGET", parser_class=type(parser))

    q = sub.add_parser(
        "quorums",
        help="do every phase-1 and phase-2 quorum intersect? (else print two disjoint ones)",
        description="Decide quorum intersection with z3 (weights: subset-sum when cheaper). "
        "Nodes are numbered 0..n-1. With only --nodes, majorities are checked.",
    )
    q.add_argument("--nodes", type=int, help="number of nodes n")
    # spelled as `synod check` spells them, so options copy between the two commands;
    # --q1/--q2 are the old spellings, hidden
    q.add_argument("--phase1-quorum", dest="q1", type=int, metavar="Q", help="phase-1 quorum size")
    q.add_argument("--phase2-quorum", dest="q2", type=int, metavar="Q", help="phase-2 quorum size")
    q.add_argument("--q1", dest="q1", type=int, help=argparse.SUPPRESS)
    q.add_argument("--q2", dest="q2", type=int, help=argparse.SUPPRESS)
    q.add_argument("--sets", help="quorums for both phases, e.g. '0,1;1,2;0,2'")
    q.add_argument("--sets1", help="phase-1 quorums (with --sets2)")
    q.add_argument("--sets2", help="phase-2 quorums (with --sets1)")
    q.add_argument("--weights", help="node weights, e.g. 1,1,2 (n = number of weights)")
    q.add_argument("--threshold1", type=int, help="phase-1 quorum: total weight >= this")
    q.add_argument("--threshold2", type=int, help="phase-2 quorum: total weight >= this")
    q.add_argument("--grid", help="Flexible Paxos grid ROWSxCOLS, node r*COLS+c")
    q.add_argument(
        "--grid-phase1",
        choices=["column", "row"],
        default="column",
        help="phase-1 quorum is any full column (default) or row",
    )
    q.add_argument(
        "--grid-phase2",
        choices=["column", "row"],
        default="row",
        help="phase-2 quorum is any full row (default) or column",
    )
    q.add_argument(
        "--method",
        choices=["auto", "z3", "subset-sum"],
        default="auto",
        help="decision procedure for weights (auto picks the faster)",
    )
    _time_limit(q, 60.0, "wall-time limit of the solver in seconds (default 60)")
    q.add_argument("--json", action="store_true", help="print a JSON result")

    variant_help = "; ".join(f"{k}: {v}" for k, v in VARIANTS.items())
    for name, what in (
        ("paxos", "abstract single-decree Paxos"),
        ("multipaxos", "abstract Multi-Paxos with log slots"),
    ):
        p = sub.add_parser(
            name,
            help=f"check the inductive invariant of {what} (EPR, z3)",
            description=f"Check with z3 that the invariant of {what} holds initially and is "
            "preserved by every action; print a counterexample to induction otherwise.",
        )
        p.add_argument("--variant", choices=list(VARIANTS), default="correct", help=variant_help)
        _time_limit(p, 30.0, "seconds per solver query (default 30)")
        p.add_argument(
            "--bmc",
            type=int,
            metavar="DEPTH",
            help="instead of the invariant proof, bounded model check of agreement up to "
            "DEPTH actions over unbounded universes (grows fast: depth 8 takes ~40 s)",
        )
        p.add_argument("--json", action="store_true", help="print a JSON result")


def _parse_sets(text: str, flag: str) -> tuple[frozenset[int], ...]:
    sets: list[frozenset[int]] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            sets.append(frozenset(int(x) for x in part.split(",")))
        except ValueError:
            raise BadInput(
                f"{flag}: {part!r} is not a comma-separated list of node numbers"
            ) from None
    if not sets:
        raise BadInput(f"{flag}: no quorums given")
    return tuple(sets)


def _parse_ints(text: str, flag: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise BadInput(f"{flag}: {text!r} is not a comma-separated list of integers") from None


def system_from_args(args: argparse.Namespace) -> QuorumSystem:
    """The quorum system the flags describe; BadInput/QuorumError when they do not."""
    kinds = [
        name
        for name, given in (
            ("--phase1-quorum/--phase2-quorum", args.q1 is not None or args.q2 is not None),
            ("--sets", args.sets is not None or args.sets1 is not None or args.sets2 is not None),
            ("--weights", args.weights is not None),
            ("--grid", args.grid is not None),
        )
        if given
    ]
    if len(kinds) > 1:
        raise BadInput(f"choose one kind of quorum system, not {' and '.join(kinds)}")
    n = args.nodes
    if n is not None and n < 1:
        raise BadInput(f"--nodes must be at least 1, got {n}")
    if args.weights is not None:
        if args.threshold1 is None or args.threshold2 is None:
            raise BadInput("--weights needs --threshold1 and --threshold2")
        weights = _parse_ints(args.weights, "--weights")
        if n is not None and n != len(weights):
            raise BadInput(f"--nodes {n} but {len(weights)} weights given")
        return WeightedQuorums(weights, args.threshold1, args.threshold2)
    if args.threshold1 is not None or args.threshold2 is not None:
        raise BadInput("--threshold1/--threshold2 go with --weights")
    if args.grid is not None:
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", args.grid)
        if match is None:
            raise BadInput(f"--grid: expected ROWSxCOLS such as 3x4, got {args.grid!r}")
        grid = GridQuorums(int(match[1]), int(match[2]), args.grid_phase1, args.grid_phase2)
        if n is not None and n != grid.n:
            raise BadInput(f"--nodes {n} but the grid has {grid.n} nodes")
        return grid
    if n is None:
        raise BadInput("--nodes is required for size or set quorums")
    if args.sets is not None or args.sets1 is not None or args.sets2 is not None:
        if args.sets is not None:
            if args.sets1 is not None or args.sets2 is not None:
                raise BadInput("use --sets for both phases, or --sets1 with --sets2")
            both = _parse_sets(args.sets, "--sets")
            return ExplicitQuorums(n, both, both)
        if args.sets1 is None or args.sets2 is None:
            raise BadInput("--sets1 and --sets2 go together")
        return ExplicitQuorums(
            n, _parse_sets(args.sets1, "--sets1"), _parse_sets(args.sets2, "--sets2")
        )
    if (args.q1 is None) != (args.q2 is None):
        raise BadInput("give both --phase1-quorum and --phase2-quorum (or neither, for majorities)")
    if args.q1 is None:  # neither given: majorities (a given 0 stays 0, and is refused)
        return SizeQuorums(n, n // 2 + 1, n // 2 + 1)
    return SizeQuorums(n, args.q1, args.q2)


def _fmt_set(nodes: tuple[int, ...]) -> str:
    return "{" + ", ".join(str(x) for x in nodes) + "}"


def _count(nodes: tuple[int, ...]) -> str:
    return "1 node" if len(nodes) == 1 else f"{len(nodes)} nodes"


def _render_quorums(result: QuorumResult) -> str:
    head = f"quorums: {result.description}"
    took = f"{result.method}, {result.elapsed:.3f}s"
    if result.verdict == "intersect":
        return f"{head}\n  PROVED: every phase-1 quorum meets every phase-2 quorum ({took})"
    if result.verdict == "unknown":
        return f"{head}\n  UNKNOWN: the solver timed out ({took})"
    assert result.witness is not None
    q1, q2 = result.witness
    return (
        f"{head}\n  REFUTED: two disjoint quorums exist ({took})\n"
        f"  phase-1 quorum ({_count(q1)}): {_fmt_set(q1)}\n"
        f"  phase-2 quorum ({_count(q2)}): {_fmt_set(q2)}"
    )


def _exit_code(status: str) -> int:
    return {
        "intersect": EXIT_PROVED,
        "proved": EXIT_PROVED,
        "disjoint": EXIT_REFUTED,
        "refuted": EXIT_REFUTED,
    }.get(status, EXIT_UNKNOWN)


def run(args: argparse.Namespace) -> int:
    target = getattr(args, "prove_target", None)
    if target is None:
        sys.stderr.write("synod prove: choose a target: quorums, paxos or multipaxos\n")
        return EXIT_BAD_INPUT
    if target == "quorums":
        try:
            system = system_from_args(args)
            result = check_intersection(system, timeout_s=args.time_limit, method=args.method)
        except (BadInput, QuorumError) as exc:
            sys.stderr.write(f"synod prove quorums: {exc}\n")
            return EXIT_BAD_INPUT
        if args.json:
            print(json.dumps(result.to_json()))
        else:
            print(_render_quorums(result))
        return _exit_code(result.verdict)
    if args.bmc is not None:
        if args.bmc < 0:
            sys.stderr.write(f"synod prove {target}: --bmc depth must be >= 0\n")
            return EXIT_BAD_INPUT
        bmc = bounded_check(
            multi=target == "multipaxos",
            variant=args.variant,
            depth=args.bmc,
            timeout_s=args.time_limit,
        )
        print(json.dumps(bmc.to_json()) if args.json else render_bmc(bmc))
        return {"violated": EXIT_REFUTED, "safe-to-depth": EXIT_PROVED}.get(
            bmc.status, EXIT_UNKNOWN
        )
    proof: ProofResult = prove(
        multi=target == "multipaxos", variant=args.variant, timeout_s=args.time_limit
    )
    if args.json:
        print(json.dumps(proof.to_json(), ensure_ascii=False))
    else:
        print(render_result(proof))
    return _exit_code(proof.status)
