"""``synod lin``: exit codes, output, parsers, and one clean line for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.lin import (
    UNKNOWN,
    History,
    Keyword,
    check,
    detect_format,
    history_from_events,
    history_to_json,
    kv_model,
    parse_history,
    synod_kv_model,
)
from checker.lin.edn import read_edn
from checker.lin.html import MAX_OPS_DRAWN, render_html
from explorer.cli import main

OK_JSON = """{"format": "synod-history", "version": 1, "events": [
  {"process": 0, "type": "invoke", "f": "put", "key": "x", "value": 1},
  {"process": 1, "type": "invoke", "f": "get", "key": "x"},
  {"process": 0, "type": "ok", "result": "ok"},
  {"process": 1, "type": "ok", "result": 1},
  {"process": 1, "type": "invoke", "f": "cas", "key": "x", "value": [1, 2]},
  {"process": 1, "type": "ok", "result": true},
  {"process": 0, "type": "invoke", "f": "put", "key": "y", "value": 5},
  {"process": 0, "type": "info"}
]}
"""

BAD_JSON = OK_JSON.replace('"result": 1}', '"result": 7}')


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return str(p)


def test_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = _write(tmp_path, "ok.json", OK_JSON)
    bad = _write(tmp_path, "bad.json", BAD_JSON)
    assert main(["lin", ok]) == 0
    assert "verdict: linearizable" in capsys.readouterr().out
    assert main(["lin", bad, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "not linearizable"
    assert out["model"] == "synod-kv"
    (w,) = out["witnesses"]
    assert w["part"] == "x"
    assert w["blocked"]["output"] == 7 and w["blocked"]["line"] == 3  # its invocation
    assert set(out["stats"]) >= {"steps", "cache_hits", "elapsed_s"}


def test_unknown_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = [{"process": i, "type": "invoke", "f": "write", "value": i} for i in range(12)]
    events += [{"process": 99, "type": "invoke", "f": "read"}, {"process": 99, "type": "ok", "result": 42}]
    path = _write(tmp_path, "h.json", json.dumps({"events": events}))
    assert main(["lin", path, "--model", "register", "--max-steps", "3"]) == 3
    assert "unknown" in capsys.readouterr().out
    assert main(["lin", path, "--model", "register"]) == 1


@pytest.mark.parametrize("spelling", ["--time-limit", "--timeout"])
def test_time_limit_is_spelled_as_check_spells_it_and_the_old_spelling_still_works(
    spelling: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import checker.lin.cli as lin_cli

    seen: list[float | None] = []
    real_check = lin_cli.check

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["timeout"])  # type: ignore[arg-type]
        return real_check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lin_cli, "check", spy)
    path = _write(tmp_path, "ok.json", OK_JSON)
    assert main(["lin", path, spelling, "7.5"]) == 0
    assert main(["lin", path]) == 0
    assert seen == [7.5, 60.0]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["lin", "--help"])
    usage = capsys.readouterr().out
    assert "--time-limit" in usage and "--timeout" not in usage  # the alias is hidden


def test_html_is_bounded_and_marks_the_failure(tmp_path: Path) -> None:
    events: list[dict[str, object]] = []
    for i in range(3000):  # a long sequential history with one bad read at the end
        events.append({"process": i % 7, "type": "invoke", "f": "put", "key": "k", "value": i})
        events.append({"process": i % 7, "type": "ok", "result": "ok"})
    events.append({"process": 0, "type": "invoke", "f": "get", "key": "k"})
    events.append({"process": 0, "type": "ok", "result": -1})
    path = _write(tmp_path, "long.json", json.dumps({"events": events}))
    out = tmp_path / "view.html"
    assert main(["lin", path, "--html", str(out)]) == 1
    page = out.read_text()
    assert "cannot be placed" in page
    assert 300 < page.count("class=\"op ") <= MAX_OPS_DRAWN  # one bar an operation, bounded
    assert "timeline shows operations" in page and "are not listed" in page
    assert len(page) < 400_000


def test_init_option_changes_the_initial_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.edn", "{:process 0 :type :invoke :f :read :value nil}\n"
                  "{:process 0 :type :ok :f :read :value 5}\n")
    assert main(["lin", path, "--format", "jepsen"]) == 1  # initial value nil, read 5
    assert main(["lin", path, "--init", "5"]) == 0
    assert main(["lin", path, "--init", "4"]) == 1
    nil = _write(tmp_path, "nil.edn", "{:process 0 :type :invoke :f :read :value nil}\n"
                 "{:process 0 :type :ok :f :read :value nil}\n")
    assert main(["lin", nil, "--init", "4"]) == 0  # Knossos: a read of nil matches anything


BAD_INPUTS: list[tuple[str, str | bytes, list[str], str]] = [
    ("bad.json", '{"events": [', [], "invalid JSON"),
    ("noevents.json", '{"foo": 1}', [], '"events"'),
    ("type.json", '{"events": [\n{"process": 0, "type": "begin", "f": "get"}]}', [], ":2:"),
    ("orphan.json", '{"events": [\n{"process": 0, "type": "ok", "result": 1}]}', [], "no open invocation"),
    ("twice.json", '{"events": [{"process": 0, "type": "invoke", "f": "get", "key": "a"},\n'
     '{"process": 0, "type": "invoke", "f": "get", "key": "a"}]}', [], "invokes again"),
    ("cas.json", '{"events": [{"process": 0, "type": "invoke", "f": "cas", "key": "a", "value": 3}]}', [], "cas"),
    ("op.json", '{"events": [\n{"process": 0, "type": "invoke", "f": "frob", "key": "a"}]}', [], ":2:"),
    ("version.json", '{"version": 9, "events": []}', [], "version"),
    ("etcd.log", "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO garbage\n", [], ":2:"),
    ("etcd2.log", "INFO  jepsen.util - 1\t:invoke\t:write\t[1\n", [], ":1:"),
    ("etcd3.log", "INFO  jepsen.util - 1\t:ok\t:read\t3\n", [], "no open invocation"),
    ("etcd4.log", "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:write\t3\n", [],
     ":2: completion :write does not match the open :read"),
    ("mismatch.edn", "{:process 0 :type :invoke :f :read}\n{:process 0 :type :ok :f :write :value 1}\n",
     ["--format", "jepsen"], ":2: completion :write does not match the open :read"),
    ("unterminated.edn", '{:process 0, :type :invoke, :f :read\n', [], "unclosed"),
    ("string.edn", '{:process 0, :type :invoke, :f :read, :value "abc\n', [], "unterminated"),
    ("notmap.edn", "{:process 0 :type :invoke :f :read}\n[1 2]\n", ["--format", "jepsen"], ":2:"),
    ("type.edn", "{:process 0 :type :begin :f :read}\n", [], ":type"),
    ("odd.edn", "{:process 0 :type}\n", [], "odd"),
    ("regcas.edn", "{:process 0 :type :invoke :f :cas :value [1 2]}\n", ["--model", "register"], ":1:"),
    ("mystery.txt", "hello world\n", [], "cannot tell the format"),
    ("latin1.json", b'{"events": []}\n\xff\xfe', [], "UTF-8"),
    ("deep.json", "[" * 100000 + "]" * 100000, [], ""),
    ("deep.edn", "[" * 100000 + "]" * 100000, ["--format", "jepsen"], ""),
    ("model.json", OK_JSON, ["--model", "nosuch"], "unknown model"),
    ("module.json", OK_JSON, ["--model", "nosuch.module:thing"], "cannot load"),
    ("timelimit.json", OK_JSON, ["--time-limit", "-1"], "--time-limit must be a positive number"),
    ("timeout.json", OK_JSON, ["--timeout", "0"], "--time-limit must be a positive number"),  # old spelling
    ("nan.json", OK_JSON, ["--time-limit", "nan"], "--time-limit must be a positive number"),
    ("html.json", OK_JSON, ["--html", "/nonexistent/dir/x.html"], "does not exist"),
]


@pytest.mark.parametrize(("name", "content", "extra", "needle"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_malformed_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes, extra: list[str], needle: str
) -> None:
    path = _write(tmp_path, name, content)
    assert main(["lin", path, *extra]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    if not {"--model", "--timeout", "--time-limit", "--html"} & set(extra):
        assert name in lines[0]
    assert needle in lines[0]
    assert captured.out == ""


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lin", str(tmp_path / "nope.json")]) == 2
    assert main(["lin", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("cannot read" in e for e in err)


def test_cli_subprocess_bad_input_has_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.edn", "{:process 0 :type :invoke :f :read :value #{[}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "lin", path], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- parsers


def test_format_detection() -> None:
    assert detect_format(OK_JSON) == "json"
    assert detect_format("INFO  jepsen.util - 1\t:invoke\t:read\tnil") == "etcd"
    assert detect_format('{:process 1, :type :invoke, :f :get, :key "1", :value nil}') == "kv"
    assert detect_format("[{:process 1 :type :invoke :f :read}]") == "jepsen"
    assert detect_format("  ") == "empty"


def test_etcd_semantics() -> None:
    text = "\n".join(
        [
            "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]",
            "INFO  jepsen.util - 1\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 2\t:invoke\t:write\t3",
            "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]",
            "INFO  jepsen.util - 1   :fail   :read   :timed-out",
            "INFO  jepsen.util - 2\t:info\t:write\t:timed-out",
        ]
    )
    h = parse_history(text, "etcd", "e.log")
    cas, read, write = h.ops
    assert cas.output is False and cas.ret is not None
    assert read.output is UNKNOWN and read.ret is not None
    assert write.output is UNKNOWN and write.ret is None and write.line == 3


def test_jepsen_knossos_conventions() -> None:
    text = """[{:process 0, :type :invoke, :f :write, :value 1, :time 5}
 {:process :nemesis, :type :info, :f :start, :value nil}
 {:process 1, :type :invoke, :f :cas, :value [1 2]}
 {:process 1, :type :fail, :f :cas, :value [1 2]}   ; did not happen
 {:process 2, :type :invoke, :f :read, :value nil}
 {:process 2, :type :ok, :f :read, :value nil}
 {:process 0, :type :info, :f :write, :value 1}
 #_ {:ignored 1}]"""
    h = parse_history(text, "auto", "j.edn")
    assert [op.input for op in h.ops] == [("write", 1), ("read",)]
    assert h.ops[0].ret is None and h.ops[1].output is UNKNOWN


def test_edn_reader_values() -> None:
    forms = read_edn('{:a "x\\ty" :b [1 -2 3.5 nil true] :c #{:k} :d #inst "2020"} ; c')
    ((line, m),) = forms
    assert line == 1
    assert m[Keyword("a")] == "x\ty" and m[Keyword("b")] == (1, -2, 3.5, None, True)
    assert m[Keyword("c")] == frozenset([Keyword("k")]) and m[Keyword("d")] == "2020"


def test_synod_json_round_trip_and_helper() -> None:
    events = [
        {"process": 3, "type": "invoke", "f": "cas", "key": "k", "value": [None, 1]},
        {"process": 4, "type": "invoke", "f": "get", "key": "k"},
        {"process": 3, "type": "ok", "result": True},
        {"process": 4, "type": "ok", "result": 1},
        {"process": 5, "type": "invoke", "f": "put", "key": "k", "value": 2},
        {"process": 5, "type": "fail"},
    ]
    h = history_from_events(events)
    assert [op.input for op in h.ops] == [("cas", "k", None, 1), ("get", "k")]
    assert check(h, synod_kv_model()).verdict == "linearizable"
    again = parse_history(history_to_json(h, model="synod-kv"), "auto", "rt.json")
    assert [(o.input, o.output, o.call < o.ret if o.ret else None) for o in again.ops] == [
        (o.input, o.output, o.call < o.ret if o.ret else None) for o in h.ops
    ]
    assert again.model_hint == "synod-kv"


def test_render_html_of_linearizable_history() -> None:
    h = parse_history('{:process 0 :type :invoke :f :put :key "a" :value "x"}', "kv")
    result = check(h, kv_model())
    page = render_html(result, kv_model(), "t")
    assert "linearizable" in page and "<svg" in page
    assert isinstance(result.history, History)


def test_event_helpers_follow_the_synod_client_contract() -> None:
    from checker.lin import info_event, invoke_event, ok_event

    events = [
        invoke_event(3, ("put", "k", 1)),
        invoke_event(4, ("cas", "k", 1, 2)),
        ok_event(3, "ok"),
        ok_event(4, True),
        invoke_event(3, ("get", "k")),
        ok_event(3, 2),
        invoke_event(4, ("put", "k", 9)),
        info_event(4),
    ]
    h = history_from_events(events)
    assert [op.input for op in h.ops] == [("put", "k", 1), ("cas", "k", 1, 2), ("get", "k"), ("put", "k", 9)]
    assert check(h, synod_kv_model()).verdict == "linearizable"
    events[5] = ok_event(3, 1)
    assert check(history_from_events(events), synod_kv_model()).verdict == "not linearizable"


COUNTER_MODULE = '''
from checker.lin import UNKNOWN, LinModel

def step(state, inp, out):
    if inp[0] == "inc":
        return (state + 1,)
    if inp[0] == "read":
        return (state,) if out is UNKNOWN or out == state else ()
    return ()

counter = LinModel(
    "counter",
    init=lambda: 0,
    step=step,
    validate=lambda inp, out: None if inp[0] in ("inc", "read") else f"unknown op {inp!r}",
    read_only=lambda inp, out: inp[0] == "read",
)
'''


def test_a_user_model_loads_by_module_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "my_counter_model.py").write_text(COUNTER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    events = [
        {"process": 0, "type": "invoke", "f": "inc"},
        {"process": 1, "type": "invoke", "f": "read"},
        {"process": 0, "type": "ok"},
        {"process": 1, "type": "ok", "result": 1},
    ]
    path = _write(tmp_path, "c.json", json.dumps({"events": events}))
    assert main(["lin", path, "--model", "my_counter_model:counter"]) == 0
    events[3]["result"] = 2
    path = _write(tmp_path, "c2.json", json.dumps({"events": events}))
    assert main(["lin", path, "--model", "my_counter_model:counter"]) == 1
    events[0]["f"] = "dec"
    events[2]["f"] = "dec"
    path = _write(tmp_path, "c3.json", json.dumps({"events": events}))
    capsys.readouterr()
    assert main(["lin", path, "--model", "my_counter_model:counter"]) == 2
    assert "c3.json:1: unknown op" in capsys.readouterr().err


def test_flat_line_fast_path_agrees_with_the_edn_reader() -> None:
    from checker.lin.formats.jepsen import _flat_lines

    text = '{:process 1, :type :invoke, :f :get, :key "k 1", :value nil}\n\n{:process :nemesis :x -3 :y true}\n'
    assert _flat_lines(text) == read_edn(text)
    assert _flat_lines('{:a "esc\\"aped"}') is None  # escapes: left to the full reader
    assert _flat_lines("{:a true:b 1}") is None


# -- traces saved by synod check ------------------------------------------------------

TRACES = Path(__file__).resolve().parent.parent / "traces"


def test_lin_reads_the_client_history_of_a_trace(capsys: pytest.CaptureFixture[str]) -> None:
    # The stale-read counterexample: lin agrees with the explorer's "linearizable" property,
    # and takes the model (synod-kv for Multi-Paxos) from the trace's configuration.
    (stale,) = TRACES.glob("multipaxos-local-reads-linearizable-*.json")
    assert main(["lin", str(stale), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "synod-kv" and out["verdict"] == "not linearizable"
    # Basic Paxos traces are judged as one consensus instance
    (basic,) = TRACES.glob("basic-quorum-one-*.json")
    assert main(["lin", str(basic)]) == 0
    assert "model consensus" in capsys.readouterr().out


def test_consensus_model_allows_one_chosen_value() -> None:
    from checker.lin import consensus_model

    def events(second_result: str) -> list[dict[str, object]]:
        return [
            {"process": 3, "type": "invoke", "f": "propose", "value": "a"},
            {"process": 4, "type": "invoke", "f": "propose", "value": "b"},
            {"process": 3, "type": "ok", "result": "b"},
            {"process": 4, "type": "ok", "result": second_result},
        ]

    assert check(history_from_events(events("b")).ops, consensus_model()).verdict == "linearizable"
    assert check(history_from_events(events("a")).ops, consensus_model()).verdict == "not linearizable"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(history=None), "recorded no client history"),
        (lambda d: d["history"].append({"type": "oops"}), '"type" must be'),
        (lambda d: d["history"].append({"type": "invoke", "client": "c", "op": ["get", "x"]}), '"client"'),
        (lambda d: d["history"].append({"type": "invoke", "client": 2, "seq": 2, "op": 5}), '"op"'),
    ],
    ids=["no-history", "bad-type", "bad-client", "bad-op"],
)
def test_a_trace_without_a_usable_history_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, message: str
) -> None:
    (stale,) = TRACES.glob("multipaxos-local-reads-linearizable-*.json")
    data = json.loads(stale.read_text())
    edit(data)  # type: ignore[operator]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    assert main(["lin", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err


