"""Malformed (and some well-formed) inputs for every surface of the ``synod`` command line.

Shared by the Hypothesis test (tests/test_fuzz_cli.py, a few hundred inputs in-process)
and the benchmark (bench/fuzz_cli.py, >= 10,000 as real subprocesses). Each generator
takes a ``random.Random`` (Hypothesis drives it in the test) and a scratch directory,
writes whatever input file it needs there, and returns the argv after ``synod``.

The rule every input is judged by (:func:`judge`): the exit code is one the command
documents; exit 2 is one line on stderr, nothing on stdout and no file written; and
never a traceback.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"

#: exit codes each subcommand documents
EXIT_CODES: dict[str, set[int]] = {
    "check": {0, 1, 2, 3},
    "replay": {0, 1, 2, 4},
    "lin": {0, 1, 2, 3},
    "prove": {0, 1, 2, 3},
    "explore": {0, 2},  # 0: would serve (serving is stubbed out in the fuzz)
    "mutants": {0, 1, 2},
}

_JUNK_WORDS = [
    "", " ", "-1", "0", "1", "2", "3", "7", "65", "1e9", "nan", "inf", "-inf", "none", "abc",
    "0x10", "9" * 30, "1.5", " 2", "\u0663", "null", "[]", "{}", "true", "-", "--", "é", "\x7f",
]


def _junk(rng: random.Random) -> str:
    return rng.choice(_JUNK_WORDS)


def _json_junk(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**70, 3])
    if kind == 3:
        return rng.choice([1.5, 1e308, -0.0])
    if kind in (4, 5):
        return rng.choice(["", "x", "agreement", "correct", "multipaxos", "\u2603", "a" * 200])
    if kind in (6, 7):
        return [_json_junk(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["a", "model", "nodes", "name"]): _json_junk(rng, depth + 1) for _ in range(rng.randrange(3))}


def _mutate_text(rng: random.Random, text: str) -> str:
    """Byte-level damage: truncate, splice, duplicate, nest deeply."""
    choice = rng.randrange(6)
    if choice == 0 and text:
        return text[: rng.randrange(len(text))]
    if choice == 1 and text:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(["{", "}", "[", "]", ",", '"', "\\", "\x00", ":", "nil"]) + text[i:]
    if choice == 2:
        n = rng.choice([10, 1000, 100_000])
        return rng.choice(["[", "{\"a\":", "(", "#{"]) * n
    if choice == 3:
        return text + text
    if choice == 4:
        return "".join(rng.choice("{}[]():,\"\\ ntx01") for _ in range(rng.randrange(200)))
    return ""


# -- traces ----------------------------------------------------------------------------


def _trace_seed() -> dict[str, Any]:
    path = sorted((ROOT / "traces").glob("*.json"))[0]
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _mutate_json(rng: random.Random, data: Any) -> Any:
    """One structural change somewhere in ``data``."""
    if isinstance(data, dict) and data and rng.random() < 0.7:
        key = rng.choice(sorted(data))
        roll = rng.randrange(4)
        if roll == 0:
            return {k: v for k, v in data.items() if k != key}
        if roll == 1:
            return {**data, key: _json_junk(rng)}
        if roll == 2:
            return {**data, key: _mutate_json(rng, data[key])}
        return {**data, rng.choice(["extra", "", "step"]): _json_junk(rng)}
    if isinstance(data, list) and data and rng.random() < 0.7:
        i = rng.randrange(len(data))
        out = list(data)
        if rng.random() < 0.5:
            out[i] = _mutate_json(rng, out[i])
        else:
            del out[i]
        return out
    return _json_junk(rng)


def replay_input(rng: random.Random, work: Path) -> list[str]:
    trace = work / "trace.json"
    roll = rng.randrange(10)
    if roll == 0:
        return ["replay", rng.choice([str(work / "missing.json"), str(work), "", "/dev/null"])]
    data = _trace_seed()
    for _ in range(rng.randrange(1, 4)):
        data = _mutate_json(rng, data)
    text = json.dumps(data)
    if roll == 1:
        text = _mutate_text(rng, text)
    if roll == 2:
        trace.write_bytes(text.encode() + b"\xff\xfe")
    else:
        trace.write_text(text)
    argv = ["replay", str(trace)]
    if rng.random() < 0.2:
        argv += ["--html", rng.choice(["", str(work), str(work / "no" / "x.html"), str(work / "run.html")])]
    return argv


# -- histories -------------------------------------------------------------------------

_SYNOD_HISTORY = {
    "format": "synod-history", "version": 1, "model": "synod-kv",
    "events": [
        {"process": 3, "type": "invoke", "f": "put", "key": "x", "value": 1},
        {"process": 4, "type": "invoke", "f": "get", "key": "x"},
        {"process": 3, "type": "ok", "result": "ok"},
        {"process": 4, "type": "ok", "result": 1},
    ],
}
_ETCD = (
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
    "INFO  jepsen.util - 1\t:invoke\t:write\t2\n"
    "INFO  jepsen.util - 0\t:ok\t:read\tnil\n"
    "INFO  jepsen.util - 1\t:ok\t:write\t2\n"
)
_KV = (
    '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n'
    '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n'
    '{:process 1, :type :invoke, :f :get, :key "0", :value nil}\n'
    '{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}\n'
)
_JEPSEN = (
    "[{:process 0, :type :invoke, :f :write, :value 1}\n"
    " {:process 0, :type :ok, :f :write, :value 1}\n"
    " {:process 1, :type :invoke, :f :cas, :value [1 2]}\n"
    " {:process 1, :type :info, :f :cas, :value [1 2]}]\n"
)


_LIN_MODELS = [
    "register", "cas-register", "kv", "kv-cas", "synod-kv", "consensus", "nope", "", "os:getcwd",
    *(f"tests.lin_failing_models:{name}" for name in
      ("divides", "unhashable", "not_a_sequence", "init_fails", "describes_badly", "factory", "nothing")),
]


def lin_input(rng: random.Random, work: Path) -> list[str]:
    history = work / "history.txt"
    roll = rng.randrange(4)
    if roll == 0:
        data = _SYNOD_HISTORY
        for _ in range(rng.randrange(1, 4)):
            data = _mutate_json(rng, data)
        text = json.dumps(data)
        fmt = "json"
    else:
        text, fmt = [(_ETCD, "etcd"), (_KV, "kv"), (_JEPSEN, "jepsen")][roll - 1]
        for _ in range(rng.randrange(1, 3)):
            text = _mutate_text(rng, text)
    history.write_text(text)
    argv = ["lin", str(history)]
    if rng.random() < 0.5:
        argv += ["--format", rng.choice([fmt, "auto", "json", "etcd", "kv", "jepsen", "porcupine"])]
    if rng.random() < 0.2:
        argv += ["--model", rng.choice(_LIN_MODELS)]
    if rng.random() < 0.2:
        argv += ["--init", _junk(rng)]
    if rng.random() < 0.1:
        argv += [rng.choice(["--max-steps", "--max-configs", "--time-limit", "--timeout"]), _junk(rng)]
    if rng.random() < 0.1:
        argv += ["--html", rng.choice(["", str(work), str(work / "no" / "v.html"), str(work / "v.html")])]
    return argv


# -- synod check options -----------------------------------------------------------------

_CHECK_VALUES: dict[str, list[str]] = {
    "--model": ["multipaxos", "basic", "tla-paxos", TOY, "nosuch", "a:b", "os:getcwd", "", ":",
                "tests.test_cli_toy_models:not_a_model", "x" * 300, "tests.test_cli_toy_models"],
    "--faults": ["none", "drop=1", "drop=-1", "dup=x", "crash=1,partition=1", "bogus=1", "drop", "=",
                 "drop=1,drop=2", "", "drop=99999999999", "dup=1"],
    "--network": ["unordered", "fifo", "lossy", ""],
    "--strategy": ["bfs", "dfs", "random", "swarm", "astar", ""],
    "--variant": ["correct", "quorum-one", "nosuch", "quorum-one+quorum-one", "+", "", "bug", "local-reads"],
    "--extra": ["retries=0", "retries=-1", "client_targets=[0,1]", "client_targets=[99]", "x=1", "=1",
                "retries", "initial_leader=null", "learn_directly=true", "retries=" + "[" * 5000],
    "--traces": ["", "/proc/synod", "/dev/null", "TRACES_FILE", "/"],
    "--junit": ["", "/nonexistent/x.xml", "JUNIT_DIR", "j.xml"],
}
_CHECK_NUMBERS = ["--nodes", "--clients", "--ops", "--ballots", "--phase1-quorum", "--phase2-quorum",
                  "--depth", "--max-states", "--max-memory", "--seed", "--walks", "--workers", "--time-limit"]
_CHECK_FLAGS = ["--symmetry", "--collect", "--strict", "--json", "--bogus-option"]


def check_input(rng: random.Random, work: Path) -> list[str]:
    (work / "TRACES_FILE").write_text("not a directory")
    (work / "JUNIT_DIR").mkdir(exist_ok=True)
    chosen: list[str] = []
    names = rng.sample(_CHECK_NUMBERS + list(_CHECK_VALUES) + _CHECK_FLAGS, rng.randrange(1, 4))
    if "--depth" in names and "--max-states" in names:
        names.remove("--max-states")  # keep every valid run bounded (a few seconds at most)
    for name in names:
        if name in _CHECK_FLAGS:
            chosen.append(name)
        elif name in _CHECK_VALUES:
            chosen += [name, rng.choice(_CHECK_VALUES[name])]
        else:
            chosen += [name, _junk(rng)]
    chosen = [str(work / a) if a in ("TRACES_FILE", "JUNIT_DIR", "j.xml") else a for a in chosen]
    bounds = ["--depth", "2", "--max-states", "300", "--time-limit", "10", "--traces", str(work / "t")]
    return ["check", *bounds, *chosen]


# -- synod prove quorums -----------------------------------------------------------------

_PROVE_VALUES: dict[str, list[str]] = {
    "--sets": ["0,1;1,2;0,2", "0,1;2", "", ";", "a,b", "0,0;0", "-1", "0,1;" * 50, "99"],
    "--sets1": ["0,1;1,2", "", "x"],
    "--sets2": ["0,1", "", ";;"],
    "--weights": ["1,1,2", "", "0,0", "-1,2", "1.5", "a", ",", "1," * 40 + "1"],
    "--grid": ["2x2", "0x3", "3x", "x", "", "100000x100000", "2x2x2"],
    "--grid-phase1": ["column", "row", "diag"],
    "--method": ["auto", "z3", "subset-sum", "magic"],
}
_PROVE_NUMBERS = ["--nodes", "--phase1-quorum", "--phase2-quorum", "--q1", "--q2", "--threshold1", "--threshold2",
                  "--time-limit", "--timeout"]


def prove_input(rng: random.Random, work: Path) -> list[str]:
    argv = ["prove", "quorums"]
    for name in rng.sample(_PROVE_NUMBERS + list(_PROVE_VALUES), rng.randrange(1, 4)):
        if name in _PROVE_VALUES:
            argv += [name, rng.choice(_PROVE_VALUES[name])]
        else:
            argv += [name, rng.choice(_JUNK_WORDS + ["5", "4", "1000", "501", "500"])]
    return argv


# -- synod explore (its options are check's, plus the trace and the server's) ------------

#: ``python -c`` prelude for a real process: ``synod explore`` with serving stubbed out,
#: so a valid input exits 0 after it would have started serving (the fuzz is about input
#: validation, not the server; tests/test_explore_*.py test that)
EXPLORE_PRELUDE = (
    "import sys; from explorer.explore.server import ExploreServer; "
    "ExploreServer.serve_forever = lambda self, *a, **k: None; "
    "from explorer.cli.main import main; sys.exit(main())"
)


def explore_input(rng: random.Random, work: Path) -> list[str]:
    roll = rng.randrange(3)
    if roll == 0:  # a trace to open: damaged, as replay's
        argv = ["explore", "--trace", replay_input(rng, work)[1]]
    elif roll == 1:
        argv = ["explore", *check_input(rng, work)[1:]]
    else:
        argv = ["explore"]
    for name in rng.sample(["--port", "--host", "--depth", "--model", "--trace"], rng.randrange(0, 3)):
        if name == "--port":
            argv += [name, rng.choice(["0", "-1", "65536", "99999", "x", ""])]
        elif name == "--host":
            argv += [name, rng.choice(["127.0.0.1", "localhost", "::1", "no.such.host.invalid", "", "300.1.1.1"])]
        elif name == "--trace":
            argv += [name, rng.choice(["", str(work / "missing.json"), str(work)])]
        elif name == "--model":
            argv += [name, rng.choice(_CHECK_VALUES["--model"])]
        else:
            argv += [name, _junk(rng)]
    return argv


# -- synod mutants (cheap cases only: every input runs in a second or two) ----------------

_CHEAP_MUTANTS = ["quorum-one", "phase2-off-by-one", "forget-promise-on-restart", "forward-as-own",
                  "forget-learned-on-restart"]


def mutants_input(rng: random.Random, work: Path) -> list[str]:
    (work / "TRACES_FILE").write_text("not a directory")
    argv = ["mutants", "--skip-correct", "--only", rng.choice(
        [*_CHEAP_MUTANTS, ",".join(rng.sample(_CHEAP_MUTANTS, 2)), "", ",", "nosuch", "quorum-one,nosuch"])]
    values = {
        "--strategy": ["bfs", "random", "swarm", "dfs", ""],
        "--seed": _JUNK_WORDS,
        "--workers": ["1", "0", "-1", "x"],  # one process at most: the machine is shared
        "--jobs": ["1", "0", "x"],
        "--traces": [str(work / "t"), "", str(work / "TRACES_FILE"), "/proc/synod", str(work / "no" / "deeper")],
        "--backend": ["local", "x"],  # not ray: a Ray instance per input is minutes of the shared machine
        "--address": ["", "127.0.0.1:1"],
    }
    flags = ["--json", "--por", "--save-traces", "--bogus-option"]
    for name in rng.sample(list(values) + flags, rng.randrange(0, 3)):
        argv += [name] if name in flags else [name, rng.choice(values[name])]
    return argv


SURFACES: dict[str, Callable[[random.Random, Path], list[str]]] = {
    "replay": replay_input,
    "lin": lin_input,
    "check": check_input,
    "prove": prove_input,
    "explore": explore_input,
    "mutants": mutants_input,
}


# -- the rule ----------------------------------------------------------------------------


@dataclass
class Verdict:
    exit_code: int
    traceback: bool
    multi_line_error: bool  # exit 2 with more than one line on stderr (or anything on stdout)
    files_written: list[str]  # by an exit-2 run
    unexpected_code: bool

    @property
    def ok(self) -> bool:
        return not (self.traceback or self.multi_line_error or self.files_written or self.unexpected_code)


def snapshot(work: Path) -> set[str]:
    return {str(p.relative_to(work)) for p in work.rglob("*")}


def judge(command: str, code: int, out: str, err: str, before: set[str], after: set[str]) -> Verdict:
    bad_input = code == 2
    return Verdict(
        exit_code=code,
        traceback="Traceback (most recent call last)" in err,
        multi_line_error=bad_input and (err.count("\n") != 1 or not err.endswith("\n") or out != ""),
        files_written=sorted(after - before) if bad_input else [],
        unexpected_code=code not in EXIT_CODES[command],
    )
