"""The example in docs/paxos_core.md runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "paxos_core.md"


def test_docs_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert blocks, "no python example in docs/paxos_core.md"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks[0], str(DOC), "exec"), {})
    assert "Reply(seq=1, result='ok')" in printed.getvalue()
    assert len(blocks[0].strip().splitlines()) <= 16
