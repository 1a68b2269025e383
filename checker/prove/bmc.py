"""Bounded model checking of abstract Paxos and Multi-Paxos: unbounded universes, small depth.

:func:`bounded_check` unrolls init; (action)^k of :func:`~checker.prove.protocol.build_protocol`
and asks z3 for a state violating agreement at k = 0..depth, one frame at a time. Unlike
the explorer, the number of nodes, rounds, values and quorums is not fixed: the sorts are
uninterpreted, so "no violation" covers every universe size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import z3

from checker.prove.protocol import ELEMENT_PREFIX, Protocol, build_protocol

__all__ = ["BmcResult", "bounded_check", "render_bmc"]


@dataclass
class BmcResult:
    """Is a state violating agreement reachable in at most ``depth`` actions?

    Unlike the explorer, the number of nodes, rounds, values and quorums is not fixed:
    the sorts are uninterpreted, so "no violation" covers every universe size.
    """

    protocol: str
    variant: str
    depth: int
    status: Literal["violated", "safe-to-depth", "unknown"]
    steps: list[tuple[str, dict[str, str]]]  # the trace, when violated
    sort_sizes: dict[str, int]
    quorums: dict[str, list[str]]  # quorum -> members, in the violating model
    elapsed: float
    per_depth: list[tuple[int, str, float]]  # (depth, answer, seconds)

    def to_json(self) -> dict[str, object]:
        return {
            "protocol": self.protocol,
            "variant": self.variant,
            "depth": self.depth,
            "status": self.status,
            "steps": [{"action": a, "params": p} for a, p in self.steps],
            "sort_sizes": self.sort_sizes,
            "quorums": self.quorums,
            "elapsed_s": round(self.elapsed, 4),
            "per_depth": [
                {"depth": d, "answer": a, "elapsed_s": round(t, 4)} for d, a, t in self.per_depth
            ],
        }


Frame = dict[str, z3.FuncDeclRef]  # the mutable relations at one step of the unrolling
Choice = tuple[z3.ArithRef, list[dict[str, z3.ExprRef]]]  # a step's action index, params


class _Unrolling:
    """The protocol's relations copied once per step (``vote@0``, ``vote@1``, ...), its
    formulas moved onto a step's copies, and the transition between two steps."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.pre_decls: Frame = {
            name: rel
            for name, rel in protocol.pre.relations.items()
            if isinstance(rel, z3.FuncDeclRef)
        }

    def frame(self, t: int) -> Frame:
        sorts = self.protocol.sorts
        return {
            name: z3.Function(f"{name}@{t}", *[sorts[s] for s in args], z3.BoolSort())
            for name, args in self.protocol.signature.items()
        }

    def rename(self, expr: z3.BoolRef, decls: Frame) -> z3.BoolRef:
        """``expr`` (over the pre-state relations) over the relations of ``decls``."""
        sorts, signature = self.protocol.sorts, self.protocol.signature
        pairs = []
        for name, decl in self.pre_decls.items():
            args = [z3.Var(k, sorts[s]) for k, s in enumerate(signature[name])]
            pairs.append((decl, decls[name](*args)))
        result: z3.BoolRef = z3.substitute_funs(expr, *pairs)
        return result

    def transition(self, k: int, before: Frame, after: Frame) -> tuple[Choice, list[z3.BoolRef]]:
        """Step k-1 -> k: an integer picks the action; each action gets fresh parameters,
        and if chosen, its guard holds on ``before`` and every relation of ``after`` is
        its update of ``before`` (frames ``∀x. rel_k(x) = update(x)``)."""
        protocol = self.protocol
        choice = z3.Int(f"action@{k - 1}")
        step_params: list[dict[str, z3.ExprRef]] = []
        options = []
        for j, action in enumerate(protocol.actions):
            fresh = {
                name: z3.Const(f"{action.name}.{name}@{k - 1}", c.sort())
                for name, c in action.params
            }
            renaming = [(c, fresh[name]) for name, c in action.params]
            frame = []
            for name, args in protocol.signature.items():
                xs = [z3.Const(f"X{m}", protocol.sorts[s]) for m, s in enumerate(args)]
                new_value = action.updates.get(name, protocol.pre[name])(*xs)
                frame.append(
                    z3.ForAll(xs, after[name](*xs) == new_value)
                    if xs
                    else after[name]() == new_value
                )
            body = (
                z3.substitute(z3.And(action.guard, *frame), *renaming)
                if renaming
                else z3.And(action.guard, *frame)
            )
            options.append(z3.Implies(choice == j, self.rename(body, before)))
            step_params.append(fresh)
        return (choice, step_params), [choice >= 0, choice < len(protocol.actions), *options]


