"""The explorer's JSON API, tested directly (JSON in and out, a server in this process)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from explore_server import (
    AGREEMENT_TRACE,
    LINEARIZABLE_TRACE,
    ROOT,
    config_session,
    get,
    request,
    serving,
    state_path,
    trace_session,
)
from search_toys import GridModel

from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.explore.server import decode_path, encode_path
from explorer.explore.session import Session
from explorer.explore.why import NO_EXPLANATION
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults


def _text(view: dict[str, Any]) -> str:
    return "\n".join("".join(seg[0] for seg in row) for row in view["diagram"]["rows"])


def _prop(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in view["properties"] if p["name"] == name)


def _rows(view: dict[str, Any], panel: str) -> dict[str, str]:
    found = next(p for p in view["panels"] if p["id"] == panel)
    return {r["key"]: r["text"] for r in found["rows"]}


@pytest.fixture(scope="module")
def agreement() -> Any:
    session, trace = trace_session(AGREEMENT_TRACE)
    with serving(session) as server:
        yield server, session, trace


def test_root_redirects_to_the_first_session(agreement: Any) -> None:
    server, session, _ = agreement
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 302
    assert response.getheader("Location") == f"/s/{session.id}/"
    conn.close()
    status, page = get(server, f"/s/{session.id}/anything/at/all")
    assert status == 200 and '<script src="/static/app.js"' in page


def test_session_info_names_the_model_and_the_trace(agreement: Any) -> None:
    server, session, trace = agreement
    status, info = get(server, f"/api/s/{session.id}")
    assert status == 200
    assert info["model"] == "multipaxos" and info["config"]["variant"] == "fill-holes-with-own"
    assert info["trace"]["actions"] == trace.actions and info["trace"]["property"] == "agreement"
    assert "agreement" in [p["name"] for p in info["properties"]]
    status, listed = get(server, "/api/sessions")
    assert [s["session"] for s in listed] == [session.id]


def test_walking_the_trace_grows_the_diagram_one_row_per_step(agreement: Any) -> None:
    server, session, trace = agreement
    previous_rows = None
    for k in range(len(trace.actions) + 1):
        status, view = get(server, state_path(session, trace.actions[:k]))
        assert status == 200, view
        assert view["depth"] == k and view["path"] == trace.actions[:k]
        step_rows = [row for row in view["diagram"]["rows"] if row[0][0].strip().lstrip("!").strip().isdigit()]
        assert len(step_rows) == k
        if previous_rows is not None:
            assert step_rows[:-1] == previous_rows[: k - 1] or k == len(trace.actions)
        previous_rows = step_rows
        agreement_holds = _prop(view, "agreement")["holds"]
        assert agreement_holds == (k < len(trace.actions))  # it fails exactly at the last step


def test_the_violating_state_says_why_with_the_two_quorums(agreement: Any) -> None:
    server, session, trace = agreement
    _, view = get(server, state_path(session, trace.actions))
    assert "^^ property 'agreement' violated after step 7" in _text(view)
    assert view["diagram"]["fail_step"] == 7
    prop = _prop(view, "agreement")
    assert prop["status"] == "VIOLATED"
    assert any("slot 0: different values decided" in line for line in prop["why"]["lines"])
    (part,) = prop["why"]["parts"]
    votes = [row for row in part["rows"] if row.startswith("ballot")]
    # two ballots, two different commands, each a (phase-2) quorum of one
    assert len(votes) == 2 and all("(a quorum of 1)" in row for row in votes)
    assert "'put', 'x', 1" in votes[0] and "'cas', 'x', 1, 11" in votes[1]
    assert _prop(view, "validity")["why"] is None  # holding properties have no explanation


def test_the_diff_is_what_the_last_step_changed(agreement: Any) -> None:
    server, session, trace = agreement
    _, before = get(server, state_path(session, trace.actions[:-1]))
    _, after = get(server, state_path(session, trace.actions))
    diff = after["diff"]
    assert before["diff"] is not None
    old, new = _rows(before, "node-1"), _rows(after, "node-1")
    assert set(diff["changed"]) >= {f"node-1/{key}" for key in new if old[key] != new[key]}
    assert "node-1/durable.votes" in diff["changed"]
    assert diff["before"]["node-1/durable.votes"] == old["durable.votes"]
    assert not [key for key in diff["changed"] if key.startswith("node-0/")]  # node 0 did not move
    # the delivered Promise left the network
    assert [r for r in diff["removed"] if r["panel"] == "network" and "Promise" in r["text"]]
    _, initial = get(server, state_path(session, []))
    assert initial["diff"] is None and initial["last_action"] is None


def test_each_action_names_in_advance_the_nodes_it_changes(agreement: Any) -> None:
    server, session, trace = agreement
    path = trace.actions[:3]
    _, view = get(server, state_path(session, path))
    assert view["actions"], "some action is enabled"
    for action in view["actions"]:
        _, nxt = get(server, state_path(session, [*path, action["label"]]))
        touched = {key.split("/")[0] for key in [*nxt["diff"]["changed"], *nxt["diff"]["added"]]}
        touched |= {r["panel"] for r in nxt["diff"]["removed"]}
        nodes = {f"node {p.split('-', 1)[1]}" for p in touched if p.startswith("node-")}
        assert nodes == {c for c in action["changes"] if c.startswith("node ")}, action["label"]


def test_an_action_shows_the_invariants_it_would_break(agreement: Any) -> None:
    server, session, trace = agreement
    _, view = get(server, state_path(session, trace.actions[:-1]))
    last = next(a for a in view["actions"] if a["label"] == trace.actions[-1])
    assert "agreement" in last["breaks"]
    assert any(not a["breaks"] for a in view["actions"])


def test_branching_off_the_trace(agreement: Any) -> None:
    server, session, trace = agreement
    _, view = get(server, state_path(session, trace.actions[:3]))
    other = next(a["label"] for a in view["actions"] if a["label"] != trace.actions[3])
    status, branched = get(server, state_path(session, [*trace.actions[:3], other]))
    assert status == 200 and branched["last_action"] == other and branched["depth"] == 4


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        ("state/no%20such%20action", 404, "step 1: action 'no such action' is not enabled"),
        ("state/timer%201%20election/nope", 404, "step 2: action 'nope' is not enabled"),
        ("state/bad%zzescape", 400, "broken %-escape"),
        ("state/%ff%fe", 400, "not UTF-8"),
        ("state/timer%201%20election//x", 400, "step 2 is an empty action label"),
        ("statez", 404, "no such API route"),
    ],
)
def test_bad_paths_are_4xx_with_one_clear_line(agreement: Any, raw: str, status: int, words: str) -> None:
    server, session, _ = agreement
    got, answer = get(server, f"/api/s/{session.id}/{raw}")
    assert got == status
    assert words in answer["error"] and "\n" not in answer["error"]


def test_unknown_session_and_route(agreement: Any) -> None:
    server, _, _ = agreement
    status, answer = get(server, "/api/s/0000000000ff/state/")
    assert status == 404 and "no session" in answer["error"]
    assert get(server, "/nowhere")[0] == 404
    assert get(server, "/static/../pyproject.toml")[0] == 404


def test_static_files_are_served_and_load_nothing_from_elsewhere(agreement: Any) -> None:
    server, _, _ = agreement
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        url = server.url.rstrip("/") + f"/static/{name}"
        import urllib.request

        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.headers["Content-Type"].startswith(kind)
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
            text = response.read().decode()
        assert "http://" not in text and "https://" not in text and "@import" not in text
    _, page = get(server, "/s/x/")
    assert "http" not in page


def test_requests_from_elsewhere_are_refused(agreement: Any) -> None:
    server, session, _ = agreement
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", f"/api/s/{session.id}", headers={"Host": f"evil.example:{port}"})
    response = conn.getresponse()
    assert response.status == 403 and "localhost only" in json.loads(response.read())["error"]
    conn.close()
    assert get(server, f"/api/s/{session.id}")[0] == 200  # 127.0.0.1 is fine
    status, answer = request(server, "/api/traces", AGREEMENT_TRACE.read_bytes(), {"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in answer["error"]


def test_a_broken_trace_upload_is_400(agreement: Any) -> None:
    server, _, _ = agreement
    status, answer = request(server, "/api/traces", b"{not json", {"X-Trace-Name": "broken.json"})
    assert status == 400 and answer["error"].startswith("broken.json: not a JSON trace")
    status, answer = request(server, "/api/traces", b'{"format": "synod-trace", "schema": 1}')
    assert status == 400 and "lacks keys" in answer["error"]
    data = json.loads(AGREEMENT_TRACE.read_text())
    data["property"]["name"] = "no such property"
    status, answer = request(server, "/api/traces", json.dumps(data).encode())
    assert status == 400 and "has no property 'no such property'" in answer["error"]
    # too large: refused from the Content-Length alone, before reading the body
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.putrequest("POST", "/api/traces")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(4 * 1024 * 1024 + 1))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "trace too large" in json.loads(response.read())["error"]
    conn.close()


def test_uploading_a_trace_opens_a_session() -> None:
    session, _ = trace_session(AGREEMENT_TRACE)
    with serving(session) as server:
        body = LINEARIZABLE_TRACE.read_bytes()
        status, answer = request(server, "/api/traces", body, {"X-Trace-Name": LINEARIZABLE_TRACE.name})
        assert status == 200 and answer["session"] != session.id
        assert answer["url"] == f"/s/{answer['session']}/"
        # the same trace again is the same session (its URLs stay valid)
        assert request(server, "/api/traces", body)[1]["session"] == answer["session"]
        status, info = get(server, f"/api/s/{answer['session']}")
        assert status == 200 and info["trace"]["property"] == "linearizable"


def test_linearizability_why_names_the_operation_that_cannot_be_placed() -> None:
    session, trace = trace_session(LINEARIZABLE_TRACE)
    with serving(session) as server:
        _, view = get(server, state_path(session, trace.actions))
    prop = _prop(view, "linearizable")
    assert prop["status"] == "VIOLATED if the run ends here"
    assert "client 4: get x -> None cannot be placed" in prop["why"]["lines"][0]
    (part,) = prop["why"]["parts"]
    assert part["rows"][0] == "1. client 2: put x 1 -> 'ok'"
    assert "state after the prefix: {'x': 1}" in part["rows"]
    # a final property fails where the run ends: the diagram marks that step
    assert view["diagram"]["fail_step"] == len(trace.actions)
    assert view["diagram"]["fail_property"] == "linearizable"


def _violation_path(model: Model[Any, Any]) -> list[str]:
    result = search(model, SearchSettings(strategy="bfs", max_depth=8))
    (violation,) = result.violations
    return [model.format_action(a) for a in violation.actions]


def test_a_users_actor_model_is_shown_generically() -> None:
    config = CheckConfig(model="examples.two_phase_commit:Model", variant="buggy")
    session = config_session(config)
    path = _violation_path(session.model)
    with serving(session) as server:
        _, view = get(server, state_path(session, path))
    titles = [p["title"] for p in view["panels"]]
    assert titles[:4] == ["server 0", "server 1", "server 2", "server 3"]
    assert "messages in flight" in titles and "faults" in titles
    prop = _prop(view, "atomicity")
    assert prop["status"] == "VIOLATED" and prop["why"]["lines"] == [NO_EXPLANATION]
    outcomes = {_rows(view, f"node-{p}")["value"] for p in (1, 2, 3)}
    assert {"'committed'", "'aborted'"} <= outcomes  # the generic view shows what broke atomicity


def test_tla_paxos_is_shown_through_its_describe_hook() -> None:
    config = CheckConfig(model="tla-paxos", nodes=3, clients=0, ops=0, faults=Faults())
    session = config_session(config)
    with serving(session) as server:
        _, view = get(server, state_path(session, []))
        first = view["actions"][0]["label"]
        _, nxt = get(server, state_path(session, [first]))
    assert [p["id"] for p in view["panels"]] == ["maxBal", "maxVBal", "maxVal", "msgs"]
    assert nxt["diff"]["added"] and nxt["diff"]["added"][0].startswith("msgs/")
    assert view["diagram"]["rows"][0] == [["step ", "step"], ["action", "header"]]
    assert nxt["diagram"]["rows"][1][1] == [first, "plain"]  # a numbered list of actions


class _Described(GridModel):
    """A plain model with its own renderer and explanation hooks."""

    def describe(self, state: tuple[int, int]) -> dict[str, Any]:
        return {"counters": {"x": state[0], "y": state[1]}}

    def explain(self, name: str, state: tuple[int, int]) -> list[str]:
        return [f"{name}: the walk reached {state}"]


def test_a_model_may_supply_its_renderer_and_explanations() -> None:
    model = _Described(n=2, bad=(1, 0))
    session = Session(model, None)
    with serving(session) as server:
        _, view = get(server, state_path(session, ["x+1"]))
    assert _rows(view, "counters") == {"x": "1", "y": "0"}
    assert _prop(view, "not-bad")["why"]["lines"] == ["not-bad: the walk reached (1, 0)"]
    assert view["diff"]["changed"] == ["counters/x"]


def test_a_plain_model_without_hooks_shows_its_fields() -> None:
    session = Session(GridModel(n=2), None)
    with serving(session) as server:
        _, view = get(server, state_path(session, ["y+1", "y+1"]))
        assert [a["label"] for a in view["actions"]] == ["x+1"]  # y is at its bound
        status, answer = get(server, state_path(session, ["y+1", "y+1", "y+1"]))
    assert _rows(view, "state") == {"0": "0", "1": "2"}
    assert status == 404 and "enabled: x+1" in answer["error"]


class _Exploding(GridModel):
    def properties(self) -> Sequence[Property[tuple[int, int]]]:
        def boom(state: tuple[int, int]) -> bool:
            if state == (1, 0):
                raise RuntimeError("a bug in the user's property")
            return True

        return [Property.always("boom", boom)]


def test_a_failing_model_is_a_500_with_one_line_and_the_server_keeps_serving(capfd: Any) -> None:
    session = Session(_Exploding(n=2), None)
    with serving(session) as server:
        status, answer = get(server, state_path(session, ["x+1"]))
        assert status == 500 and answer["error"] == "internal error: RuntimeError: a bug in the user's property"
        assert get(server, state_path(session, ["y+1"]))[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "a bug in the user's property" in err


def test_labels_round_trip_through_the_url() -> None:
    labels = ["deliver 0->1 Promise(ballot=(2, 1), accepted=())", "a/b c%d", "ünï"]
    assert decode_path(encode_path(labels)) == labels
    assert decode_path("") == [] and decode_path("/") == []


def test_session_ids_do_not_depend_on_the_process() -> None:
    config = CheckConfig(model="basic", nodes=3, clients=1)
    here = Session(build_model(config), config).id
    code = (
        "from explorer.explore.session import Session; from explorer.models import build_model;"
        "from explorer.models.config import CheckConfig;"
        "c = CheckConfig(model='basic', nodes=3, clients=1); print(Session(build_model(c), c).id)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here


def _first_of_kind(server: Any, session: Session, path: list[str], kind: str) -> str:
    _, view = get(server, state_path(session, path))
    return next(a["label"] for a in view["actions"] if a["kind"] == kind)


def test_faults_are_marked_in_the_diagram_and_the_state() -> None:
    config = CheckConfig(model="multipaxos", faults=Faults(drop=1, dup=1, crash=1, partition=1))
    session = config_session(config)
    path: list[str] = []
    with serving(session) as server:
        for kind in ("timer", "dup", "drop", "crash", "partition"):
            path.append(_first_of_kind(server, session, path, kind))
        _, crashed = get(server, state_path(session, path[:4]))
        for kind in ("heal", "restart"):
            path.append(_first_of_kind(server, session, path, kind))
        _, view = get(server, state_path(session, path))
    marks = {"timer": "*", "dup": "=", "drop": "x", "crash": "X", "partition": "%", "heal": "~", "restart": "R"}
    rows = view["diagram"]["rows"][2:]
    for row, kind in zip(rows, ("timer", "dup", "drop", "crash", "partition", "heal", "restart"), strict=True):
        lanes, style = row[1]
        assert style == kind and marks[kind] in lanes, (kind, lanes)
    node = path[3].split()[1]
    panel = next(p for p in crashed["panels"] if p["id"] == f"node-{node}")
    assert panel["status"] == "crashed"
    assert {r["key"]: r["text"] for r in panel["rows"]}["volatile"] == "(lost: the node is down)"
    assert f"node-{node}/" in crashed["diff"]["changed"]  # the badge changed
    assert _rows(crashed, "faults")["crash"] == "0" and _rows(crashed, "faults")["crashed"] == node
    assert _rows(view, "faults")["partition"] == "0" and _rows(view, "faults")["isolated"] == "none"


def test_the_readme_walkthrough_shows_what_the_api_answers(agreement: Any) -> None:
    server, session, trace = agreement
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Reading a counterexample in the browser", 1)[1].split("\n## ", 1)[0]
    assert f"/s/{session.id}/" in section  # the session id is stable: the README's URL is right
    assert f"synod explore --trace traces/{AGREEMENT_TRACE.name}" in section
    block = section.split("shows the two quorums:\n\n```\n", 1)[1].split("```", 1)[0].splitlines()
    _, view = get(server, state_path(session, trace.actions))
    why = _prop(view, "agreement")["why"]
    shown = [*why["lines"], *(part["title"] for part in why["parts"]), *(row for part in why["parts"] for row in part["rows"])]
    assert [line.strip() for line in block] == shown


def test_an_actor_model_may_render_its_nodes() -> None:
    config = CheckConfig(model="examples.two_phase_commit:Model", variant="buggy")
    model = build_model(config)
    model.describe_node = lambda address, state: {"role": "coordinator" if address == 0 else "participant", "says": state}  # type: ignore[attr-defined]
    session = Session(model, config)
    with serving(session) as server:
        _, view = get(server, state_path(session, []))
    assert _rows(view, "node-0")["role"] == "'coordinator'"
    assert _rows(view, "node-2")["role"] == "'participant'" and "says" in _rows(view, "node-2")


def test_basic_paxos_learned_is_chosen_shows_the_votes_short_of_a_quorum() -> None:
    session, trace = trace_session(ROOT / "traces" / "basic-phase2-off-by-one-learned-is-chosen-e987631f.json")
    with serving(session) as server:
        _, view = get(server, state_path(session, trace.actions))
    prop = _prop(view, "learned is chosen")
    assert prop["status"] == "VIOLATED"
    assert any("but no ballot holds" in line for line in prop["why"]["lines"])
    rows = [row for part in prop["why"]["parts"] for row in part["rows"]]
    assert any("not a quorum of" in row for row in rows) and any(" learned " in row for row in rows)
