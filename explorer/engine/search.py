"""The search engine: breadth-first, depth-first, seeded random walks and swarm.

``search(model, settings, progress)`` explores the states of a :class:`~explorer.engine.model.Model`
within the bounds of :class:`~explorer.engine.results.SearchSettings` and returns a
:class:`~explorer.engine.results.SearchResult`. The engine knows nothing about any model: it
expands states through ``model.successors``, identifies them by a stable 64-bit
fingerprint (``explorer.engine.fingerprint``) of ``model.representative(state)`` when symmetry
is on (of the state itself otherwise), and checks ``model.properties()``.

Semantics (shared by every strategy):

- ``always`` properties are checked on every new state (initial states included);
- ``sometimes`` properties are checked on new states until witnessed;
- ``final`` properties are checked where a run ends: a state with no enabled successor,
  a state outside ``model.within_boundary`` (it is not expanded), or a state at the
  depth bound;
- a violation stops the search unless ``settings.collect`` (then one violation per
  property is kept and the search goes on);
- ``complete`` is true when everything within the bounds was explored; reaching the
  depth bound still counts as complete (everything up to that depth was seen), running
  out of states, time or memory does not, nor does an interrupt (Ctrl-C returns the
  partial result with ``stopped_by="interrupted"``).

The strategies live one per module: bfs.py (a parent map of successor indices; the
path is rebuilt by re-execution), parallel.py (the same BFS over worker processes;
ray_backend/ the same BFS over Ray actors and the walks as Ray tasks),
dfs.py (the path is the stack), walks.py (seeded random walks and swarm); run.py holds
what they share.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.bfs import bfs
from explorer.engine.checkpoint import CheckpointError, CheckpointPlan, Snapshot
from explorer.engine.dfs import dfs
from explorer.engine.errors import ConfigError
from explorer.engine.model import Model
from explorer.engine.results import BACKENDS, STRATEGIES, SearchResult, SearchSettings
from explorer.engine.run import ProgressFn, Run, memory_mb, rebuild_path, state_fingerprint
from explorer.engine.shrink import replay_actions, shrink
from explorer.engine.walks import DEFAULT_WALK_DEPTH, DEFAULT_WALKS, walks

__all__ = [
    "DEFAULT_WALK_DEPTH",
    "DEFAULT_WALKS",
    "memory_mb",
    "rebuild_path",
    "replay_actions",
    "search",
    "shrink",
    "state_fingerprint",
]


def search(
    model: Model[Any, Any],
    settings: SearchSettings,
    progress: ProgressFn | None = None,
    checkpoint: CheckpointPlan | None = None,
) -> SearchResult:
    """Explore ``model`` within ``settings``; see the module docstring for the semantics.

    ``checkpoint``: write checkpoints there (and resume from its snapshot, if any): bfs
    (in one process or over local workers), dfs, random and swarm on the local backend
    (explorer/engine/checkpoint.py)."""
    if settings.strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {settings.strategy!r} (known: {', '.join(STRATEGIES)})")
    if settings.workers < 1:
        raise ValueError("workers must be at least 1")
    for name in ("max_depth", "max_states", "max_memory_mb", "walks"):
        value = getattr(settings, name)
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    if settings.backend not in BACKENDS:
        raise ValueError(f"unknown backend {settings.backend!r} (known: {', '.join(BACKENDS)})")
    if checkpoint is not None:
        check_checkpointable(settings)
        if checkpoint.snapshot is not None:
            check_resumable(settings, checkpoint.snapshot)
    if not settings.por:
        return _run(_new_run(model, settings, progress, checkpoint))
    if settings.strategy not in ("bfs", "dfs"):
        raise ValueError(f"partial-order reduction applies to bfs and dfs, not {settings.strategy}")
    from explorer.engine.por import reduce_model

    searched, stats = reduce_model(model, settings)
    result = _run(_new_run(searched, settings, progress, checkpoint))
    por = stats.to_json()
    # the local workers send their counters back (explorer/engine/parallel.py); Ray
    # actors, and workers stopped by a signal, do not (off, there is nothing to count)
    parallel = settings.workers > 1 or settings.backend != "local"
    uncounted = parallel and searched is not model and not stats.from_workers
    if uncounted:
        por["counted"] = "not counted: the states were expanded by the workers"
    reduced_somewhere = uncounted or stats.pruned > 0
    # Free steps count as no step of the bound (explorer/engine/free_steps.py): a search
    # that pruned only at free sets is as strong within the bound as the full one, but
    # for final properties judged where the bound cuts a run (docs/por.md, "Depth bounds"),
    # unless they are extension-closed: those are judged in every state.
    counted = stats.pruned > stats.pruned_free or _has_cut_final(searched)
    if result.stopped_by == "depth" and searched is not model and reduced_somewhere and (counted or uncounted):
        # A reduced path can be longer than the full path it stands for (docs/por.md):
        # within the depth bound, the full space was not shown to be covered. (With
        # nothing pruned the search was the full one.)
        result.complete = False
        por["depth"] = "the depth bound cut reduced paths: not a check of every path within it"
    result.extra["por"] = por
    return result


def _has_cut_final(model: Model[Any, Any]) -> bool:
    """Whether a final property is judged only where runs end (not extension-closed)."""
    return any(p.kind == "final" and not p.extension_closed for p in model.properties())


def check_checkpointable(settings: SearchSettings) -> None:
    """Checkpoints are written by bfs (in one process, over local workers or over Ray
    actors), random walks and swarm (in one process or as Ray tasks), and dfs in one
    process, under --por too (the reduction's counters and free steps are saved:
    explorer/engine/snapshots.py, parallel_checkpoint.py, ray_backend/checkpoint.py);
    ConfigError otherwise."""
    if settings.workers > 1 and settings.strategy != "bfs" and settings.backend == "local":
        raise ConfigError(f"--checkpoint and --resume apply to --strategy {settings.strategy} in one process: drop --workers")


#: the strategy a checkpoint names -> how to resume it, for the BFS searches
_BFS_KINDS = {
    "bfs": ("in one process", "without --workers and --backend ray"),
    "bfs-workers": ("over local worker processes", "with --workers 2 or more (any number), without --backend ray"),
    "bfs-ray": ("on Ray", "with --backend ray (any number of workers)"),
}


def check_resumable(settings: SearchSettings, snapshot: Snapshot) -> None:
    """A BFS resumes where its checkpoint was made: in one process, over local workers
    (any number), or on Ray (any number of actors); CheckpointError otherwise (the three
    keep their parent records differently). A walk campaign resumes on the backend that
    made it."""
    if settings.strategy in ("random", "swarm"):
        # a Ray campaign's chunk of walks ends at its first violation: resumed locally
        # (or the other way round), --collect could give another result
        made_on = snapshot.counters.get("backend", "local")
        if made_on != settings.backend:
            if made_on == "ray":
                raise CheckpointError("the checkpoint is of a campaign on Ray: resume it with --backend ray")
            raise CheckpointError("the checkpoint is of a campaign in one process: resume it without --backend ray")
    if settings.strategy != "bfs" or snapshot.strategy not in _BFS_KINDS:
        return  # the identity holds the strategy: the searches check their own
    if settings.backend == "ray":
        here = "bfs-ray"
    else:
        here = "bfs-workers" if settings.workers > 1 else "bfs"
    if snapshot.strategy != here:
        where, how = _BFS_KINDS[snapshot.strategy]
        raise CheckpointError(f"the checkpoint is of a BFS {where}: resume it {how}")


def _new_run(
    model: Model[Any, Any], settings: SearchSettings, progress: ProgressFn | None, checkpoint: CheckpointPlan | None
) -> Run:
    run = Run(model, settings, progress, checkpoint=checkpoint)
    # the one-process BFS spills its frontier and visited set past the memory bound
    # instead of stopping, the DFS its seen map
    run.spills = (
        settings.max_memory_mb is not None
        and settings.strategy in ("bfs", "dfs")
        and settings.workers == 1
        and settings.backend == "local"
    )
    return run


def _run(run: Run) -> SearchResult:
    settings = run.settings
    if settings.backend == "ray":
        return _search_on_ray(run)
    if settings.strategy == "bfs":
        if settings.workers > 1:
            from explorer.engine.parallel import parallel_bfs

            if run.checkpoint is not None:
                from explorer.engine.parallel_checkpoint import CheckpointingCoordinator

                return parallel_bfs(run, CheckpointingCoordinator)
            return parallel_bfs(run)
        return bfs(run)
    if settings.strategy == "dfs":
        return dfs(run)
    return walks(run, swarm=settings.strategy == "swarm")


def _search_on_ray(run: Run) -> SearchResult:
    if run.settings.strategy == "dfs":
        raise ConfigError("--strategy dfs runs in one process; --backend ray takes bfs, random or swarm")
    if run.settings.strategy == "bfs":
        from explorer.engine.ray_backend.bfs import ray_bfs

        if run.checkpoint is not None:
            from explorer.engine.ray_backend.checkpoint import RayCheckpointingCoordinator

            return ray_bfs(run, RayCheckpointingCoordinator)
        return ray_bfs(run)
    from explorer.engine.ray_backend.walks import ray_walks

    return ray_walks(run, swarm=run.settings.strategy == "swarm")