# Knossos writes a history as a top-level EDN list as often as a vector (issue 12, defect 9)
KNOSSOS_LIST = """({:process 0, :type :invoke, :f :write, :value 1}
 {:process 1, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :write, :value 1}
 {:process 1, :type :ok, :f :read, :value 1})
"""


@pytest.mark.parametrize("wrap", ["list", "vector", "lines"])
def test_a_jepsen_history_may_be_a_list_a_vector_or_maps_one_a_line(
    wrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = KNOSSOS_LIST.strip()[1:-1]
    text = {"list": KNOSSOS_LIST, "vector": f"[{body}]\n", "lines": body + "\n"}[wrap]
    assert detect_format(text) == "jepsen"
    h = parse_history(text, "auto", "k.edn")
    assert [op.input for op in h.ops] == [("write", 1), ("read",)]
    assert [op.line for op in h.ops] == [1, 2]  # each event keeps its own line
    path = _write(tmp_path, "k.edn", text)
    assert main(["lin", path]) == 0
    stale = _write(tmp_path, "stale.edn", text.replace(":ok, :f :read, :value 1", ":ok, :f :read, :value 2"))
    assert main(["lin", stale, "--format", "jepsen"]) == 1
    capsys.readouterr()


def test_an_unclosed_or_trailing_top_level_list_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unclosed = _write(tmp_path, "u.edn", KNOSSOS_LIST.rstrip()[:-1])
    assert main(["lin", unclosed]) == 2
    assert "u.edn:1: unclosed collection (missing ')')" in capsys.readouterr().err
    assert parse_history("()", "auto", "e.edn").ops == []
