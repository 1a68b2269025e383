"""Checking your own protocol from its test suite (docs/testing.md).

- :func:`runs` (needs Hypothesis: ``pip install 'synod-check[hypothesis]'``): a strategy
  drawing runs of any model, shrinkable, replayable, savable as a Synod trace;
- :func:`assert_holds`: a bounded check from a test, failing with the counterexample
  drawn as a sequence diagram and the path of the saved trace;
- :func:`sanitize`: the determinism sanitizer (``synod check --sanitize``).

Names load on first use, so importing this package needs no Hypothesis.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "runs": "explorer.testing.strategies",
    "Run": "explorer.testing.run",
    "save_run": "explorer.testing.run",
    "assert_holds": "explorer.testing.assertions",
    "sanitize": "explorer.testing.sanitize",
    "SanitizeReport": "explorer.testing.sanitize",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
