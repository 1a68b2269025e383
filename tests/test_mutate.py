"""``synod mutate``: generated mutants, each checked in its own process.

A few mutants only (each costs a process and a small check); the full run over
paxos_core is a benchmark (docs/mutation.md).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.mutants.mutate import OPERATORS, generate, module_mutants, sample, variant_flags
from explorer.mutants.mutate_run import STATUSES, MutationJob, run_mutants

REPO = Path(__file__).resolve().parent.parent
# leader's Decide broadcast dropped: only quiescence sees a follower that never learns
DECIDE_DROPPED = "dropped: step.out.extend(Send(p, Decide(slot, value)) for p in self.peers if p != me)"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_generation_is_deterministic_and_covers_every_operator() -> None:
    first, sources = generate("paxos_core")
    again, _ = generate("paxos_core")
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == len(first)
    assert {m.operator for m in first} == set(OPERATORS)
    for m in first[::10]:
        compile(m.apply(sources[m.module]), m.module, "exec")
        assert m.diff(sources[m.module]).count("\n@@") <= 1  # one hunk: the rest untouched
    assert [m.id for m in sample(first, 5, seed=3)] == [m.id for m in sample(again, 5, seed=3)]


def test_variant_guarded_code_is_not_mutated() -> None:
    text = (
        "class R:\n"
        "    def __init__(self, config):\n"
        "        f = config.flags\n"
        "        self.forget = f.forget_promise\n"
        "    def on_crash(self, me, state):\n"
        "        if self.forget:\n"
        "            state = state + 1\n"
        "        return state - 1\n"
    )
    flags = variant_flags([ast.parse(text)])
    assert "forget" in flags
    mutants = module_mutants("m.py", text, flags)
    assert mutants and all(m.line not in (6, 7) for m in mutants)
    assert any(m.line == 8 for m in mutants)


def test_flags_switches_the_workload_and_variant_parsing_are_not_mutated() -> None:
    text = (
        "def build(variant, nodes):\n"
        "    flags = VariantFlags.for_variant(variant)\n"
        "    q = nodes // 2 + 1\n"
        "    if flags.quorum_one:\n"
        "        q = 1\n"
        "    return q * 2\n"
        "def workload(n):\n"
        "    return [i + 1 for i in range(n)]\n"
    )
    mutants = module_mutants("m.py", text, variant_flags([ast.parse(text)]), skip=("workload",))
    lines = {m.line for m in mutants}
    assert 3 in lines and 6 in lines  # the protocol's own logic still is
    assert not lines & {4, 5, 7, 8}  # the variant's switch, its body, the skipped function
    # in paxos_core: the workload (default_schedule, propose_schedule), the parsing of
    # variant names and the quorum variants' switches in ClusterConfig.__post_init__
    mutants, sources = generate("paxos_core", ["config.py", "kv.py", "multi.py"])
    tree = ast.parse(sources["config.py"])
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in (
            "default_schedule", "propose_schedule", "variant_parts", "for_variant"
        ):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if isinstance(node, ast.If) and ast.unparse(node.test).startswith("flags."):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    assert len(skipped) > 30
    config_lines = {m.line for m in mutants if m.module == "config.py"}
    assert config_lines and not config_lines & skipped
    ids = {m.id for m in mutants}
    assert {"kv.py:67:negate:859d15", "multi.py:96:constant:3dc2e9", "config.py:129:constant:86e26b"} <= ids


def test_given_mutant_ids_are_checked_alone_repeated_or_comma_separated(capsys: pytest.CaptureFixture[str]) -> None:
    ids = ["kv.py:69:compare:18c392", "multi.py:96:constant:3dc2e9", "kv.py:67:negate:859d15"]
    assert main(["mutate", "--list", "--mutant", f"{ids[0]},{ids[1]}", "--mutant", ids[2], "--mutant", ids[0]]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ids  # in the order given, each once


def test_the_durable_operator_forgets_one_field_per_mutant() -> None:
    mutants, sources = generate("paxos_core", ["multi.py"])
    durable = [m for m in mutants if m.operator == "durable"]
    assert {m.description for m in durable} == {
        f"MultiDurable.{f} not kept across a crash" for f in ("promised", "round_used", "accepted", "decided")
    }


def test_a_sample_is_classified_and_a_known_mutant_is_killed(tmp_path: Path) -> None:
    mutants, sources = generate("paxos_core")
    known = next(m for m in mutants if m.description == DECIDE_DROPPED)
    chosen = [*sample(mutants, 2, seed=5), known]
    job = MutationJob(world="catch-up", budget_s=300, traces=str(tmp_path))
    results = run_mutants(job, chosen, sources, workers=2)
    assert [r.mutant for r in results] == chosen
    assert all(r.status in STATUSES for r in results)
    killed = results[-1]
    assert killed.status == "killed" and killed.property == "quiescence" and killed.world == "catch-up"
    assert killed.depth is not None and killed.trace is not None and Path(killed.trace).is_file()
    assert (REPO / "paxos_core" / "multi.py").read_text() == sources["multi.py"]  # never touched


TOY_LOGIC = '''
def step(x):
    if x < 3:
        return clamp(x + 1)
    return x


def clamp(x):
    return min(x, 5)


def count_to(n):
    i = 0
    while i < n:
        i += 1
    return i
'''

TOY_MODEL = '''
from explorer.engine.model import Model as Base, Property
from toyproto import logic


class Model(Base):
    name = "toy"

    def init_states(self):
        return [0]

    def actions(self, state):
        return ["inc"]

    def next_state(self, state, action):
        return logic.step(state)

    def properties(self):
        return [
            Property.always("at most 3", lambda s: s <= 3),
            Property.always("counts", lambda s: logic.count_to(2) == 2),
            Property.sometimes("reaches 3", lambda s: s == 3),
        ]
'''


def _toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "toyproto"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "logic.py").write_text(TOY_LOGIC)
    (package / "model.py").write_text(TOY_MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_users_own_package_killed_survived_timed_out_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _toy(tmp_path, monkeypatch)
    mutants, _ = generate("toyproto", ["logic.py"])
    wanted = {
        (3, "x < 3 -> x <= 3"): "killed",  # x reaches 4
        (4, "1 -> 0"): "killed",  # x stays 0: "reaches 3", witnessed unmutated, never is
        (9, "5 -> 6"): "survived",  # equivalent: step never passes 3, the clamp never binds
        (15, "dropped: i += 1"): "timed out",  # counts forever
        (13, "dropped: i = 0"): "broken",  # UnboundLocalError: no verdict
    }
    chosen = {(m.line, m.description): m.id for m in mutants if (m.line, m.description) in wanted}
    assert set(chosen) == set(wanted)
    argv = ["mutate", "--target", "toyproto", "--modules", "logic.py", "--model", "toyproto.model:Model",
            "--budget", "20", "--workers", "4", "--json", "--traces", str(tmp_path / "t"),
            "--html", str(tmp_path / "r.html")]
    for mutant_id in chosen.values():
        argv += ["--mutant", mutant_id]
    code = main(argv)
    data = json.loads(capsys.readouterr().out)
    status = {(r["line"], r["description"]): r for r in data["results"]}
    assert {key: r["status"] for key, r in status.items()} == wanted
    killed = status[(3, "x < 3 -> x <= 3")]
    assert killed["property"] == "at most 3" and killed["depth"] == 4 and Path(killed["trace"]).is_file()
    assert status[(4, "1 -> 0")]["property"] == "sometimes 'reaches 3' never witnessed"
    assert "UnboundLocalError" in status[(13, "dropped: i = 0")]["error"]
    assert code == 1 and [s["id"] for s in data["survivors"]] == [chosen[(9, "5 -> 6")], chosen[(15, "dropped: i += 1")]]
    assert data["survivors"][0]["diff"].startswith("--- a/logic.py")
    assert data["score"] == 0.5  # 2 killed of 4 judged: broken mutants are no verdict
    assert "synod mutate toyproto" in (tmp_path / "r.html").read_text()
    assert (tmp_path / "toyproto" / "logic.py").read_text() == TOY_LOGIC  # never touched


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sample", "0"], "--sample must be at least 1"),
        (["--operators", "nope"], "unknown --operators nope"),
        (["--target", "no_such_pkg"], "not an importable package"),
        (["--world", "nope"], "unknown --world 'nope'"),
        (["--mutant", "x.py:1:drop:abc"], "no mutant 'x.py:1:drop:abc'"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code = main(["mutate", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


HOG_LOGIC = '''
def grow(n):
    blocks = []
    i = 0
    while i < n:
        blocks.append(bytes(1 << 20))
        i += 1
    return len(blocks)
'''

HOG_MODEL = '''
from explorer.engine.model import Model as Base, Property
from hogproto import logic


class Model(Base):
    name = "hog"

    def init_states(self):
        return [0]

    def actions(self, state):
        return ["inc"] if state < 2 else []

    def next_state(self, state, action):
        return state + 1

    def properties(self):
        return [Property.always("grows", lambda s: logic.grow(2) == 2)]
'''


def test_a_mutant_over_its_memory_budget_is_timed_out_not_left_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # without i += 1 the loop allocates a megabyte a turn forever: the address-space cap
    # ends it long before the (generous) wall budget, so the test waits on no clock
    package = tmp_path / "hogproto"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "logic.py").write_text(HOG_LOGIC)
    (package / "model.py").write_text(HOG_MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    mutants, _ = generate("hogproto", ["logic.py"])
    hog = next(m for m in mutants if m.description == "dropped: i += 1")
    code = main(["mutate", "--target", "hogproto", "--modules", "logic.py", "--model", "hogproto.model:Model",
                 "--budget", "3600", "--memory", "1024", "--json", "--traces", str(tmp_path / "t"),
                 "--mutant", hog.id])
    data = json.loads(capsys.readouterr().out)
    [result] = data["results"]
    assert result["status"] == "timed out" and "memory budget (1024 MB)" in result["error"]
    assert code == 1


def test_memory_budget_below_a_python_process_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mutate", "--memory", "10"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "--memory is megabytes per mutant" in err


@pytest.mark.parametrize("por", [["--no-por"], []], ids=["no-por", "default"])
def test_a_relative_portfolio_file_means_the_users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], por: list[str],
) -> None:
    # each mutant (and the unmutated baseline) is checked in a process of its own: a
    # relative --portfolio must still name the file in the user's directory
    (tmp_path / "mine.toml").write_text(
        '[[world]]\nname = "q2-all"\npurpose = "q2 = n"\ndepth = 8\n'
        'config = { model = "multipaxos", nodes = 3, clients = 1, ballots = 1, phase1_quorum = 1, '
        'phase2_quorum = 3, faults = { drop = 0, crash = 0 }, extra = { progress = true, retries = 0 } }\n'
    )
    monkeypatch.chdir(tmp_path)
    code = main(["mutate", "--mutant", "multi.py:351:drop:b13c42", "--portfolio", "mine.toml", "--json",
                 "--traces", str(tmp_path / "traces"), *por])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["por"] is not por  # synod mutate follows synod check's default (reduced)
    (result,) = data["results"]
    # the same kill with and without the reduction
    assert (result["status"], result["world"], result["property"]) == ("killed", "q2-all", "progress")
