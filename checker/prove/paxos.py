"""Inductive invariants of abstract Paxos and Multi-Paxos, checked by z3 in the EPR fragment.

A *proof* is: the initial states satisfy every invariant conjunct, and for every action
and every conjunct C, ``axioms ∧ Inv ∧ action ∧ ¬C'`` is unsatisfiable (C' = C on the
post-state). The post-state is written by substitution (e.g. vote'(x) = vote(x) ∨ x = a),
so no extra symbols appear. A satisfiable query is a counterexample to induction (CTI): a
finite model, shrunk sort by sort and rendered for a person by :func:`render_cti`.

The protocol and its invariant are :mod:`checker.prove.protocol`; why every query is
decidable (stratified EPR) is :mod:`checker.prove.epr`; a bounded check of agreement over
unbounded universes is :mod:`checker.prove.bmc`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import z3

from checker.prove.epr import find_cycle, quantifier_alternation_edges
from checker.prove.protocol import (
    ELEMENT_PREFIX,
    Action,
    Conjunct,
    Protocol,
    Rel,
    build_protocol,
)

__all__ = [
    "Cti",
    "ProofResult",
    "QueryResult",
    "prove",
    "render_cti",
    "render_result",
    "verification_conditions",
]

Status = Literal["proved", "refuted", "unknown"]


# ---------------------------------------------------------------------------------------
# Checking and counterexamples to induction
# ---------------------------------------------------------------------------------------


@dataclass
class Cti:
    """A counterexample to induction (or to initiation when ``action == 'init'``)."""

    action: str
    conjunct: str
    conjunct_text: str
    sort_sizes: dict[str, int]
    elements: dict[str, list[str]]  # sort -> element names (rounds in order)
    quorums: dict[str, list[str]]  # quorum -> member nodes
    params: dict[str, str]
    violated_at: dict[str, str]  # the conjunct's outer variables where it is false
    pre: dict[str, list[tuple[str, ...]]]
    post: dict[str, list[tuple[str, ...]]]  # only relations the action changes

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "conjunct": self.conjunct,
            "conjunct_text": self.conjunct_text,
            "sort_sizes": self.sort_sizes,
            "elements": self.elements,
            "quorums": self.quorums,
            "params": self.params,
            "violated_at": self.violated_at,
            "pre": {k: [list(t) for t in v] for k, v in self.pre.items()},
            "post": {k: [list(t) for t in v] for k, v in self.post.items()},
        }


@dataclass
class QueryResult:
    action: str  # "init" for initiation
    conjunct: str
    status: Status
    elapsed: float
    cti: Cti | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "conjunct": self.conjunct,
            "status": self.status,
            "elapsed_s": round(self.elapsed, 4),
            "cti": None if self.cti is None else self.cti.to_json(),
        }


@dataclass
class ProofResult:
    protocol: str
    variant: str
    status: Status
    queries: list[QueryResult]
    elapsed: float
    epr_edges: list[tuple[str, str]] = field(default_factory=list)
    epr_cycle: list[str] | None = None

    @property
    def failures(self) -> list[QueryResult]:
        return [q for q in self.queries if q.status == "refuted"]

    def to_json(self) -> dict[str, object]:
        return {
            "protocol": self.protocol,
            "variant": self.variant,
            "status": self.status,
            "elapsed_s": round(self.elapsed, 4),
            "epr": {
                "stratified": self.epr_cycle is None,
                "edges": [list(e) for e in self.epr_edges],
                "cycle": self.epr_cycle,
            },
            "queries": [q.to_json() for q in self.queries],
        }


def _shrink_model(
    formulas: list[z3.BoolRef], protocol: Protocol, model: z3.ModelRef, timeout_ms: int
) -> z3.ModelRef:
    """A model of ``formulas`` with as few elements per sort as z3 finds, sort by sort.

    Each attempt is a fresh solver (formulas + bounds so far + one new bound): MBQI in an
    incremental solver after push/pop sometimes missed small models that exist.
    """
    bounds: list[z3.BoolRef] = []
    for sort_name, sort in protocol.sorts.items():
        size = len(model.get_universe(sort) or [])
        for k in range(1, size):
            elems = [z3.Const(f"{sort_name}_bound_{j}", sort) for j in range(k)]
            x = z3.Const(f"{sort_name}_bound_x", sort)
            bound = z3.ForAll([x], z3.Or([x == c for c in elems]))
            attempt = z3.Solver()
            attempt.set("timeout", timeout_ms)
            attempt.add(*formulas, *bounds, bound)
            if attempt.check() == z3.sat:
                bounds.append(bound)
                model = attempt.model()
                break
    return model


def _expand_quantifiers(e: z3.ExprRef, universes: dict[str, list[z3.ExprRef]]) -> z3.ExprRef:
    """Replace each quantifier by the finite conjunction/disjunction over the model's
    universes, so that model.eval gives True or False (it leaves quantifiers symbolic)."""
    if z3.is_quantifier(e):
        assert isinstance(e, z3.QuantifierRef)
        sorts = [str(e.var_sort(k)) for k in range(e.num_vars())]
        instances: list[z3.BoolRef] = []
        for point in itertools.product(*[universes[s] for s in sorts]):
            body = z3.substitute_vars(e.body(), *reversed(point))
            instances.append(_expand_quantifiers(body, universes))
        return z3.And(instances) if e.is_forall() else z3.Or(instances)
    if z3.is_app(e) and e.num_args() > 0 and z3.is_bool(e):
        children = [_expand_quantifiers(c, universes) for c in e.children()]
        return z3.substitute(e, *zip(e.children(), children, strict=True)) if children else e
    return e


def _violated_instance(
    formula: z3.BoolRef,
    universes: dict[str, list[z3.ExprRef]],
    holds: Callable[[z3.BoolRef], bool],
    label: Callable[[z3.ExprRef], str],
) -> dict[str, str]:
    """The first assignment of the conjunct's outer ∀ variables that makes it false."""
    if not (z3.is_quantifier(formula) and formula.is_forall()):
        return {}
    q = formula
    names = [q.var_name(k) for k in range(q.num_vars())]
    sorts = [str(q.var_sort(k)) for k in range(q.num_vars())]
    for point in itertools.product(*[universes[s] for s in sorts]):
        body = z3.substitute_vars(q.body(), *reversed(point))
        if not holds(_expand_quantifiers(body, universes)):
            return {nm: label(x) for nm, x in zip(names, point, strict=True)}
    return {}


