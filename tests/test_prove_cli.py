"""``synod prove``: argument handling, output and exit codes (0 / 1 / 2 / 3)."""

from __future__ import annotations

import argparse
import json
import sys

import pytest

from checker.prove import cli as prove_cli
from checker.prove.paxos import ProofResult
from checker.prove.quorums import QuorumResult


class _OneLineParser(argparse.ArgumentParser):
    """Like the synod dispatcher's parser: a usage error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def run(argv: list[str]) -> int:
    parser = _OneLineParser(prog="synod prove")
    prove_cli.add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return prove_cli.run(args)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["quorums", "--nodes", "5"], 0),
        (["quorums", "--nodes", "5", "--q1", "2", "--q2", "3"], 1),
        (["quorums", "--nodes", "5", "--q1", "4", "--q2", "2"], 0),
        (["quorums", "--nodes", "3", "--sets", "0,1;1,2;0,2"], 0),
        (["quorums", "--nodes", "3", "--sets", "0,1;2"], 1),
        (["quorums", "--nodes", "4", "--sets1", "0,1;2,3", "--sets2", "0,2;1,3"], 0),
        (["quorums", "--weights", "1,1,2", "--threshold1", "3", "--threshold2", "2"], 0),
        (["quorums", "--weights", "1,1,2", "--threshold1", "2", "--threshold2", "2"], 1),
        (["quorums", "--grid", "3x4"], 0),
        (["quorums", "--grid", "3x4", "--grid-phase2", "column"], 1),
    ],
)
def test_quorum_verdicts_and_exit_codes(
    argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == code
    out = capsys.readouterr().out
    assert ("PROVED" if code == 0 else "REFUTED") in out
    if code == 1:
        assert "phase-1 quorum" in out and "phase-2 quorum" in out


def test_quorum_json_witness_is_disjoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["quorums", "--nodes", "7", "--q1", "3", "--q2", "4", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "disjoint" and data["intersects"] is False
    p1, p2 = data["witness"]["phase1"], data["witness"]["phase2"]
    assert len(p1) == 3 and len(p2) == 4 and not set(p1) & set(p2)
    assert set(p1) | set(p2) <= set(range(7))


@pytest.mark.parametrize(
    "argv",
    [
        ["quorums"],
        ["quorums", "--nodes", "0"],
        ["quorums", "--nodes", "5", "--q1", "3"],
        ["quorums", "--nodes", "5", "--q1", "6", "--q2", "1"],
        ["quorums", "--nodes", "3", "--sets", "0,x"],
        ["quorums", "--nodes", "3", "--sets", "0,7"],
        ["quorums", "--nodes", "3", "--sets", "0,1", "--q1", "2", "--q2", "2"],
        ["quorums", "--weights", "1,2"],
        ["quorums", "--weights", "1,2", "--threshold1", "9", "--threshold2", "1"],
        ["quorums", "--weights", "1,2", "--nodes", "3", "--threshold1", "1", "--threshold2", "1"],
        ["quorums", "--grid", "3by4"],
        ["quorums", "--grid", "2x2", "--nodes", "5"],
        ["quorums", "--nodes", "3", "--threshold1", "2"],
        # found by bench/fuzz_cli.py: 10^30 nodes built z3 variables forever
        ["quorums", "--nodes", "9" * 30, "--phase1-quorum", "501", "--phase2-quorum", "7"],
        ["quorums", "--nodes", "9" * 30, "--sets", "99"],
        ["quorums", "--grid", "1000x1000", "--method", "z3"],
        ["paxos", "--variant", "nonsense"],
        ["paxos", "--timeout", "-1"],
        [],
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


def test_paxos_proved_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["paxos"]) == 0
    assert "PROVED" in capsys.readouterr().out


def test_multipaxos_broken_variant_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["multipaxos", "--variant", "vote-after-leaving", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "refuted" and data["epr"]["stratified"] is True
    failed = [q for q in data["queries"] if q["status"] == "refuted"]
    assert failed and failed[0]["cti"]["action"] == "cast_vote"
    assert failed[0]["cti"]["sort_sizes"]["inst"] >= 1


def test_paxos_broken_variant_prints_cti(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["paxos", "--variant", "missing-choosable"]) == 1
    out = capsys.readouterr().out
    assert "Counterexample to induction" in out and "broken:" in out
    assert "action: decide(" in out


def test_unknown_maps_to_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def gives_up(
        multi: bool = False, variant: str = "correct", timeout_s: float = 1
    ) -> ProofResult:
        return ProofResult("paxos", variant, "unknown", [], 0.0)

    monkeypatch.setattr(prove_cli, "prove", gives_up)
    assert run(["paxos", "--timeout", "0.01"]) == 3
    assert "UNKNOWN" in capsys.readouterr().out


def test_dispatcher_reaches_prove(capsys: pytest.CaptureFixture[str]) -> None:
    from explorer.cli import main

    assert main(["prove", "quorums", "--nodes", "4", "--q1", "2", "--q2", "2"]) == 1
    assert "REFUTED" in capsys.readouterr().out


def test_quorum_timeout_maps_to_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def gives_up(system: object, **kwargs: object) -> QuorumResult:
        return QuorumResult("unknown", None, "z3-qf-lia", 0.0, "test system")

    monkeypatch.setattr(prove_cli, "check_intersection", gives_up)
    assert run(["quorums", "--nodes", "5"]) == 3
    assert "UNKNOWN" in capsys.readouterr().out


def test_bmc_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["paxos", "--bmc", "3"]) == 0
    assert "no agreement violation within 3 actions" in capsys.readouterr().out
    assert run(["multipaxos", "--bmc", "3", "--variant", "no-quorum-axiom", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "violated" and len(data["steps"]) == 2
    assert run(["paxos", "--bmc", "-2"]) == 2


def test_quorum_options_copy_between_check_and_prove(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The options the two commands share are spelled alike (issue 12): what a user gave
    ``synod check`` asks ``synod prove quorums`` about the same quorums."""
    from explorer.cli import main
    from explorer.cli.main import build_parser

    shared = ["--nodes", "5", "--phase1-quorum", "4", "--phase2-quorum", "2", "--time-limit", "30"]
    checked = build_parser("check").parse_args(["check", *shared])
    assert (checked.nodes, checked.phase1_quorum, checked.phase2_quorum, checked.time_limit) == (5, 4, 2, 30.0)
    assert main(["prove", "quorums", *shared]) == 0
    assert "quorums: 5 nodes" in capsys.readouterr().out
    assert main(["prove", "quorums", *shared[:2], "--phase1-quorum", "2", "--phase2-quorum", "3"]) == 1

    limits: list[object] = []

    def records(system: object, timeout_s: float, method: str) -> QuorumResult:
        limits.append(timeout_s)
        return QuorumResult("unknown", None, "z3-qf-lia", 0.0, "test system")

    monkeypatch.setattr(prove_cli, "check_intersection", records)
    assert main(["prove", "quorums", *shared]) == 3
    assert main(["prove", "quorums", "--nodes", "5", "--q1", "3", "--q2", "3", "--timeout", "9"]) == 3  # old
    assert limits == [30.0, 9.0]


def test_the_old_prove_spellings_are_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    for target in ("quorums", "paxos"):
        assert run([target, "--help"]) == 0
        usage = capsys.readouterr().out
        assert "--time-limit" in usage and "--timeout" not in usage
        if target == "quorums":
            assert "--phase1-quorum" in usage and "--q1" not in usage


def test_a_zero_quorum_size_is_refused_not_read_as_a_majority(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["quorums", "--nodes", "3", "--phase1-quorum", "0", "--phase2-quorum", "0"]) == 2
    assert "must be between 1 and n=3" in capsys.readouterr().err