def _decode_trace(
    model: z3.ModelRef, protocol: Protocol, choices: list[Choice]
) -> tuple[list[tuple[str, dict[str, str]]], dict[str, int], dict[str, list[str]]]:
    """The violating run in a model: its steps (action, params), the size of each sort,
    and the members of the quorums the steps use, elements named N0, Q1, R2, ..."""
    sorts = protocol.sorts
    universes = {name: list(model.get_universe(s) or []) for name, s in sorts.items()}
    sort_sizes = {name: len(u) for name, u in universes.items()}
    names = {
        str(e): f"{ELEMENT_PREFIX[s]}{i}" for s, u in universes.items() for i, e in enumerate(u)
    }
    steps: list[tuple[str, dict[str, str]]] = []
    for choice, step_params in choices:
        j = model.eval(choice, model_completion=True).as_long()
        params = {
            name: names.get(str(v := model.eval(c, model_completion=True)), str(v))
            for name, c in step_params[j].items()
        }
        steps.append((protocol.actions[j].name, params))
    used = {value for _, params in steps for value in params.values()}
    quorums = {
        names[str(qe)]: [
            names[str(ne)]
            for ne in universes["node"]
            if z3.is_true(model.eval(protocol.member(ne, qe), model_completion=True))
        ]
        for qe in universes["quorum"]
        if names[str(qe)] in used
    }
    return steps, sort_sizes, quorums


def bounded_check(
    multi: bool = False, variant: str = "correct", depth: int = 6, timeout_s: float = 60.0
) -> BmcResult:
    """Unroll init; (action)^k and ask for ¬agreement at k = 0..depth, one frame at a time."""
    start = time.perf_counter()
    protocol = build_protocol(multi=multi, variant=variant)
    unrolling = _Unrolling(protocol)
    agreement = next(c for c in build_protocol(multi=multi).invariant if c.name == "agreement")
    states = [unrolling.frame(0)]
    solver = z3.Solver()
    solver.set("timeout", max(1, int(timeout_s * 1000)))
    solver.add(*[f for _, f in protocol.axioms], unrolling.rename(protocol.init, states[0]))
    choices: list[Choice] = []
    per_depth: list[tuple[int, str, float]] = []
    status: Literal["violated", "safe-to-depth", "unknown"] = "safe-to-depth"
    reached = 0
    for k in range(depth + 1):
        if k > 0:
            before, after = states[-1], unrolling.frame(k)
            states.append(after)
            choice, constraints = unrolling.transition(k, before, after)
            solver.add(*constraints)
            choices.append(choice)
        t0 = time.perf_counter()
        solver.push()
        solver.add(z3.Not(unrolling.rename(agreement.formula(protocol.pre), states[k])))
        answer = solver.check()
        per_depth.append((k, str(answer), time.perf_counter() - t0))
        reached = k
        if answer == z3.sat:
            status = "violated"
            break
        solver.pop()
        if answer == z3.unknown:
            status = "unknown"
            break
    steps: list[tuple[str, dict[str, str]]] = []
    sort_sizes: dict[str, int] = {}
    quorums: dict[str, list[str]] = {}
    if status == "violated":
        steps, sort_sizes, quorums = _decode_trace(solver.model(), protocol, choices)
    return BmcResult(
        protocol=protocol.name,
        variant=variant,
        depth=reached,
        status=status,
        steps=steps,
        sort_sizes=sort_sizes,
        quorums=quorums,
        elapsed=time.perf_counter() - start,
        per_depth=per_depth,
    )


def render_bmc(result: BmcResult) -> str:
    title = f"{result.protocol} (variant {result.variant})"
    if result.status == "violated":
        sizes = ", ".join(f"{k}={v}" for k, v in result.sort_sizes.items())
        lines = [
            f"{title}: bounded check VIOLATED: agreement fails after {len(result.steps)} "
            f"actions ({result.elapsed:.2f}s; universe of the model: {sizes})"
        ]
        if result.quorums:
            lines.append(
                "  quorums used: "
                + "; ".join(f"{q} = {{{', '.join(m)}}}" for q, m in result.quorums.items())
            )
        for k, (action, params) in enumerate(result.steps, 1):
            args = ", ".join(f"{name}={value}" for name, value in params.items())
            lines.append(f"  {k}. {action}({args})")
    elif result.status == "unknown":
        lines = [
            f"{title}: bounded check UNKNOWN at depth {result.depth} (solver timeout; "
            f"no violation up to depth {result.depth - 1})"
        ]
    else:
        lines = [
            f"{title}: bounded check: no agreement violation within {result.depth} actions, "
            f"for every number of nodes, rounds, values and quorums ({result.elapsed:.2f}s)"
        ]
    lines.append("  per depth: " + ", ".join(f"{d}:{a} {t:.2f}s" for d, a, t in result.per_depth))
    return "\n".join(lines)
