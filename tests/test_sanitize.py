"""The determinism sanitizer: each kind of nondeterminism is caught, the built-in models
are clean, and the static pass flags what it should (toy models: tests/sanitize_toys.py).

The subprocesses run under PYTHONHASHSEED 0 and 1 whatever this process's seed is, so
which difference is found does not depend on the seed pytest runs under.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.cli import main
from explorer.engine.sanitize_static import scan_model, scan_source
from explorer.models import build_model, normalize_config
from explorer.models.config import CheckConfig, Faults
from explorer.testing.sanitize import sanitize
from tests import sanitize_toys as toys

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the subprocesses import tests.sanitize_toys from here


@pytest.mark.parametrize("toy", [toys.Clock, toys.Dice])
def test_clocks_and_random_sources_are_caught_in_process(toy: type[toys._Counter]) -> None:
    report = sanitize(toy(), walks=3, depth=3)
    assert not report.deterministic
    assert report.between == ("run 1", "run 2 in this process")
    d = report.difference
    assert d is not None and d.what == "successor" and d.action == "step" and d.step == 0
    assert [name for name, _, _ in report.fields] == ["[1]"]
    assert "NOT DETERMINISTIC" in report.lines()[0]


@pytest.mark.parametrize("toy", [toys.SetOrder, toys.StrHash])
def test_hash_seed_dependence_is_caught_across_processes(toy: type[toys._Counter]) -> None:
    report = sanitize(toy(), walks=3, depth=3)
    assert not report.deterministic
    assert report.between == ("PYTHONHASHSEED=0", "PYTHONHASHSEED=1")
    assert report.difference is not None and report.difference.what == "successor"
    (name, first, second), = report.fields
    assert name == "[1]" and first != second


def test_the_order_of_enabled_actions_is_compared() -> None:
    report = sanitize(toys.ActionOrder(), walks=2, depth=2)
    d = report.difference
    assert d is not None and d.what == "action order" and d.step == 0
    assert sorted(d.first.split(", ")) == sorted(d.second.split(", ")) and d.first != d.second


def test_an_actor_world_names_the_node_field_that_differed() -> None:
    config = CheckConfig(model="tests.sanitize_toys:GossipSet", faults=Faults())
    report = sanitize(build_model(config), config, walks=2, depth=3)
    d = report.difference
    assert d is not None and d.action == "deliver 0->1 'ping'"
    assert [name for name, _, _ in report.fields] == ["node 1.order"]
    lines = "\n".join(report.lines())
    assert "field node 1.order:" in lines and "action: deliver 0->1 'ping'" in lines


def test_a_deterministic_toy_is_clean_and_subprocesses_ran() -> None:
    report = sanitize(toys.Clean(), walks=3, depth=3)
    assert report.deterministic and report.skipped is None
    assert len(report.executions) == 2 and report.transitions == 9


def test_without_a_rebuildable_config_the_subprocesses_are_skipped_and_said_so() -> None:
    class Unnamed(toys.Clean):
        def config(self) -> dict[str, object]:
            return {"model": "no-such-model"}

    report = sanitize(Unnamed(), walks=1, depth=2)
    assert report.deterministic and report.skipped is not None and "config=" in report.skipped


BUILTIN = [
    CheckConfig(),
    CheckConfig(model="basic"),
    CheckConfig(model="tla-paxos"),
    CheckConfig(model="examples.two_phase_commit:Model"),
]


@pytest.mark.parametrize("config", BUILTIN, ids=lambda c: c.model)
def test_the_built_in_models_are_deterministic(config: CheckConfig) -> None:
    config = normalize_config(config)
    model = build_model(config)
    report = sanitize(model, config, walks=6, depth=20)
    assert report.deterministic, "\n".join(report.lines())
    assert report.skipped is None and report.transitions > 100
    assert report.static == []


def test_static_pass_flags_each_source_and_not_sorted_sets() -> None:
    source = '''
import time
from random import choice
import uuid, threading
import os
PEERS = frozenset({"a", "b"})

class Node:
    names: frozenset[str]

    def on_message(self, me, state, src, msg):
        token = os.urandom(4)
        h = hash(msg)
        for p in PEERS:
            pass
        order = tuple(state.names)
        fine = sorted(state.names), len(state.names), "a" in state.names
        joined = ",".join({"x", "y"})
        return [q for q in set(msg)], fine
'''
    found = [(w.line, w.message.split(" (")[0].split(":")[0]) for w in scan_source(source, "node.py")]
    assert found == [
        (2, "imports time"),
        (3, "imports from random"),
        (4, "imports threading"),
        (4, "imports uuid"),
        (12, "uses os.urandom"),
        (13, "calls hash()"),
        (14, "iterates over a set"),
        (16, "tuple() of a set"),
        (18, "join() of a set"),
        (19, "iterates over a set"),
    ]


def test_static_pass_reads_the_node_modules_of_a_model() -> None:
    model = build_model(CheckConfig(model="tests.sanitize_toys:GossipSet"))
    warnings = [str(w) for w in scan_model(model)]
    assert warnings and all(w.startswith("tests/sanitize_toys.py:") for w in warnings)
    assert any("tuple() of a set" in w for w in warnings)


def test_cli_sanitize_stops_a_nondeterministic_model_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["check", "--model", "tests.sanitize_toys:SetOrder", "--sanitize", "--traces", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("synod check: the model is not deterministic")
    assert "NOT DETERMINISTIC" in out and "field [1]:" in out and "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []  # no search, no trace


def test_cli_sanitize_then_checks_a_clean_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--model", "tests.sanitize_toys:Clean", "--sanitize", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "holds" and data["sanitize"]["deterministic"] is True
