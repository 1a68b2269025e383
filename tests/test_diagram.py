"""Message sequence diagrams: structure (columns, arrows, marks, the failing step)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from explorer.actors import ActorModel
from explorer.engine.model import Model
from explorer.models.config import Faults
from explorer.replay.diagram import render_html, render_terminal, render_text
from tests.test_actors import counter_model, gossip_model


def run(model: ActorModel, labels: Sequence[str]) -> tuple[list[Any], list[Any]]:
    state = model.init_states()[0]
    states, actions = [state], []
    for label in labels:
        action = {model.format_action(a): a for a in model.actions(state)}[label]
        state = model.next_state(state, action)
        actions.append(action)
        states.append(state)
    return states, actions


GOSSIP_RUN = [
    "partition 0",
    "deliver 1->2 Gossip(value=1)",
    "drop 2->1 Gossip(value=2)",
    "dup 0->2 Gossip(value=0)",
    "heal 0",
    "crash 2",
    "deliver 2->0 Gossip(value=2)",
    "timer 1 retry",
]


def gossip_run() -> tuple[ActorModel, list[Any], list[Any]]:
    model = gossip_model(3, Faults(drop=1, dup=1, crash=1, partition=1))
    states, actions = run(model, GOSSIP_RUN[:-1])
    return model, states, actions


def test_columns_for_clients_and_replicas() -> None:
    model = counter_model()
    states, actions = run(model, ["deliver 1->0 Inc(client=1)"])
    lines = render_text(model, states, actions).splitlines()
    assert "Clients" in lines[0] and "Replicas" in lines[0]
    assert lines[0].index("Clients") < lines[0].index("Replicas")
    # client 1 is drawn left of replica 0
    assert lines[1].index("1") < lines[1].index("0")


def test_delivery_is_an_arrow_from_sender_to_receiver() -> None:
    model = counter_model()
    states, actions = run(model, ["deliver 1->0 Inc(client=1)", "deliver 0->1 Ack(count=1)"])
    lines = render_text(model, states, actions).splitlines()
    header = lines[1]
    client_x, server_x = header.index("1"), header.index("0")
    request = next(line for line in lines if line.strip().startswith("1 ") and "Inc(client=1)" in line)
    assert request[client_x] == "#" and request[server_x - 1] == ">"
    assert set(request[client_x + 1 : server_x - 1]) == {"-"}
    reply = next(line for line in lines if "Ack(count=1)" in line)
    assert reply[server_x] == "#" and reply[client_x + 1] == "<"
    assert "client 1 gets #1 -> 1" in reply


def test_faults_are_marked() -> None:
    model, states, actions = gossip_run()
    text = render_text(model, states, actions)
    lines = text.splitlines()
    x = {addr: lines[1].index(str(addr)) for addr in (0, 1, 2)}
    by_step = {int(line[:4].strip("! ")): line for line in lines[2:] if line[:4].strip("! ").isdigit()}
    assert by_step[1][5 + x[0] - 5] == "%"  # partition isolates 0
    assert "x" in by_step[3] and "drop Gossip(value=2)" in by_step[3]
    assert "=" in by_step[4] and "dup Gossip(value=0)" in by_step[4]
    assert by_step[5][x[0]] == "~"
    assert by_step[6][x[2]] == "X"
    assert by_step[7][x[2]] == "#" and by_step[7][x[0] + 1] == "<"


def test_crashed_column_is_dotted_until_restart() -> None:
    model = gossip_model(4, Faults(crash=1))
    states, actions = run(model, ["crash 3", "deliver 0->1 Gossip(value=0)", "restart 3", "deliver 1->0 Gossip(value=1)"])
    lines = render_text(model, states, actions).splitlines()
    x3 = lines[1].index("3")
    assert lines[2][x3] == "X"
    assert lines[3][x3] == ":"
    assert lines[4][x3] == "R"
    assert lines[5][x3] == "|"


def test_failing_step_is_marked() -> None:
    model, states, actions = gossip_run()
    lines = render_text(model, states, actions, fail_step=3, property_name="agreement").splitlines()
    marked = [k for k, line in enumerate(lines) if line.startswith("!!")]
    assert len(marked) == 1 and "drop Gossip(value=2)" in lines[marked[0]]
    assert "'agreement' violated after step 3" in lines[marked[0] + 1]
    initial = render_text(model, states, actions, fail_step=0, property_name="p")
    assert "violated in the initial state" in initial


def test_terminal_rendering_is_a_rich_text_with_the_same_lines() -> None:
    model, states, actions = gossip_run()
    rendered = render_terminal(model, states, actions, 3, "agreement")
    assert isinstance(rendered, Text)
    assert rendered.plain.splitlines()[3].rstrip() == render_text(model, states, actions, 3, "agreement").splitlines()[3]
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(rendered)
    assert "\x1b[" in console.export_text(styles=True)  # coloured


def test_html_is_one_self_contained_page() -> None:
    model, states, actions = gossip_run()
    page = render_html(model, states, actions, 3, "agree<ment>")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<style>" in page and "src=" not in page and "href=" not in page and "http" not in page
    assert "agree&lt;ment&gt;" in page and "<ment>" not in page
    assert page.count('class="fail"') >= 2
    assert "Gossip(value=1)" in page and "#--&gt;|" in page


class Counter(Model[int, str]):
    name = "counter"

    def init_states(self) -> Sequence[int]:
        return [0]

    def actions(self, state: int) -> list[str]:
        return ["inc", "double"]

    def next_state(self, state: int, action: str) -> int:
        return state + 1 if action == "inc" else state * 2

    def format_action(self, action: str) -> str:
        return action


def test_other_models_fall_back_to_a_numbered_list() -> None:
    model = Counter()
    text = render_text(model, [0, 1, 2, 4], ["inc", "inc", "double"], 3, "small")
    lines = text.splitlines()
    assert lines[1].split() == ["1", "inc"]
    assert lines[3].startswith("!!") and lines[3].split()[-1] == "double"
    assert "'small' violated after step 3" in lines[4]
    assert "double" in render_html(model, [0, 1, 2, 4], ["inc", "inc", "double"], 3, "small")
