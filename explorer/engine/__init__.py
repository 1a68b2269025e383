"""The protocol-agnostic search engine: a :class:`Model` and its properties in, a
:class:`SearchResult` out.

- model.py: the :class:`Model` / :class:`Property` interface any protocol implements;
- search.py: :func:`search`, the entry point; bfs.py, dfs.py, walks.py, parallel.py:
  the strategies; run.py: what they share;
- fingerprint.py: stable 64-bit fingerprints (the same in every process);
- shrink.py: delta debugging of counterexamples; results.py: settings and results.

Nothing here imports the rest of ``explorer``.
"""

from explorer.engine.errors import ConfigError
from explorer.engine.fingerprint import fingerprint
from explorer.engine.model import Model, Property
from explorer.engine.results import STRATEGIES, Progress, SearchResult, SearchSettings, Violation
from explorer.engine.search import search

__all__ = [
    "STRATEGIES",
    "ConfigError",
    "Model",
    "Progress",
    "Property",
    "SearchResult",
    "SearchSettings",
    "Violation",
    "fingerprint",
    "search",
]
