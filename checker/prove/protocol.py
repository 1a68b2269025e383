"""Abstract Paxos and Multi-Paxos in first-order logic: the encoding the proofs check.

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

:func:`build_protocol` returns a :class:`Protocol`: the axioms, the initial states, the
actions (each a guard and the post-state relations, written by substitution, e.g.
vote'(x) = vote(x) ∨ x = a, so no extra symbols appear) and the invariant's conjuncts.
The proof (:mod:`checker.prove.paxos`) and the bounded check (:mod:`checker.prove.bmc`)
both start from it.

Broken variants, selectable by name (:data:`VARIANTS`), are real mistakes: an invariant
conjunct left out, a protocol step that ignores a rule, the quorum axiom dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

__all__ = [
    "ELEMENT_PREFIX",
    "VARIANTS",
    "Action",
    "Conjunct",
    "Protocol",
    "Rel",
    "State",
    "build_protocol",
]

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


#: how the elements of each sort are named when a model is shown (N0, Q1, R2, ...)
ELEMENT_PREFIX = {"node": "N", "quorum": "Q", "round": "R", "value": "V", "inst": "I"}


# ---------------------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vocabulary:
    """The symbols one protocol is written in: sorts, relations and bound variables.

    Built once per protocol, in a fixed order, and shared by the axioms, the actions and
    the invariant (z3 identifies a constant by name and sort, so these are the same
    terms the formulas would otherwise each declare again).
    """

    multi: bool
    sorts: dict[str, z3.SortRef]  # "inst" only for Multi-Paxos
    signature: dict[str, tuple[str, ...]]  # mutable relation -> argument sort names
    pre: State
    member: z3.FuncDeclRef
    le: z3.FuncDeclRef
    bound: dict[str, z3.ExprRef]  # N N1 N2 Q Q1 Q2 R R1 R2 R3 V V1 V2
    slot: tuple[z3.ExprRef, ...]  # (I,) for Multi-Paxos, () for single-decree

    def lt(self, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
        return z3.Not(self.le(b, a))

    def vars(self, names: str) -> tuple[z3.ExprRef, ...]:
        """Bound variables by name: ``N, R = voc.vars("N R")``."""
        return tuple(self.bound[name] for name in names.split())

    def const(self, name: str, sort: str) -> z3.ExprRef:
        """An action parameter (a constant of the query)."""
        return z3.Const(name, self.sorts[sort])

    def slot_param(self) -> tuple[z3.ExprRef, ...]:
        """An action's slot parameter ``i``: absent in single-decree Paxos."""
        return (self.const("i", "inst"),) if self.multi else ()


def _vocabulary(multi: bool) -> _Vocabulary:
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
    bound_sorts = {"N": node, "Q": quorum, "R": rnd, "V": value}
    names = ["N", "N1", "N2", "Q", "Q1", "Q2", "R", "R1", "R2", "R3", "V", "V1", "V2"]
    bound = {name: z3.Const(name, bound_sorts[name[0]]) for name in names}
    return _Vocabulary(
        multi, sorts, signature, pre, member, le, bound,
        (z3.Const("I", inst),) if multi else (),
    )


def _axioms(voc: _Vocabulary, variant: str) -> list[tuple[str, z3.BoolRef]]:
    """le is a total order; every two quorums share a node (unless the variant drops it)."""
    le, member = voc.le, voc.member
    N, Q1, Q2, R1, R2, R3 = voc.vars("N Q1 Q2 R1 R2 R3")
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
    return axioms


def _initial(voc: _Vocabulary) -> z3.BoolRef:
    """Initially every mutable relation is empty."""

    def all_false(name: str) -> z3.BoolRef:
        xs = [z3.Const(f"X{k}", voc.sorts[s]) for k, s in enumerate(voc.signature[name])]
        return z3.ForAll(xs, z3.Not(voc.pre[name](*xs)))

    return z3.And([all_false(name) for name in voc.signature])


def _plus(rel: Rel, *point: z3.ExprRef) -> Rel:
    """rel ∪ {point}: the post-state relation after adding one tuple."""

    def updated(*xs: z3.ExprRef) -> z3.BoolRef:
        return z3.Or(rel(*xs), z3.And([x == p for x, p in zip(xs, point, strict=True)]))

    return updated


# -- the actions, one function each ----------------------------------------------------


def _send_1a(voc: _Vocabulary) -> Action:
    """send_1a(r): a proposer starts round r."""
    r = voc.const("r", "round")
    return Action("send_1a", (("r", r),), z3.BoolVal(True), {"one_a": _plus(voc.pre["one_a"], r)})