def _extract_cti(
    model: z3.ModelRef, protocol: Protocol, action: Action | None, conjunct: Conjunct
) -> Cti:
    universes: dict[str, list[z3.ExprRef]] = {
        name: list(model.get_universe(sort) or []) for name, sort in protocol.sorts.items()
    }

    def holds(e: z3.BoolRef) -> bool:
        return z3.is_true(model.eval(e, model_completion=True))

    # order rounds by le so R0 < R1 < ... reads naturally (rank = number of rounds <= it)
    rounds = list(universes["round"])
    universes["round"] = sorted(
        rounds, key=lambda a: sum(1 for b in rounds if holds(protocol.le(b, a)))
    )
    names: dict[str, str] = {}
    elements: dict[str, list[str]] = {}
    for sort_name, elems in universes.items():
        elements[sort_name] = []
        for k, e in enumerate(elems):
            element_name = f"{ELEMENT_PREFIX[sort_name]}{k}"
            names[str(e)] = element_name
            elements[sort_name].append(element_name)

    def label(e: z3.ExprRef) -> str:
        value = model.eval(e, model_completion=True)
        return names.get(str(value), str(value))

    def tuples(rel: Rel, arg_sorts: Sequence[str]) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []

        def rec(prefix: list[z3.ExprRef], rest: Sequence[str]) -> None:
            if not rest:
                if holds(rel(*prefix)):
                    out.append(tuple(label(x) for x in prefix))
                return
            for e in universes[rest[0]]:
                rec([*prefix, e], rest[1:])

        rec([], arg_sorts)
        return out

    pre = {name: tuples(protocol.pre[name], args) for name, args in protocol.signature.items()}
    post: dict[str, list[tuple[str, ...]]] = {}
    params: dict[str, str] = {}
    if action is not None:
        for name, rel in action.updates.items():
            post[name] = tuples(rel, protocol.signature[name])
        params = {name: label(c) for name, c in action.params}
    violated_at = _violated_instance(
        conjunct.formula(protocol.pre if action is None else protocol.pre.after(action.updates)),
        universes,
        holds,
        label,
    )
    quorums = {
        label(qe): [label(ne) for ne in universes["node"] if holds(protocol.member(ne, qe))]
        for qe in universes["quorum"]
    }
    return Cti(
        action="init" if action is None else action.name,
        conjunct=conjunct.name,
        conjunct_text=conjunct.text,
        sort_sizes={k: len(v) for k, v in universes.items()},
        elements=elements,
        quorums=quorums,
        params=params,
        violated_at=violated_at,
        pre=pre,
        post=post,
    )


def _query(
    protocol: Protocol,
    assumptions: list[z3.BoolRef],
    action: Action | None,
    conjunct: Conjunct,
    timeout_ms: int,
) -> QueryResult:
    start = time.perf_counter()
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*assumptions)
    answer = solver.check()
    if answer == z3.unsat:
        return QueryResult(
            "init" if action is None else action.name,
            conjunct.name,
            "proved",
            time.perf_counter() - start,
        )
    if answer == z3.unknown:
        return QueryResult(
            "init" if action is None else action.name,
            conjunct.name,
            "unknown",
            time.perf_counter() - start,
        )
    model = _shrink_model(assumptions, protocol, solver.model(), timeout_ms)
    cti = _extract_cti(model, protocol, action, conjunct)
    return QueryResult(cti.action, conjunct.name, "refuted", time.perf_counter() - start, cti)


