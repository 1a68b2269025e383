"""The protocol-agnostic search engine: a :class:`Model` and its properties in, a
:class:`SearchResult` out.

- model.py: the :class:`Model` / :class:`Property` interface any protocol implements;
- search.py: :func:`search`, the entry point; bfs.py, dfs.py, walks.py, parallel.py:
  the strategies; run.py: what they share;
- fingerprint.py: stable 64-bit fingerprints (the same in every process);
- shrink.py: delta debugging of counterexamples; results.py: settings and results;
- components.py: naming the parts of states and actions; coverage.py,
  coverage_report.py: ``--coverage`` (a counting wrapper Model, no engine hook);
  sanitize.py, sanitize_static.py: the determinism sanitizer's walks, comparisons and
  static pass (the subprocesses are driven from explorer.testing.sanitize);
- checkpoint.py: checkpoint files (atomic, checked) and the plan of a run's
  checkpoints; snapshots.py: what a BFS or DFS checkpoint holds and how each resumes;
  spill.py: the BFS frontier on disk past ``max_memory_mb``; interrupts.py: signals
  held or latched around what must not be cut;
- visited.py: the compact visited set of BFS; ray_backend/: BFS over Ray actors and
  walks as Ray tasks (Ray imported only there); backends.py: mapping a function over
  cases on the local or the Ray backend.

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
