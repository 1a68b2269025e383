"""A state as panels of rows, for the page, and the difference between two such views.

Every model's state becomes a list of :class:`Panel` (a card on the page), each a list
of :class:`Row` (a key and the text of its value). The page draws panels without
knowing the model; the diff compares rows by ``panel id / row key``, so "what the last
step changed" is the same code for Paxos, tla-paxos and a user's model.

Where the panels come from, in order of preference:

- the model's own ``describe_node(address, state)`` (actor models) or
  ``describe(state)`` (any model) hook: a mapping of names to values, shown as given;
- for an :class:`~explorer.actors.ActorModel`: one panel per node (a state with
  ``durable`` and ``volatile`` parts, as paxos_core's replicas have, is shown as the two
  groups apart), then the messages in flight, the armed timers, the fault budgets left,
  and the client history;
- otherwise the state's fields (NamedTuple, dataclass, mapping, tuple), one row each.

Multisets (messages in flight) are keyed by their text and occurrence, so a delivered
message shows as removed and a sent one as added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from explorer.actors import ActorModel, World
from explorer.actors.faults import FAULT_KINDS
from explorer.engine.model import Model


class Row(TypedDict):
    key: str
    group: str  # a heading inside the panel ("durable", "volatile"), or ""
    text: str


class Panel(TypedDict):
    id: str
    title: str
    status: str  # "" or a short word the page shows as a badge ("crashed", "isolated")
    rows: list[Row]


class Removed(TypedDict):
    panel: str
    key: str
    text: str


class Diff(TypedDict):
    changed: list[str]  # "panel/key" whose text changed
    before: dict[str, str]  # "panel/key" -> its text before the step (for changed rows)
    added: list[str]  # "panel/key" new in this state
    removed: list[Removed]  # rows gone since the parent state


def value_text(value: Any) -> str:
    """The text of one value: ``repr``, which the models keep canonical and readable."""
    return repr(value)


def fields_of(value: Any) -> list[tuple[str, Any]] | None:
    """``(name, value)`` of a NamedTuple, dataclass or mapping; None for anything else."""
    names = getattr(type(value), "_fields", None)
    if isinstance(value, tuple) and names:
        return list(zip(names, value, strict=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, Mapping):
        return sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
    return None


def rows_of(value: Any, group: str = "") -> list[Row]:
    """One row per field of ``value`` (one row of its whole text when it has none)."""
    found = fields_of(value)
    if found is None:
        if isinstance(value, list | tuple):
            found = [(str(i), v) for i, v in enumerate(value)]
        else:
            return [Row(key=f"{group}." if group else "value", group=group, text=value_text(value))]
    prefix = f"{group}." if group else ""
    return [Row(key=prefix + name, group=group, text=value_text(v)) for name, v in found]


def mapping_panels(described: Mapping[str, Any], prefix: str = "") -> list[Panel]:
    """A model's ``describe(state)``: one panel per top-level name."""
    panels: list[Panel] = []
    for name, value in described.items():
        if isinstance(value, list | tuple) and not fields_of(value):
            rows = multiset_rows(value_text(v) for v in value)
        else:
            rows = rows_of(value)
        panels.append(Panel(id=f"{prefix}{name}", title=str(name), status="", rows=rows))
    return panels


def multiset_rows(texts: Iterable[str], group: str = "") -> list[Row]:
    """Rows of a multiset: keyed by text and occurrence (``text#2`` for a second copy)."""
    seen: dict[str, int] = {}
    rows: list[Row] = []
    for text in texts:
        seen[text] = seen.get(text, 0) + 1
        key = text if seen[text] == 1 else f"{text}#{seen[text]}"
        rows.append(Row(key=key, group=group, text=text))
    return rows


def node_rows(model: ActorModel, address: int, state: Any) -> list[Row]:
    """The rows of one node: the model's ``describe_node``, or durable and volatile apart."""
    hook = getattr(model, "describe_node", None)
    if callable(hook):
        described = hook(address, state)
        return [Row(key=str(k), group="", text=value_text(v)) for k, v in dict(described).items()]
    if hasattr(state, "durable") and hasattr(state, "volatile"):
        rows = rows_of(state.durable, "durable")
        if state.volatile is None:
            rows.append(Row(key="volatile", group="volatile", text="(lost: the node is down)"))
        else:
            rows.extend(rows_of(state.volatile, "volatile"))
        return rows
    return rows_of(state)


