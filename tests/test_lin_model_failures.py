"""A model whose own code fails is bad input: exit 2, one line naming the model, the
call (with the operation) and the exception; never a traceback, never exit 1 (issue 12,
defect 8). The built-in kv model's append onto a non-string ``--init`` likewise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.lin import check, parse_history
from checker.lin.guard import ModelRaised
from checker.lin.models import make_model
from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent

def _events(n_inc: int, read: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for i in range(n_inc):
        events += [{"process": i, "type": "invoke", "f": "inc"}, {"process": i, "type": "ok"}]
    events += [{"process": 99, "type": "invoke", "f": "read"}, {"process": 99, "type": "ok", "result": read}]
    return events


@pytest.fixture
def models_on_path(tmp_path: Path) -> Path:
    """A scratch directory (the models live in tests/lin_failing_models.py)."""
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("divides", ["model 'divides'", "step(2, inc() -> None)", "raised ZeroDivisionError: integer division or modulo by zero"]),
        ("unhashable", ["model 'unhashable'", "step(0, inc() -> None)", "returned an unhashable state [0]"]),
        ("not_a_sequence", ["model 'not-a-sequence'", "returned None, not a sequence of states"]),
        ("init_fails", ["model 'init-fails'", "init() raised KeyError: 'missing'"]),
        ("describes_badly", ["model 'describes-badly'", "describe_state(", "raised RuntimeError: cannot describe"]),
    ],
)
def test_a_user_model_that_fails_is_one_line_exit_2(
    attribute: str, expected: list[str], models_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = models_on_path / "h.json"
    # describes_badly only fails when a witness is described: give it a refutable history
    events = _events(2, 5) if attribute == "describes_badly" else _events(3, 3)
    history.write_text(json.dumps({"events": events}))
    html = models_on_path / "view.html"
    code, out, err = _run(
        ["lin", str(history), "--model", f"tests.lin_failing_models:{attribute}", "--html", str(html)], capsys
    )
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and err.startswith("synod lin: "), err
    for text in expected:
        assert text in err
    assert not html.exists()  # nothing written for a run that is bad input


def test_the_failing_step_names_the_line_of_its_operation(
    models_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = models_on_path / "h.json"
    history.write_text(json.dumps({"events": _events(3, 3)}, indent=1))
    code, _, err = _run(["lin", str(history), "--model", "tests.lin_failing_models:divides"], capsys)
    assert code == 2
    assert f"{history}:3: model 'divides'" in err  # the first inc (line 3 of the indented file)


def test_a_factory_that_raises_or_a_callable_that_is_not_one(
    models_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = models_on_path / "h.json"
    history.write_text(json.dumps({"events": _events(1, 1)}))
    code, _, err = _run(["lin", str(history), "--model", "tests.lin_failing_models:factory", "--init", "7"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "model 'tests.lin_failing_models:factory': building it with factory(7) raised ValueError: no model for 7" in err
    code, _, err = _run(["lin", str(history), "--model", "os:getcwd", "--init", "X"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "model 'os:getcwd': building it with getcwd('X') raised TypeError" in err


def test_check_raises_model_raised_for_a_failing_model(models_on_path: Path) -> None:
    h = parse_history(json.dumps({"events": _events(3, 3)}), "json")
    with pytest.raises(ModelRaised) as caught:
        check(h, make_model("tests.lin_failing_models:divides"))
    assert caught.value.model == "divides" and isinstance(caught.value.exc, ZeroDivisionError)


KV_APPEND = (
    '{:process 0, :type :invoke, :f :append, :key "k", :value "x"}\n'
    '{:process 0, :type :ok, :f :append, :key "k", :value "x"}\n'
)


@pytest.mark.parametrize("init", ["2", "[1]", "true"])
def test_kv_append_onto_a_non_string_init_is_one_line_exit_2(
    init: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "kv.edn"
    history.write_text(KV_APPEND)
    code, out, err = _run(["lin", str(history), "--init", init], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{history}:1: append onto the initial value" in err and "(model kv)" in err
    assert _run(["lin", str(history), "--init", '"a"'], capsys)[0] == 0  # a string init is fine


def test_an_init_that_is_a_json_object_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "kv.edn"
    history.write_text(KV_APPEND)
    code, _, err = _run(["lin", str(history), "--init", '{"a": 1}'], capsys)
    assert code == 2 and "--init {\"a\": 1}: a JSON object is not a value" in err


def test_a_failing_model_in_a_real_process_prints_no_traceback(models_on_path: Path) -> None:
    history = models_on_path / "h.json"
    history.write_text(json.dumps({"events": _events(3, 3)}))
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "lin", str(history), "--model", "tests.lin_failing_models:divides"],
        capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_a_built_in_model_failing_on_an_operation_is_one_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # kv's append onto a number some put wrote: the built-in step raises TypeError
    events = [
        {"process": 0, "type": "invoke", "f": "put", "key": "k", "value": 5},
        {"process": 0, "type": "ok"},
        {"process": 1, "type": "invoke", "f": "append", "key": "k", "value": "x"},
        {"process": 1, "type": "ok"},
    ]
    history = tmp_path / "h.json"
    history.write_text(json.dumps({"events": events}, indent=1))
    code, out, err = _run(["lin", str(history), "--model", "kv"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "model 'kv': step(5, append('k', 'x') -> None) raised TypeError" in err
