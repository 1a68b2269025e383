"""Check your own protocol: two-phase commit with a bug, in one page of Python.

    synod check --model examples.two_phase_commit:Model                   # finds the bug
    synod check --model examples.two_phase_commit:Model --variant fixed   # holds

Nodes follow the sans-IO contract of ``paxos_core/events.py``: state goes in, state and
outputs come out, nothing is kept on the object. The actor adapter supplies the network
(message loss, duplication, crashes within the ``--faults`` budgets) and the search.
"""

from __future__ import annotations

from typing import Any

from explorer.actors import ActorModel, World
from explorer.engine.model import Property
from explorer.models.config import CheckConfig
from paxos_core.events import CancelTimer, Send, SetTimer

COORDINATOR = 0


class Coordinator:
    """Sends prepare, collects votes, decides. The bug: it commits on a majority of
    yes votes instead of waiting for every participant (variant ``fixed`` waits)."""

    def __init__(self, participants: tuple[int, ...], unanimous: bool) -> None:
        self.participants = participants
        self.needed = len(participants) if unanimous else len(participants) // 2 + 1

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return ("collecting", ()), tuple(Send(p, "prepare") for p in self.participants)

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        phase, yes = state
        if phase != "collecting":
            return state, ()
        if msg == "no":
            return ("abort", yes), tuple(Send(p, "abort") for p in self.participants)
        yes = tuple(sorted(set(yes) | {src}))
        if len(yes) >= self.needed:
            return ("commit", yes), tuple(Send(p, "commit") for p in self.participants)
        return ("collecting", yes), ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state  # the coordinator logs everything durably

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


class Participant:
    """Votes yes when asked, unless its give-up timer fired first (then it aborts alone)."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return "working", (SetTimer("give-up"),)

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        if msg == "prepare":
            if state == "working":
                return "prepared", (CancelTimer("give-up"), Send(src, "yes"))
            return state, (Send(src, "no"),) if state == "aborted" else ()
        if msg == "commit" and state == "prepared":
            return "committed", ()
        if msg == "abort" and state != "committed":
            return "aborted", ()
        return state, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return ("aborted" if state == "working" else state), ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def Model(config: CheckConfig) -> ActorModel:  # the name given to --model
    """Coordinator 0 and ``--nodes`` participants 1..N, with ``--faults`` and ``--network``."""
    participants = tuple(range(1, config.nodes + 1))
    actors: dict[int, Any] = {COORDINATOR: Coordinator(participants, config.variant == "fixed")}
    actors.update({p: Participant() for p in participants})

    def outcomes(world: World) -> set[Any]:
        return {world.actors[p] for p in participants}  # actor address == index here

    return ActorModel(
        actors,
        servers=actors,
        network=config.network,
        faults=config.faults,
        properties=[
            Property.always(
                "atomicity",
                lambda w: not {"committed", "aborted"} <= outcomes(w),
                "no participant commits while another aborts",
            ),
            Property.sometimes("commits", lambda w: "committed" in outcomes(w), "a commit happens"),
        ],
        format_message=str,
        name="two-phase-commit",
        config_data=config.to_json(),
    )


Model.VARIANTS = ("buggy", "fixed")  # type: ignore[attr-defined]  # first: the default