def verification_conditions(
    protocol: Protocol,
) -> list[tuple[Action | None, Conjunct, list[z3.BoolRef]]]:
    """Every query: (action or None for initiation, conjunct, formulas that must be unsat)."""
    axioms = [f for _, f in protocol.axioms]
    queries: list[tuple[Action | None, Conjunct, list[z3.BoolRef]]] = []
    for c in protocol.invariant:
        queries.append((None, c, [*axioms, protocol.init, z3.Not(c.formula(protocol.pre))]))
    inv_pre = [c.formula(protocol.pre) for c in protocol.invariant]
    for action in protocol.actions:
        post = protocol.pre.after(action.updates)
        for c in protocol.invariant:
            queries.append((action, c, [*axioms, *inv_pre, action.guard, z3.Not(c.formula(post))]))
    return queries


def prove(multi: bool = False, variant: str = "correct", timeout_s: float = 30.0) -> ProofResult:
    """Check initiation and consecution of every conjunct under every action."""
    start = time.perf_counter()
    protocol = build_protocol(multi=multi, variant=variant)
    timeout_ms = max(1, int(timeout_s * 1000))
    results: list[QueryResult] = []
    edges: set[tuple[str, str]] = set()
    for action, conjunct, formulas in verification_conditions(protocol):
        edges |= quantifier_alternation_edges(formulas)
        results.append(_query(protocol, formulas, action, conjunct, timeout_ms))
    status: Status = "proved"
    if any(r.status == "refuted" for r in results):
        status = "refuted"
    elif any(r.status == "unknown" for r in results):
        status = "unknown"
    return ProofResult(
        protocol=protocol.name,
        variant=variant,
        status=status,
        queries=results,
        elapsed=time.perf_counter() - start,
        epr_edges=sorted(edges),
        epr_cycle=find_cycle(edges),
    )


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def _fmt_tuples(ts: list[tuple[str, ...]]) -> str:
    if not ts:
        return "(empty)"
    return ", ".join(t[0] if len(t) == 1 else "(" + ", ".join(t) + ")" for t in ts)


def render_cti(cti: Cti) -> str:
    """A counterexample to induction as a person reads it."""
    lines: list[str] = []
    if cti.action == "init":
        lines.append(f"An initial state violates conjunct '{cti.conjunct}'.")
    else:
        lines.append(
            f"Counterexample to induction: action '{cti.action}' breaks conjunct '{cti.conjunct}'."
        )
    lines.append(f"  broken: {cti.conjunct_text}")
    sizes = ", ".join(f"{k}={v}" for k, v in cti.sort_sizes.items())
    lines.append(f"  sort sizes: {sizes}")
    if cti.elements.get("round"):
        lines.append("  rounds in order: " + " < ".join(cti.elements["round"]))
    quorum_text = "; ".join(
        f"{qn} = {{{', '.join(members)}}}" for qn, members in cti.quorums.items()
    )
    lines.append(f"  quorums: {quorum_text}")
    if cti.action != "init":
        args = ", ".join(f"{k}={v}" for k, v in cti.params.items())
        lines.append(f"  action: {cti.action}({args})")
    if cti.violated_at:
        where = ", ".join(f"{k}={v}" for k, v in cti.violated_at.items())
        lines.append(f"  conjunct false at: {where}")
    lines.append("  pre-state (satisfies every conjunct):" if cti.action != "init" else "  state:")
    width = max(len(n) for n in cti.pre)
    for name, ts in cti.pre.items():
        lines.append(f"    {name:<{width}}  {_fmt_tuples(ts)}")
    if cti.action != "init":
        lines.append("  post-state (relations the action changes):")
        for name, ts in cti.post.items():
            added = [t for t in ts if t not in cti.pre[name]]
            extra = f"   [+ {_fmt_tuples(added)}]" if added else "   [unchanged]"
            lines.append(f"    {name:<{width}}  {_fmt_tuples(ts)}{extra}")
    return "\n".join(lines)


def render_result(result: ProofResult) -> str:
    title = f"{result.protocol} (variant {result.variant})"
    n_ok = sum(1 for q in result.queries if q.status == "proved")
    lines = [
        f"{title}: {result.status.upper()} — {n_ok}/{len(result.queries)} queries unsat "
        f"in {result.elapsed:.2f}s"
    ]
    if result.epr_cycle is None:
        lines.append(
            "  EPR: yes (no function symbols; sort alternation graph acyclic: "
            + ", ".join(f"{a}→{b}" for a, b in result.epr_edges)
            + ")"
        )
    else:
        lines.append("  EPR: NO, alternation cycle " + " → ".join(result.epr_cycle))
    conjuncts = list(dict.fromkeys(q.conjunct for q in result.queries))
    actions = list(dict.fromkeys(q.action for q in result.queries if q.action != "init"))
    lines.append("  invariant conjuncts: " + ", ".join(conjuncts))
    lines.append("  actions: " + ", ".join(actions))
    for q in result.queries:
        if q.status == "unknown":
            lines.append(f"  unknown (timeout): {q.action} / {q.conjunct}")
    failures = result.failures
    if failures:
        lines.append(
            "  not preserved: " + "; ".join(f"{q.action} / {q.conjunct}" for q in failures)
        )
        first = failures[0].cti
        assert first is not None
        lines.append("")
        lines.append(render_cti(first))
    return "\n".join(lines)
