"""Traces: round trip, thorough validation of broken files, atomic writes, replay outcomes."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.engine.results import SearchSettings, Violation
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.replay.reproduce import replay_trace
from explorer.replay.trace import (
    SCHEMA_VERSION,
    Trace,
    TraceError,
    load_trace,
    save_trace,
    state_fingerprint,
    trace_from_json,
    trace_from_violation,
    write_text_atomic,
)

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _bug_trace(variant: str = "bug") -> Trace:
    config = CheckConfig(model=TOY, variant=variant, faults=Faults())
    model = build_model(config)
    violation = Violation("x_small", "always", ["inc x", "inc y", "inc x"], [(0, 0), (1, 0), (1, 1), (2, 1)])
    return trace_from_violation(model, config, SearchSettings(seed=5), violation)


def test_trace_round_trips_through_json(tmp_path: Path) -> None:
    trace = _bug_trace()
    path = save_trace(trace, tmp_path / "new")
    loaded = load_trace(path)
    assert loaded == trace
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA_VERSION
    assert data["step"] == 3
    assert data["search"]["seed"] == 5
    assert data["history"] == [{"x": 2, "y": 1}]
    assert data["final_fingerprint"] == state_fingerprint((2, 1))
    assert data["property"] == {"name": "x_small", "kind": "always", "description": "x stays below its limit"}


def test_config_extra_round_trips_with_tuples_and_stays_hashable() -> None:
    # JSON has no tuples: from_json turns lists in extra back into (nested) tuples.
    config = CheckConfig(
        model="basic", extra=(("client_targets", (1, 0)), ("nested", ((1, 2), (3,))), ("retries", 0))
    )
    again = CheckConfig.from_json(json.loads(json.dumps(config.to_json())))
    assert again == config
    assert hash(again) == hash(config)


def test_trace_file_name_is_sanitised(tmp_path: Path) -> None:
    path = save_trace(_bug_trace(), tmp_path)
    assert path.name == f"tests.test_cli_toy_models-Counter-bug-x_small-{state_fingerprint((2, 1))[:8]}.json"


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4).map(tuple) | st.frozensets(inner.filter(lambda v: not isinstance(v, tuple)), max_size=4),
        max_leaves=12,
    )
)
def test_fingerprint_is_16_hex_digits_and_equal_for_equal_values(value: Any) -> None:
    fp = state_fingerprint(value)
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert state_fingerprint(copy.deepcopy(value)) == fp


def _mutations() -> list[tuple[str, Any]]:
    def drop(key: str) -> Any:
        return lambda d: d.pop(key)

    def put(path: tuple[str, ...], value: Any) -> Any:
        def apply(d: dict[str, Any]) -> None:
            for key in path[:-1]:
                d = d[key]
            d[path[-1]] = value
        return apply

    return [
        ("schema version", put(("schema",), 99)),
        ("schema bool", put(("schema",), True)),
        ("format", put(("format",), "something-else")),
        ("missing actions", drop("actions")),
        ("missing config", drop("config")),
        ("missing property", drop("property")),
        ("unknown key", put(("surprise",), 1)),
        ("actions not list", put(("actions",), "inc x")),
        ("action not str", put(("actions",), ["inc x", 3, "inc x"])),
        ("step mismatch", put(("step",), 7)),
        ("step bool", put(("step",), True)),
        ("init negative", put(("init",), -1)),
        ("fingerprint", put(("final_fingerprint",), "xyz")),
        ("unknown model", put(("config", "model"), "no-such-model")),
        ("bad custom model", put(("config", "model"), "not valid:")),
        ("nodes string", put(("config", "nodes"), "3")),
        ("nodes zero", put(("config", "nodes"), 0)),
        ("nodes bool", put(("config", "nodes"), True)),
        ("config key missing", lambda d: d["config"].pop("ballots")),
        ("config key unknown", put(("config", "colour"), "red")),
        ("faults not ints", put(("config", "faults"), {"drop": "1"})),
        ("faults unknown", put(("config", "faults"), {"meteor": 1})),
        ("network", put(("config", "network"), "smoke-signals")),
        ("search strategy", put(("search", "strategy"), "guess")),
        ("search seed type", put(("search", "seed"), "0")),
        ("search unknown", put(("search", "speed"), 11)),
        ("property kind", put(("property", "kind"), "sometimes")),
        ("property name", put(("property", "name"), 5)),
        ("config not object", put(("config",), [1, 2])),
    ]


MUTATIONS = _mutations()


@pytest.mark.parametrize(("label", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_broken_trace_is_a_trace_error(tmp_path: Path, label: str, mutate: Any) -> None:
    data = _bug_trace().to_json()
    trace_from_json(copy.deepcopy(data))  # the unbroken one is fine
    mutate(data)
    with pytest.raises(TraceError) as err:
        trace_from_json(data)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", "null", '{"format": "synod-trace"}'])
def test_unparseable_trace_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(TraceError):
        load_trace(path)


def test_missing_trace_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="no such trace"):
        load_trace(tmp_path / "nope.json")


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    with pytest.raises(TypeError):
        write_text_atomic(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


# -- replay ----------------------------------------------------------------------------


def _replay(trace: Trace, **config_changes: Any) -> Any:
    config = dataclasses.replace(trace.config, **config_changes)
    return replay_trace(build_model(config), dataclasses.replace(trace, config=config))


def test_replay_reproduces() -> None:
    outcome = _replay(_bug_trace())
    assert outcome.status == "reproduced" and outcome.exit_code == 1
    assert outcome.fail_step == 3
    assert outcome.states[-1] == (2, 1)
    assert outcome.fingerprint == _bug_trace().final_fingerprint


def test_replay_now_passes_when_the_bug_is_gone() -> None:
    outcome = _replay(_bug_trace(), variant="correct")
    assert outcome.status == "passes" and outcome.exit_code == 0


def test_replay_diverges_when_an_action_is_not_enabled() -> None:
    outcome = _replay(_bug_trace(), nodes=1)  # x and y stop at 1: the second "inc x" is gone
    assert outcome.status == "diverged" and outcome.exit_code == 4
    assert outcome.diverged_at == 3
    assert outcome.wanted == "inc x"
    assert outcome.enabled == []


def test_replay_diverges_when_the_property_fails_earlier() -> None:
    trace = dataclasses.replace(_bug_trace(), actions=["inc x", "inc x", "inc y"])
    outcome = _replay(trace)
    assert outcome.status == "diverged"
    assert "already at step 2" in outcome.detail


def test_replay_diverges_when_the_model_lacks_the_property() -> None:
    trace = dataclasses.replace(_bug_trace(), property_name="gone")
    outcome = _replay(trace)
    assert outcome.status == "diverged" and "no property 'gone'" in outcome.detail
