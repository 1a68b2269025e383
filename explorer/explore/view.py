"""The JSON the page draws for one state: diagram, panels, diff, actions, properties.

``state_view(session, labels)`` is the whole answer of ``GET /api/s/<id>/state/<path>``:

- ``diagram``: the path as a message sequence diagram, the rows of
  ``explorer.replay.diagram.diagram_rows`` (``[text, style]`` segments), with the first
  step where an ``always`` property fails marked;
- ``panels`` and ``diff``: the state (``state_view.state_panels``) and what the last
  step changed (``state_view.diff_panels``);
- ``actions``: every enabled action, with what it changes and which ``always``
  properties its successor breaks (computed now: one step ahead, never more);
- ``properties``: each property's value here, and for a false one why
  (``explore.why``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explorer.explore.session import Session, Step
from explorer.explore.state_view import changed_nodes, diff_panels, state_panels
from explorer.explore.why import explain
from explorer.replay.diagram import diagram_rows


def _fail_step(session: Session, steps: Sequence[Step]) -> tuple[int | None, str | None]:
    """The first step (0: the initial state) at which an ``always`` property fails."""
    for k, step in enumerate(steps):
        for prop in session.always:
            if not step.values.get(prop.name, True):
                return k, prop.name
    return None, None


def _actions(session: Session, state: Any, depth: int) -> list[dict[str, Any]]:
    model = session.model
    out = []
    beyond = session.max_depth is not None and depth >= session.max_depth
    holding = [p for p in session.always if p.condition(state)]
    for label, action, nxt in session.enabled(state):
        # what this step would break (a property already false here is shown as such)
        breaks = [p.name for p in holding if not p.condition(nxt)]
        out.append(
            {
                "label": label,
                "kind": model.action_kind(action),
                "changes": changed_nodes(model, state, nxt),
                "breaks": breaks,
                "outside_bounds": not model.within_boundary(nxt),
                "beyond_depth": beyond,
            }
        )
    return out


def _properties(session: Session, state: Any) -> list[dict[str, Any]]:
    out = []
    for prop in session.properties:
        holds = bool(prop.condition(state))
        if prop.kind == "sometimes":
            status = "witnessed here" if holds else "not here"
        elif prop.kind == "final":
            status = "holds if the run ends here" if holds else "VIOLATED if the run ends here"
        else:
            status = "holds" if holds else "VIOLATED"
        why = None
        if not holds and prop.kind != "sometimes":
            why = explain(session.model, session.config, prop, state)
        out.append(
            {
                "name": prop.name,
                "kind": prop.kind,
                "description": prop.description,
                "holds": holds,
                "status": status,
                "why": why,
            }
        )
    return out


def state_view(session: Session, labels: Sequence[str]) -> dict[str, Any]:
    """The page's view of the state ``labels`` lead to (PathError if they lead nowhere)."""
    steps = session.walk(labels)
    with session.lock:
        model = session.model
        state = steps[-1].state
        states = [s.state for s in steps]
        actions = [s.action for s in steps[1:]]
        fail_step, fail_property = _fail_step(session, steps)
        properties = _properties(session, state)
        if fail_step is None:
            # a "final" property judges the run as it stands: mark where it ends
            final = next((p for p in properties if p["kind"] == "final" and not p["holds"]), None)
            if final is not None:
                fail_step, fail_property = len(labels), final["name"]
        rows = diagram_rows(model, states, actions, fail_step, fail_property)
        panels = state_panels(model, state)
        diff = diff_panels(state_panels(model, steps[-2].state), panels) if len(steps) > 1 else None
        return {
            "session": session.id,
            "path": list(labels),
            "depth": len(labels),
            "last_action": labels[-1] if labels else None,
            "diagram": {
                "rows": [[list(segment) for segment in row] for row in rows],
                "fail_step": fail_step,
                "fail_property": fail_property,
            },
            "panels": panels,
            "diff": diff,
            "actions": _actions(session, state, len(labels)),
            "properties": properties,
        }
