"""The page of Python in docs/actors.md runs, and the checker finds its bug."""

from __future__ import annotations

import re
import types
from pathlib import Path

from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.replay.diagram import render_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "actors.md"


def load_example() -> types.ModuleType:
    text = DOC.read_text()
    code = re.search(r"```python\n(# mylock\.py.*?)```", text, re.S)
    assert code is not None, "the example is missing from docs/actors.md"
    module = types.ModuleType("mylock")
    exec(compile(code.group(1), str(DOC), "exec"), module.__dict__)
    return module


def test_the_documented_lock_example_is_caught() -> None:
    model = load_example().build()
    result = search(model, SearchSettings())
    assert result.verdict == "violated"  # the search stops at the first violation
    (violation,) = result.violations
    assert violation.property_name == "mutual exclusion"
    labels = [model.format_action(a) for a in violation.actions]
    assert "crash 0" in labels and "restart 0" in labels
    assert result.sometimes["lock granted"]
    drawing = render_text(model, violation.states, violation.actions, violation.step, violation.property_name)
    assert "'mutual exclusion' violated" in drawing and "Granted()" in drawing