def _join_round(voc: _Vocabulary) -> Action:
    """join_round(n, r): node n promises round r, leaving every lower round."""
    pre = voc.pre
    n, r = voc.const("n", "node"), voc.const("r", "round")
    left_old = pre["left_rnd"]

    def left_after_join(xn: z3.ExprRef, xr: z3.ExprRef) -> z3.BoolRef:
        return z3.Or(left_old(xn, xr), z3.And(xn == n, voc.lt(xr, r)))

    return Action(
        "join_round",
        (("n", n), ("r", r)),
        z3.And(pre["one_a"](r), z3.Not(pre["left_rnd"](n, r))),
        {"one_b": _plus(pre["one_b"], n, r), "left_rnd": left_after_join},
    )


def _propose(voc: _Vocabulary, variant: str) -> Action:
    """propose(r, q, [i,] v, maxr): with 1b from all of q for round r, propose v, which
    must be the value of the highest vote below r among q (maxr), or anything if none."""
    pre, member, lt, le = voc.pre, voc.member, voc.lt, voc.le
    N, R, V = voc.vars("N R V")
    r, q = voc.const("r", "round"), voc.const("q", "quorum")
    v, maxr = voc.const("v", "value"), voc.const("maxr", "round")
    i = voc.slot_param()
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
    return Action(
        "propose",
        (("r", r), ("q", q), *[("i", x) for x in i], ("v", v), ("maxr", maxr)),
        z3.And(guard_parts),
        {"proposal": _plus(pre["proposal"], *i, r, v)},
    )


def _cast_vote(voc: _Vocabulary, variant: str) -> Action:
    """cast_vote(n, r, [i,] v): node n accepts the proposal of round r unless it left r."""
    pre = voc.pre
    n, r, v = voc.const("n", "node"), voc.const("r", "round"), voc.const("v", "value")
    i = voc.slot_param()
    vote_guard: list[z3.BoolRef] = [pre["proposal"](*i, r, v)]
    if variant != "vote-after-leaving":
        vote_guard.append(z3.Not(pre["left_rnd"](n, r)))
    return Action(
        "cast_vote",
        (("n", n), ("r", r), *[("i", x) for x in i], ("v", v)),
        z3.And(vote_guard),
        {"vote": _plus(pre["vote"], n, *i, r, v)},
    )


def _decide(voc: _Vocabulary) -> Action:
    """decide(n, r, [i,] v, q): node n learns v once every member of quorum q voted it in r."""
    (N,) = voc.vars("N")
    n, r, v = voc.const("n", "node"), voc.const("r", "round"), voc.const("v", "value")
    q = voc.const("q", "quorum")
    i = voc.slot_param()
    return Action(
        "decide",
        (("n", n), ("r", r), *[("i", x) for x in i], ("v", v), ("q", q)),
        z3.ForAll([N], z3.Implies(voc.member(N, q), voc.pre["vote"](N, *i, r, v))),
        {"decision": _plus(voc.pre["decision"], n, *i, r, v)},
    )


# -- the invariant ----------------------------------------------------------------------


def _record_conjuncts(voc: _Vocabulary) -> list[Conjunct]:
    """Safety (agreement) and what the recorded proposals, votes and decisions imply."""
    N, N1, N2, Q, R, R1, R2, V, V1, V2 = voc.vars("N N1 N2 Q R R1 R2 V V1 V2")
    I = voc.slot  # noqa: E741  (the slot, absent in single-decree)
    member = voc.member
    slot_text = "I " if voc.multi else ""
    slot_arg = "I," if voc.multi else ""
    return [
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
    ]


def _promise_conjuncts(voc: _Vocabulary) -> list[Conjunct]:
    """What phase 1 guarantees: below a proposal no other value is choosable, and a node
    that promised a round has left every lower one."""
    N, Q, R1, R2, V1, V2 = voc.vars("N Q R1 R2 V1 V2")
    I = voc.slot  # noqa: E741
    member, lt = voc.member, voc.lt
    slot_arg = "I," if voc.multi else ""
    return [
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


def build_protocol(multi: bool = False, variant: str = "correct") -> Protocol:
    """Abstract single-decree Paxos (``multi=False``) or Multi-Paxos with slots."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    voc = _vocabulary(multi)
    axioms = _axioms(voc, variant)
    init = _initial(voc)
    actions = [
        _send_1a(voc),
        _join_round(voc),
        _propose(voc, variant),
        _cast_vote(voc, variant),
        _decide(voc),
    ]
    conjuncts = _record_conjuncts(voc) + _promise_conjuncts(voc)
    dropped = {"missing-choosable": "choosable", "missing-one-b-left": "one_b_left_rounds"}
    conjuncts = [c for c in conjuncts if c.name != dropped.get(variant)]
    return Protocol(
        name="multipaxos" if multi else "paxos",
        variant=variant,
        sorts=voc.sorts,
        signature=voc.signature,
        member=voc.member,
        le=voc.le,
        pre=voc.pre,
        axioms=axioms,
        init=init,
        actions=actions,
        invariant=conjuncts,
    )
