"""Every public history of the corpus gets the verdict EXPECTED.tsv lists.

The corpus lives outside the checkout; ``SYNOD_CORPUS`` points at it (``.ci/run`` sets
it). Outside CI a missing corpus skips with the reason; under ``CI=true`` it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.lin import LINEARIZABLE, NOT_LINEARIZABLE, check, make_model, parse_history


def _corpus() -> Path:
    root = os.environ.get("SYNOD_CORPUS")
    if not root:
        if os.environ.get("CI") == "true":
            pytest.fail("SYNOD_CORPUS is not set under CI: the corpus test cannot run")
        pytest.skip("SYNOD_CORPUS is not set (point it at ../shared/corpus to run the corpus test)")
    path = Path(root) / "porcupine" / "EXPECTED.tsv"
    if not path.is_file():
        pytest.fail(f"SYNOD_CORPUS={root} has no porcupine/EXPECTED.tsv")
    return Path(root) / "porcupine"


def test_corpus_verdicts_match_expected() -> None:
    root = _corpus()
    rows = (root / "EXPECTED.tsv").read_text().splitlines()[1:]
    assert len(rows) == 109
    wrong: list[str] = []
    for row in rows:
        name, model_name, expected, n_ops = row.split("\t")
        history = parse_history((root / name).read_text(), "auto", name)
        assert len(history.ops) == int(n_ops), name
        model = make_model("kv" if model_name == "kv" else "cas-register")
        result = check(history, model, timeout=60)
        want = LINEARIZABLE if expected == "true" else NOT_LINEARIZABLE
        if result.verdict != want:
            wrong.append(f"{name}: {result.verdict}, expected {want}")
        if result.verdict == NOT_LINEARIZABLE:
            w = result.witnesses[0]
            assert w.blocked is not None and w.blocked not in w.prefix, name
    assert not wrong, wrong
