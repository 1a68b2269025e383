"""Why a property is false in a state: the parts of the state it failed on.

- a model's own ``explain(property_name, state) -> list[str]`` hook wins;
- Paxos models (``multipaxos``, ``basic``): the problems ``checker.invariants`` finds
  (``explorer.models.paxos_properties.problems_in``) and, for agreement and "learned is
  chosen", the votes behind them: per slot, which acceptors voted for which value in
  which ballot, and whether that is a quorum; for linearizability, the operation that
  cannot be placed, the longest linearizable prefix and the model state after it;
- any other model: the condition is false, and nothing more is known.

Each explanation is ``{"lines": [...], "parts": [{"title": ..., "rows": [...]}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from explorer.actors import World
from explorer.engine.model import Model, Property
from explorer.models.config import CheckConfig
from explorer.models.paxos import cluster_config
from explorer.models.paxos_properties import LEARNED_IS_CHOSEN, PaxosModel, problems_in
from explorer.models.paxos_views import (
    LinearizabilityCache,
    PaxosViews,
    history_operations,
    nominal_quorum,
)


class Part(TypedDict):
    title: str
    rows: list[str]


class Explanation(TypedDict):
    lines: list[str]
    parts: list[Part]


NO_EXPLANATION = (
    "the property's condition is false in this state (the model gives no explanation: "
    "give it an explain(property_name, state) method that returns lines)"
)


def explain(model: Model[Any, Any], config: CheckConfig | None, prop: Property[Any], state: Any) -> Explanation:
    """Why ``prop`` is false in ``state`` (call it only when it is)."""
    hook = getattr(model, "explain", None)
    if callable(hook):
        lines = [str(line) for line in hook(prop.name, state)]
        return Explanation(lines=lines or [NO_EXPLANATION], parts=[])
    if isinstance(model, PaxosModel) and config is not None and isinstance(state, World):
        return _paxos_explanation(model, config, prop, state)
    return Explanation(lines=[NO_EXPLANATION], parts=[])


def _paxos_explanation(model: Any, config: CheckConfig, prop: Property[Any], world: World) -> Explanation:
    cluster = cluster_config(config)
    if prop.name == "linearizable":
        return _linearizability_explanation(config, world)
    lines = problems_in(config, cluster, world).get(prop.name, [])
    parts: list[Part] = []
    if prop.name in ("agreement", LEARNED_IS_CHOSEN):
        views = PaxosViews(config.nodes, nominal_quorum(config), config.model == "multipaxos", cluster.initial_leader)
        parts = vote_parts(views.votes(world), views.learned(world), views.quorum, _slots_in(lines))
    return Explanation(lines=lines or [NO_EXPLANATION], parts=parts)


def _slots_in(lines: Sequence[str]) -> set[int]:
    """The slots named by problem lines (``slot 3: ...``)."""
    slots = set()
    for line in lines:
        head = line.split(":", 1)[0]
        if head.startswith("slot ") and head[5:].isdigit():
            slots.add(int(head[5:]))
    return slots


def vote_parts(votes: Sequence[Any], learned: dict[int, dict[int, Any]], quorum: int, slots: set[int]) -> list[Part]:
    """Per slot in ``slots``: the acceptors behind each (ballot, value), quorums marked,
    and which replicas learned what."""
    parts: list[Part] = []
    for slot in sorted(slots):
        voters: dict[tuple[str, str], list[int]] = {}
        for vote in votes:
            if vote.slot == slot:
                voters.setdefault((repr(vote.ballot), repr(vote.value)), []).append(vote.acceptor)
        rows = []
        for (ballot, value), acceptors in sorted(voters.items()):
            names = ", ".join(str(a) for a in sorted(set(acceptors)))
            mark = f"a quorum of {quorum}" if len(set(acceptors)) >= quorum else f"not a quorum of {quorum}"
            rows.append(f"ballot {ballot}: {value} voted by {names} ({mark})")
        for node in sorted(learned):
            if slot in learned[node]:
                rows.append(f"replica {node} learned {learned[node][slot]!r}")
        parts.append(Part(title=f"slot {slot}: votes and learned values", rows=rows))
    return parts


def _linearizability_explanation(config: CheckConfig, world: World) -> Explanation:
    from checker import lin

    model = LinearizabilityCache(config.model == "multipaxos").model()
    result = lin.check(history_operations(world.history), model, timeout=10.0)
    if result.verdict != lin.NOT_LINEARIZABLE:
        return Explanation(lines=[f"the linearizability checker says {result.verdict}"], parts=[])
    lines: list[str] = []
    parts: list[Part] = []
    for witness in result.witnesses:
        label = "" if witness.label is None else f" (key {witness.label!r})"
        blocked = witness.blocked
        lines.append(
            f"no order of the operations{label} explains the replies: "
            + (f"{_op_text(blocked)} cannot be placed" if blocked is not None else "no operation fits")
            + f" after the longest linearizable prefix ({len(witness.prefix)} operations)"
        )
        rows = [f"{i + 1}. {_op_text(op)}" for i, op in enumerate(witness.prefix)] or ["(empty)"]
        rows.append(f"state after the prefix: {witness.state_text}")
        if blocked is not None:
            rows.append(f"cannot be placed next: {_op_text(blocked)}")
        parts.append(Part(title=f"longest linearizable prefix{label}", rows=rows))
    return Explanation(lines=lines, parts=parts)


def _op_text(op: Any) -> str:
    words = " ".join(map(str, op.input))
    output = "pending (outcome unknown)" if op.ret is None else f"-> {op.output!r}"
    return f"client {op.process}: {words} {output}"