def actor_panels(model: ActorModel, world: World) -> list[Panel]:
    """The panels of an actor world: nodes, network, timers, faults, history."""
    panels: list[Panel] = []
    isolated = set(world.isolated)
    for address in (*model.servers, *model.clients):
        role = "server" if address in model.servers else "client"
        status = "crashed" if address in world.crashed else "isolated" if address in isolated else ""
        panels.append(
            Panel(
                id=f"node-{address}",
                title=f"{role} {address}",
                status=status,
                rows=node_rows(model, address, model.actor_state(world, address)),
            )
        )
    messages = [
        f"{src}->{dst} {model.format_message(msg)}" for src, dst, msg in model.in_flight(world)
    ]
    panels.append(Panel(id="network", title="messages in flight", status="", rows=multiset_rows(messages)))
    timers = [
        Row(key=f"node {address}: {name}", group="", text=f"node {address}: {name}")
        for address, names in zip(model.addresses, world.timers, strict=True)
        for name in names
    ]
    panels.append(Panel(id="timers", title="armed timers", status="", rows=timers))
    faults = [
        Row(key=kind, group="budget left", text=str(left))
        for kind, left in zip(FAULT_KINDS, world.budgets, strict=True)
    ]
    faults.append(Row(key="crashed", group="now", text=", ".join(map(str, world.crashed)) or "none"))
    faults.append(Row(key="isolated", group="now", text=", ".join(map(str, world.isolated)) or "none"))
    if world.fires_left:
        faults.append(Row(key="timer fires left", group="now", text=value_text(world.fires_left)))
    panels.append(Panel(id="faults", title="faults", status="", rows=faults))
    history = [
        Row(key=str(i), group="", text=_event_text(ev)) for i, ev in enumerate(model.history(world))
    ]
    panels.append(Panel(id="history", title="client history", status="", rows=history))
    return panels


def _event_text(event: Mapping[str, Any]) -> str:
    if event.get("type") == "invoke":
        op = event.get("op")
        words = " ".join(map(str, op)) if isinstance(op, list) else str(op)
        return f"client {event.get('client')} invokes #{event.get('seq')}: {words}"
    return f"client {event.get('client')} gets #{event.get('seq')}: {event.get('result')!r}"


def state_panels(model: Model[Any, Any], state: Any) -> list[Panel]:
    """The panels of ``state`` under ``model`` (see the module docstring for the order)."""
    describe = getattr(model, "describe", None)
    if callable(describe):
        described = describe(state)
        if isinstance(described, Mapping):
            return mapping_panels(described)
    if isinstance(model, ActorModel) and isinstance(state, World):
        return actor_panels(model, state)
    return [Panel(id="state", title="state", status="", rows=rows_of(state))]


def diff_panels(before: list[Panel], after: list[Panel]) -> Diff:
    """What changed from ``before`` to ``after``, row by row (keys ``panel/key``)."""
    old = {(p["id"], r["key"]): r["text"] for p in before for r in p["rows"]}
    new = {(p["id"], r["key"]): r["text"] for p in after for r in p["rows"]}
    before_text = {
        f"{pid}/{key}": old[(pid, key)]
        for (pid, key), text in new.items()
        if (pid, key) in old and old[(pid, key)] != text
    }
    changed = list(before_text)
    added = [f"{pid}/{key}" for (pid, key) in new if (pid, key) not in old]
    removed = [
        Removed(panel=pid, key=key, text=text) for (pid, key), text in old.items() if (pid, key) not in new
    ]
    # A node going down or coming back changes its badge but maybe no row.
    old_status = {p["id"]: p["status"] for p in before}
    for panel in after:
        if panel["id"] in old_status and old_status[panel["id"]] != panel["status"]:
            changed.append(f"{panel['id']}/")
    return Diff(changed=changed, before=before_text, added=added, removed=removed)


def changed_nodes(model: Model[Any, Any], before: Any, after: Any) -> list[str]:
    """What a step from ``before`` to ``after`` changes, named for the action list:
    ``node 1``, ``network``, ... (actor models), else the panels whose rows differ."""
    if isinstance(model, ActorModel) and isinstance(before, World) and isinstance(after, World):
        names = [
            f"node {address}"
            for address, old, new in zip(model.addresses, before.actors, after.actors, strict=True)
            if old is not new and old != new
        ]
        names += [f"node {a}" for a in sorted(set(before.crashed) ^ set(after.crashed)) if f"node {a}" not in names]
        if before.network != after.network:
            names.append("network")
        if before.isolated != after.isolated:
            names.append("links")
        return names
    diff = diff_panels(state_panels(model, before), state_panels(model, after))
    touched = {key.split("/", 1)[0] for key in (*diff["changed"], *diff["added"])}
    touched |= {r["panel"] for r in diff["removed"]}
    return sorted(touched)
