"""Inductive invariants of abstract Paxos and Multi-Paxos, checked by z3 in the EPR fragment.

The protocol is stated in first-order logic over uninterpreted sorts (node, quorum, round,
value and, for Multi-Paxos, inst = log slot), in the style of "Paxos Made EPR" (Padon et
al., OOPSLA 2017). A state is an interpretation of the relations

    one_a(round)                      a 1a (prepare) was sent for the round
    one_b(node, round)                the node sent 1b (promise) for the round
    left_rnd(node, round)             the node promised a higher round, so never votes here
    proposal([inst,] round, value)    2a: the round's proposer proposed the value
    vote(node, [inst,] round, value)  2b: the node accepted the value in the round
    decision(node, [inst,] round, value)  the node learned the value as chosen

over fixed relations member(node, quorum) and le(round, round) (a total order). The
proposer reads the votes of its 1b quorum directly instead of carrying them in the 1b
message: once a node has joined round r it never votes below r again, so those votes are
frozen, and the relation set stays as small as the issue names it.

A *proof* is: the initial states satisfy every invariant conjunct, and for every action
and every conjunct C, ``axioms ∧ Inv ∧ action ∧ ¬C'`` is unsatisfiable (C' = C on the
post-state). The post-state is written by substitution (e.g. vote'(x) = vote(x) ∨ x = a),
so no extra symbols appear. A satisfiable query is a counterexample to induction (CTI): a
finite model, shrunk sort by sort and rendered for a person by :func:`render_cti`.

Why every query is decidable: there are no function symbols at all (only relations and
constants), and :func:`quantifier_alternation_edges` computes, for each query, the sort
graph of ∀-then-∃ alternations (Skolem functions). The graph is acyclic for every query of
every variant (round, value, inst → quorum → node), which is exactly the stratified
("extended") EPR condition; tests assert it.

Broken variants, selectable by name (:data:`VARIANTS`), are real mistakes: an invariant
conjunct left out, a protocol step that ignores a rule, the quorum axiom dropped.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import z3

__all__ = [
    "VARIANTS",
    "Cti",
    "ProofResult",
    "Protocol",
    "QueryResult",
    "build_protocol",
    "prove",
    "quantifier_alternation_edges",
    "render_cti",
    "render_result",
]

Status = Literal["proved", "refuted", "unknown"]
Rel = Callable[..., z3.BoolRef]

# name -> what is wrong with it ("correct" is the protocol as it should be)
VARIANTS: dict[str, str] = {
    "correct": "the protocol and invariant as they should be",
    "missing-choosable": "invariant without the 'choosable' conjunct (not inductive)",
    "missing-one-b-left": "invariant without 'one_b_left_rounds' (not inductive)",
    "propose-ignoring-votes": "proposer picks any value, ignoring its quorum's votes",
    "vote-after-leaving": "acceptor votes in a round it has already left (ignores its promise)",
    "repropose-in-round": "proposer may propose a second value in the same round",
    "no-quorum-axiom": "the quorum-intersection axiom is missing",
}


@dataclass(frozen=True)
class Conjunct:
    name: str
    text: str  # how a person writes it; shown when it breaks
    formula: Callable[[State], z3.BoolRef]


@dataclass(frozen=True)
class Action:
    name: str
    params: tuple[tuple[str, z3.ExprRef], ...]
    guard: z3.BoolRef
    updates: dict[str, Rel]  # relation name -> post-state relation (pre-state terms)


@dataclass(frozen=True)
class State:
    """One interpretation of the mutable relations, as callables building z3 atoms."""

    relations: dict[str, Rel]

    def __getitem__(self, name: str) -> Rel:
        return self.relations[name]

    def after(self, updates: dict[str, Rel]) -> State:
        return State({**self.relations, **updates})


@dataclass
class Protocol:
    name: str
    variant: str
    sorts: dict[str, z3.SortRef]
    signature: dict[str, tuple[str, ...]]  # mutable relation -> argument sort names
    member: z3.FuncDeclRef
    le: z3.FuncDeclRef
    pre: State
    axioms: list[tuple[str, z3.BoolRef]]
    init: z3.BoolRef
    actions: list[Action]
    invariant: list[Conjunct]


# ---------------------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------------------


def build_protocol(multi: bool = False, variant: str = "correct") -> Protocol:
    """Abstract single-decree Paxos (``multi=False``) or Multi-Paxos with slots."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    node = z3.DeclareSort("node")
    quorum = z3.DeclareSort("quorum")
    rnd = z3.DeclareSort("round")
    value = z3.DeclareSort("value")
    inst = z3.DeclareSort("inst")
    sorts: dict[str, z3.SortRef] = {"node": node, "quorum": quorum, "round": rnd, "value": value}
    if multi:
        sorts["inst"] = inst
    slot: tuple[str, ...] = ("inst",) if multi else ()
    signature: dict[str, tuple[str, ...]] = {
        "one_a": ("round",),
        "one_b": ("node", "round"),
        "left_rnd": ("node", "round"),
        "proposal": (*slot, "round", "value"),
        "vote": ("node", *slot, "round", "value"),
        "decision": ("node", *slot, "round", "value"),
    }
    pre = State(
        {
            name: z3.Function(name, *[sorts[s] for s in args], z3.BoolSort())
            for name, args in signature.items()
        }
    )
    member = z3.Function("member", node, quorum, z3.BoolSort())
    le = z3.Function("le", rnd, rnd, z3.BoolSort())

    def lt(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
        return z3.Not(le(b, a))

    def var(name: str, sort: z3.SortRef) -> z3.ExprRef:
        return z3.Const(name, sort)

    N, N1, N2 = var("N", node), var("N1", node), var("N2", node)
    Q, Q1, Q2 = var("Q", quorum), var("Q1", quorum), var("Q2", quorum)
    R, R1, R2, R3 = var("R", rnd), var("R1", rnd), var("R2", rnd), var("R3", rnd)
    V, V1, V2 = var("V", value), var("V1", value), var("V2", value)
    Ivars: list[z3.ExprRef] = [var("I", inst)] if multi else []
    I = tuple(Ivars)  # noqa: E741  (the slot, absent in single-decree)

    axioms: list[tuple[str, z3.BoolRef]] = [
        ("le_reflexive", z3.ForAll([R1], le(R1, R1))),
        (
            "le_transitive",
            z3.ForAll([R1, R2, R3], z3.Implies(z3.And(le(R1, R2), le(R2, R3)), le(R1, R3))),
        ),
        (
            "le_antisymmetric",
            z3.ForAll([R1, R2], z3.Implies(z3.And(le(R1, R2), le(R2, R1)), R1 == R2)),
        ),
        ("le_total", z3.ForAll([R1, R2], z3.Or(le(R1, R2), le(R2, R1)))),
    ]
    if variant != "no-quorum-axiom":
        axioms.append(
            (
                "quorum_intersection",
                z3.ForAll([Q1, Q2], z3.Exists([N], z3.And(member(N, Q1), member(N, Q2)))),
            )
        )

    def all_false(name: str) -> z3.BoolRef:
        xs = [z3.Const(f"X{k}", sorts[s]) for k, s in enumerate(signature[name])]
        return z3.ForAll(xs, z3.Not(pre[name](*xs)))

    init = z3.And([all_false(name) for name in signature])

    def plus(rel: Rel, *point: z3.ExprRef) -> Rel:
        """rel ∪ {point}: the post-state relation after adding one tuple."""

        def updated(*xs: z3.ExprRef) -> z3.BoolRef:
            return z3.Or(rel(*xs), z3.And([x == p for x, p in zip(xs, point, strict=True)]))

        return updated

    actions: list[Action] = []

    # send_1a(r): a proposer starts round r.
    r = var("r", rnd)
    actions.append(
        Action("send_1a", (("r", r),), z3.BoolVal(True), {"one_a": plus(pre["one_a"], r)})
    )

    # join_round(n, r): node n promises round r, leaving every lower round.
    n, r = var("n", node), var("r", rnd)
    left_old = pre["left_rnd"]

    def left_after_join(xn: z3.ExprRef, xr: z3.ExprRef) -> z3.BoolRef:
        return z3.Or(left_old(xn, xr), z3.And(xn == n, lt(xr, r)))

    actions.append(
        Action(
            "join_round",
            (("n", n), ("r", r)),
            z3.And(pre["one_a"](r), z3.Not(pre["left_rnd"](n, r))),
            {"one_b": plus(pre["one_b"], n, r), "left_rnd": left_after_join},
        )
    )

    # propose(r, q, [i,] v, maxr): with 1b from all of q for round r, propose v, which
    # must be the value of the highest vote below r among q (maxr), or anything if none.
    r, q, v, maxr = var("r", rnd), var("q", quorum), var("v", value), var("maxr", rnd)
    i = (var("i", inst),) if multi else ()
    vote = pre["vote"]
    guard_parts: list[z3.BoolRef] = [
        z3.ForAll([N], z3.Implies(member(N, q), pre["one_b"](N, r))),
    ]
    if variant != "repropose-in-round":
        guard_parts.append(z3.ForAll([V], z3.Not(pre["proposal"](*i, r, V))))
    if variant != "propose-ignoring-votes":
        no_votes_below = z3.ForAll(
            [N, R, V], z3.Not(z3.And(member(N, q), lt(R, r), vote(N, *i, R, V)))
        )
        highest_is_maxr = z3.And(
            lt(maxr, r),
            z3.Exists([N], z3.And(member(N, q), vote(N, *i, maxr, v))),
            z3.ForAll(
                [N, R, V],
                z3.Implies(z3.And(member(N, q), lt(R, r), vote(N, *i, R, V)), le(R, maxr)),
            ),
        )
        guard_parts.append(z3.Or(no_votes_below, highest_is_maxr))
    actions.append(
        Action(
            "propose",
            (("r", r), ("q", q), *[("i", x) for x in i], ("v", v), ("maxr", maxr)),
            z3.And(guard_parts),
            {"proposal": plus(pre["proposal"], *i, r, v)},
        )
    )

    # cast_vote(n, r, [i,] v): node n accepts the proposal of round r unless it left r.
    n, r, v = var("n", node), var("r", rnd), var("v", value)
    i = (var("i", inst),) if multi else ()
    vote_guard: list[z3.BoolRef] = [pre["proposal"](*i, r, v)]
    if variant != "vote-after-leaving":
        vote_guard.append(z3.Not(pre["left_rnd"](n, r)))
    actions.append(
        Action(
            "cast_vote",
            (("n", n), ("r", r), *[("i", x) for x in i], ("v", v)),
            z3.And(vote_guard),
            {"vote": plus(pre["vote"], n, *i, r, v)},
        )
    )

    # decide(n, r, [i,] v, q): node n learns v once every member of quorum q voted it in r.
    n, r, v, q = var("n", node), var("r", rnd), var("v", value), var("q", quorum)
    i = (var("i", inst),) if multi else ()
    actions.append(
        Action(
            "decide",
            (("n", n), ("r", r), *[("i", x) for x in i], ("v", v), ("q", q)),
            z3.ForAll([N], z3.Implies(member(N, q), pre["vote"](N, *i, r, v))),
            {"decision": plus(pre["decision"], n, *i, r, v)},
        )
    )

    slot_text = "I " if multi else ""
    slot_arg = "I," if multi else ""
    conjuncts = [
        Conjunct(
            "agreement",
            f"decision(N1,{slot_arg}R1,V1) ∧ decision(N2,{slot_arg}R2,V2) → V1 = V2  (safety)",
            lambda s: z3.ForAll(
                [N1, N2, *I, R1, R2, V1, V2],
                z3.Implies(
                    z3.And(s["decision"](N1, *I, R1, V1), s["decision"](N2, *I, R2, V2)), V1 == V2
                ),
            ),
        ),
        Conjunct(
            "one_proposal_per_round",
            f"proposal({slot_arg}R,V1) ∧ proposal({slot_arg}R,V2) → V1 = V2",
            lambda s: z3.ForAll(
                [*I, R, V1, V2],
                z3.Implies(z3.And(s["proposal"](*I, R, V1), s["proposal"](*I, R, V2)), V1 == V2),
            ),
        ),
        Conjunct(
            "votes_are_proposed",
            f"vote(N,{slot_arg}R,V) → proposal({slot_arg}R,V)",
            lambda s: z3.ForAll(
                [N, *I, R, V], z3.Implies(s["vote"](N, *I, R, V), s["proposal"](*I, R, V))
            ),
        ),
        Conjunct(
            "decisions_are_chosen",
            f"∀{slot_text}R V. (∃N. decision(N,{slot_arg}R,V)) → ∃Q. ∀N∈Q. vote(N,{slot_arg}R,V)",
            lambda s: z3.ForAll(
                [*I, R, V],
                z3.Implies(
                    z3.Exists([N1], s["decision"](N1, *I, R, V)),
                    z3.Exists(
                        [Q], z3.ForAll([N], z3.Implies(member(N, Q), s["vote"](N, *I, R, V)))
                    ),
                ),
            ),
        ),
        Conjunct(
            "choosable",
            f"R1 < R2 ∧ proposal({slot_arg}R2,V2) ∧ V1 ≠ V2 → ∀Q. ∃N∈Q. "
            f"left_rnd(N,R1) ∧ ¬vote(N,{slot_arg}R1,V1)   (no other value is choosable below a proposal)",
            lambda s: z3.ForAll(
                [*I, R1, R2, V1, V2, Q],
                z3.Implies(
                    z3.And(lt(R1, R2), s["proposal"](*I, R2, V2), V1 != V2),
                    z3.Exists(
                        [N],
                        z3.And(
                            member(N, Q), s["left_rnd"](N, R1), z3.Not(s["vote"](N, *I, R1, V1))
                        ),
                    ),
                ),
            ),
        ),
        Conjunct(
            "one_b_left_rounds",
            "one_b(N,R2) ∧ R1 < R2 → left_rnd(N,R1)",
            lambda s: z3.ForAll(
                [N, R1, R2],
                z3.Implies(z3.And(s["one_b"](N, R2), lt(R1, R2)), s["left_rnd"](N, R1)),
            ),
        ),
    ]
    dropped = {"missing-choosable": "choosable", "missing-one-b-left": "one_b_left_rounds"}
    conjuncts = [c for c in conjuncts if c.name != dropped.get(variant)]
    return Protocol(
        name="multipaxos" if multi else "paxos",
        variant=variant,
        sorts=sorts,
        signature=signature,
        member=member,
        le=le,
        pre=pre,
        axioms=axioms,
        init=init,
        actions=actions,
        invariant=conjuncts,
    )


# ---------------------------------------------------------------------------------------
# EPR check: the quantifier-alternation graph of a formula
# ---------------------------------------------------------------------------------------


def _is_uninterpreted(sort: z3.SortRef) -> bool:
    return bool(sort.kind() == z3.Z3_UNINTERPRETED_SORT)


def quantifier_alternation_edges(formulas: Iterable[z3.BoolRef]) -> set[tuple[str, str]]:
    """Sort edges A → B: a B-valued Skolem function of an A argument would be needed.

    Edges come from an effectively-existential variable of sort B in the scope of an
    effectively-universal variable of sort A (polarity-aware: ∀ under negation is ∃), and
    from any function symbol A… → B over uninterpreted sorts. The formula set is in
    (stratified) EPR exactly when this graph is acyclic.
    """
    edges: set[tuple[str, str]] = set()

    # No memoisation by AST id: the bodies built here are temporaries whose ids z3 reuses
    # once Python frees them, which silently skipped subformulas. The formulas are small.
    def walk(e: z3.ExprRef, polarity: int, universals: tuple[str, ...]) -> None:
        if z3.is_quantifier(e):
            assert isinstance(e, z3.QuantifierRef)
            names = [e.var_name(k) for k in range(e.num_vars())]
            var_sorts = [e.var_sort(k) for k in range(e.num_vars())]
            consts = [
                z3.Const(f"{nm}!{e.get_id()}", st) for nm, st in zip(names, var_sorts, strict=True)
            ]
            body = z3.substitute_vars(e.body(), *reversed(consts))
            sort_names = tuple(str(s) for s in var_sorts)
            universal = e.is_forall() == (polarity > 0)
            existential = e.is_forall() != (polarity > 0) or polarity == 0
            if polarity == 0:
                universal = True
            if existential:
                for u in universals:
                    for s in sort_names:
                        edges.add((u, s))
            inner = tuple(sorted(set(universals) | set(sort_names))) if universal else universals
            walk(body, polarity, inner)
            return
        if not z3.is_app(e):
            return
        decl = e.decl()
        kind = decl.kind()
        children = e.children()
        if kind == z3.Z3_OP_UNINTERPRETED and e.num_args() > 0 and _is_uninterpreted(e.sort()):
            for c in children:
                edges.add((str(c.sort()), str(e.sort())))
        if kind == z3.Z3_OP_NOT:
            walk(children[0], -polarity, universals)
        elif kind in (z3.Z3_OP_AND, z3.Z3_OP_OR):
            for c in children:
                walk(c, polarity, universals)
        elif kind == z3.Z3_OP_IMPLIES:
            walk(children[0], -polarity, universals)
            walk(children[1], polarity, universals)
        elif kind in (z3.Z3_OP_EQ, z3.Z3_OP_IFF, z3.Z3_OP_XOR, z3.Z3_OP_ITE, z3.Z3_OP_DISTINCT):
            for c in children:
                walk(c, 0, universals)
        else:
            for c in children:
                walk(c, polarity, universals)

    for f in formulas:
        walk(f, 1, ())
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """A cycle in the sort graph (a self-loop counts), or None when it is acyclic."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in graph.get(v, []):
            if state.get(w) == 1:
                return stack[stack.index(w) :] + [w]
            if w not in state:
                found = visit(w)
                if found:
                    return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state:
            found = visit(v)
            if found:
                return found
    return None


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


_PREFIX = {"node": "N", "quorum": "Q", "round": "R", "value": "V", "inst": "I"}


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
            element_name = f"{_PREFIX[sort_name]}{k}"
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


# ---------------------------------------------------------------------------------------
# Bounded model checking of the abstract protocol (unbounded universes, small depth)
# ---------------------------------------------------------------------------------------


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


def bounded_check(
    multi: bool = False, variant: str = "correct", depth: int = 6, timeout_s: float = 60.0
) -> BmcResult:
    """Unroll init; (action)^k and ask for ¬agreement at k = 0..depth, one frame at a time."""
    start = time.perf_counter()
    protocol = build_protocol(multi=multi, variant=variant)
    sorts = protocol.sorts
    pre_decls: dict[str, z3.FuncDeclRef] = {
        name: rel for name, rel in protocol.pre.relations.items() if isinstance(rel, z3.FuncDeclRef)
    }
    agreement = next(c for c in build_protocol(multi=multi).invariant if c.name == "agreement")

    def decls_at(t: int) -> dict[str, z3.FuncDeclRef]:
        return {
            name: z3.Function(f"{name}@{t}", *[sorts[s] for s in args], z3.BoolSort())
            for name, args in protocol.signature.items()
        }

    def rename(expr: z3.BoolRef, decls: dict[str, z3.FuncDeclRef]) -> z3.BoolRef:
        pairs = []
        for name, decl in pre_decls.items():
            args = [z3.Var(k, sorts[s]) for k, s in enumerate(protocol.signature[name])]
            pairs.append((decl, decls[name](*args)))
        result: z3.BoolRef = z3.substitute_funs(expr, *pairs)
        return result

    states = [decls_at(0)]
    solver = z3.Solver()
    solver.set("timeout", max(1, int(timeout_s * 1000)))
    solver.add(*[f for _, f in protocol.axioms], rename(protocol.init, states[0]))
    choices: list[tuple[z3.ArithRef, list[dict[str, z3.ExprRef]]]] = []
    per_depth: list[tuple[int, str, float]] = []
    status: Literal["violated", "safe-to-depth", "unknown"] = "safe-to-depth"
    reached = 0
    for k in range(depth + 1):
        if k > 0:
            before, after = states[-1], decls_at(k)
            states.append(after)
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
                    xs = [z3.Const(f"X{m}", sorts[s]) for m, s in enumerate(args)]
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
                options.append(z3.Implies(choice == j, rename(body, before)))
                step_params.append(fresh)
            solver.add(choice >= 0, choice < len(protocol.actions), *options)
            choices.append((choice, step_params))
        t0 = time.perf_counter()
        solver.push()
        solver.add(z3.Not(rename(agreement.formula(protocol.pre), states[k])))
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
        model = solver.model()
        universes = {name: list(model.get_universe(s) or []) for name, s in sorts.items()}
        sort_sizes = {name: len(u) for name, u in universes.items()}
        names = {str(e): f"{_PREFIX[s]}{i}" for s, u in universes.items() for i, e in enumerate(u)}
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
