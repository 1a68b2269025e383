"""What a checkpoint of a BFS or a DFS holds, and how each continues from one.

Snapshots are taken at *safe points* only, between two expansions, where the search's
structures agree with one another (explorer/engine/bfs.py, dfs.py call in there, and
SIGINT/SIGTERM are latched meanwhile, explorer/engine/interrupts.py). Resuming rebuilds
exactly those structures, so the search goes on as if it had never stopped: the same
states in the same order, hence the same counts, levels and counterexample.

BFS: the visited set (:meth:`Visited.to_bytes`), the rest of the frontier being expanded
(``position`` pairs of it were expanded), the next frontier so far, the final
properties pending on a last level, the level sizes and counters. DFS: the shallowest
depth per fingerprint, the stack (its states, the actions between them, and per frame
how many successors were taken and whether there was any), the initial state it
descends from, the counters. Under ``--por`` (one process) both also keep the
reduction's counters, and a BFS its free steps' bookkeeping (explorer/engine/free_steps.py).
Random walks and swarm: the walks done, the fingerprints
seen (sorted), the successors generated, the longest walk. All: the run's bookkeeping
(witnessed, violated, the violations kept with ``--collect``, a depth bound met).
"""

from __future__ import annotations

import itertools
import pickle
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from explorer.engine.checkpoint import CheckpointError, CheckpointPlan, Snapshot
from explorer.engine.por import PorStats, ReducedModel
from explorer.engine.run import Run
from explorer.engine.seen_spill import SpillingSeen
from explorer.engine.visited import Visited
from explorer.engine.visited_spill import SpillingVisited

# The searches are passed in as they are (explorer.engine.bfs._Bfs, dfs._Dfs), typed Any:
# they import this module when they checkpoint, and a type import back would be a cycle.
_Bfs = Any
_Dfs = Any
_Walks = Any

__all__ = ["restore_bfs", "restore_dfs", "restore_walks", "save_bfs", "save_dfs", "save_walks"]

#: frontier pairs per pickled piece (a piece shares sub-objects between its states)
CHUNK = 4096


def _chunks(pairs: Iterable[tuple[int, Any]], decode: Any = None) -> Iterator[bytes]:
    """Frontier pairs as pickled pieces, the states by value: a frontier's encodings
    (``decode``'s input) may name tables of this process only."""
    it = iter(pairs)
    while True:
        chunk = list(itertools.islice(it, CHUNK))
        if not chunk:
            return
        ordinals = array("q", [o for o, _ in chunk])
        states = [decode(s) for _, s in chunk] if decode else [s for _, s in chunk]
        yield pickle.dumps((ordinals.tobytes(), states), protocol=5)


def _pairs(pieces: list[bytes], run: Run) -> Iterator[tuple[int, Any]]:
    adopt = run.model.adopt
    for piece in pieces:
        raw, states = pickle.loads(piece)
        ordinals = array("q")
        ordinals.frombytes(raw)
        for ordinal, state in zip(ordinals, states, strict=True):
            yield ordinal, adopt(state)


def _run_state(run: Run) -> bytes:
    return pickle.dumps(
        {
            "sometimes": run.sometimes,
            "violated": sorted(run.violated),
            "violations": run.violations,
            # only a depth bound met is part of the search's outcome so far; a time or
            # memory stop, or a signal, belongs to the session that stopped
            "stopped_by": run.stopped_by if run.stopped_by == "depth" else None,
        },
        protocol=5,
    )


def _restore_run(run: Run, blob: bytes) -> None:
    data = pickle.loads(blob)
    run.sometimes.update(data["sometimes"])
    run.violated = set(data["violated"])
    run.violations = list(data["violations"])
    run.stopped_by = data["stopped_by"]


#: the reduction's counters a checkpoint keeps (``status`` is the session's)
_POR_COUNTERS = ("expanded", "fully_expanded", "transitions", "pruned", "pruned_free")


def _por_sections(run: Run, free: Any = None, mid_level: bool = False) -> dict[str, list[bytes]]:
    """A reduced search's own state: the reduction's counters (they decide, with what
    was pruned, whether a depth-bounded search is complete) and a BFS's free steps."""
    if not isinstance(run.model, ReducedModel):
        return {}
    stats = run.model.stats
    saved: dict[str, Any] = {name: getattr(stats, name) for name in _POR_COUNTERS}
    saved["free_steps"] = free is not None
    if free is not None:
        saved["free"] = free.to_saved(mid_level)
    return {"por": [pickle.dumps(saved, protocol=5)]}


def _restore_por(run: Run, snapshot: Snapshot, free: Any = None, mid_level: bool = False) -> None:
    if not isinstance(run.model, ReducedModel):
        return  # (the identity holds --por: a plain search's checkpoint has no section)
    saved = pickle.loads(snapshot.one("por"))
    if saved["free_steps"] != (free is not None):
        # free steps (a 0-1 BFS) need the frontier in memory: off under --max-memory
        made = "without --max-memory" if saved["free_steps"] else "with --max-memory"
        raise CheckpointError(f"the checkpoint is of a --por BFS {made}: resume it {made}")
    stats: PorStats = run.model.stats
    for name in _POR_COUNTERS:
        setattr(stats, name, int(saved[name]))
    if free is not None:
        free.restore(saved["free"], mid_level)


def _plan(run: Run) -> CheckpointPlan:
    plan = run.checkpoint
    assert plan is not None
    return plan


def save_bfs(
    bfs: _Bfs,
    frontier: Iterable[tuple[int, Any]],
    position: int,
    next_frontier: Iterable[tuple[int, Any]],
    pending: list[tuple[int, list[Any]]],
    expanded: int,
    mid_level: bool,
) -> None:
    """Write a checkpoint of a BFS at a safe point (see the module docstring);
    ``mid_level``: inside a level (else between two, ``frontier`` the next one)."""
    run = bfs.run
    counters = {
        "mid_level": mid_level,
        "level_sizes": list(bfs.level_sizes),
        "generated": bfs.generated,
        "at_bound": bfs.at_bound,
        "expanded": expanded,
        "distinct": len(bfs.visited),
    }
    names = [(ordinal, [p.name for p in props]) for ordinal, props in pending]
    _plan(run).write(
        "bfs",
        counters,
        {
            "visited": [bfs.visited.to_bytes()],
            "frontier": _chunks(itertools.islice(frontier, position, None), bfs.decode),
            "next": _chunks(next_frontier, bfs.decode),
            "pending": [pickle.dumps(names, protocol=5)],
            "run": [_run_state(run)],
            **_por_sections(run, bfs.free, mid_level),
        },
    )


def restore_bfs(bfs: _Bfs, snapshot: Snapshot) -> tuple[Any, tuple[Any, list[tuple[int, list[Any]]]] | None, int]:
    """Rebuild a BFS from ``snapshot``; returns (the rest of the frontier, the level in
    progress to carry on with: the next frontier and the pending final properties so
    far, or None between two levels; states expanded so far)."""
    _expect(snapshot, "bfs")
    run = bfs.run
    c = snapshot.counters
    try:
        visited = Visited.from_bytes(snapshot.one("visited"))
    except ValueError as exc:
        raise CheckpointError(f"checkpoint: {exc}") from None
    bfs.visited = SpillingVisited.taking_over(visited, bfs.spill) if bfs.spill is not None else visited
    bfs.level_sizes = [int(n) for n in c["level_sizes"]]
    bfs.generated = int(c["generated"])
    bfs.at_bound = int(c["at_bound"])
    frontier, next_frontier = bfs.new_frontier(), bfs.new_frontier()
    encode = bfs.encode
    for target, name in ((frontier, "frontier"), (next_frontier, "next")):
        for piece in snapshot.sections.get(name, []):
            for ordinal, state in _pairs([piece], run):
                target.append(ordinal, encode(state) if encode else state)
            bfs.spill_if_over_now(target)  # a chunk at a time, past the memory bound
    finals = {p.name: p for p in run.final}
    pending = [(o, [finals[n] for n in names]) for o, names in pickle.loads(snapshot.one("pending"))]
    _restore_run(run, snapshot.one("run"))
    _restore_por(run, snapshot, bfs.free, bool(c["mid_level"]))
    carry = (next_frontier, pending) if c["mid_level"] else None
    return frontier, carry, int(c["expanded"])


def save_dfs(dfs: _Dfs) -> None:
    """Write a checkpoint of a DFS at a safe point (see the module docstring)."""
    run = dfs.run
    # (a seen map partly on disk is read back whole, merged, while it is written)
    items = dfs.seen.sorted_items() if isinstance(dfs.seen, SpillingSeen) else sorted(dfs.seen.items())
    fps, depths = array("Q"), array("I")
    for fp, depth in items:
        fps.append(fp)
        depths.append(depth)
    seen = fps.tobytes() + depths.tobytes()
    counters = {
        "generated": dfs.generated,
        "max_seen_depth": dfs.max_seen_depth,
        "expanded": dfs.expanded,
        "init_index": dfs.init_index,
        "taken": list(dfs.taken),
        "had": list(dfs.had),
        "distinct": len(dfs.seen),
    }
    stack = pickle.dumps((list(dfs.states), list(dfs.acts)), protocol=5)
    sections: dict[str, Iterable[bytes]] = {"seen": [seen], "stack": [stack], "run": [_run_state(run)], **_por_sections(run)}
    _plan(run).write("dfs", counters, sections)


def restore_dfs(dfs: _Dfs, snapshot: Snapshot) -> None:
    """Rebuild a DFS from ``snapshot``: each frame's successor iterator is made again and
    advanced past the successors it had taken (successors are deterministic)."""
    _expect(snapshot, "dfs")
    run = dfs.run
    c = snapshot.counters
    raw = snapshot.one("seen")
    fps, depths = array("Q"), array("I")
    half = len(raw) * 2 // 3
    fps.frombytes(raw[:half])
    depths.frombytes(raw[half:])
    seen = dict(zip(fps, depths, strict=True))
    dfs.seen = SpillingSeen(dfs.spill, seen) if dfs.spill is not None else seen  # spills again past the bound
    dfs.generated = int(c["generated"])
    dfs.max_seen_depth = int(c["max_seen_depth"])
    dfs.expanded = int(c["expanded"])
    dfs.init_index = int(c["init_index"])
    states, acts = pickle.loads(snapshot.one("stack"))
    dfs.states = [run.model.adopt(s) for s in states]
    dfs.acts = list(acts)
    dfs.had = [bool(h) for h in c["had"]]
    dfs.taken = [int(t) for t in c["taken"]]
    dfs.iters = []
    for state, taken in zip(dfs.states, dfs.taken, strict=True):
        it = iter(dfs.successors(state))
        deque(itertools.islice(it, taken), maxlen=0)
        dfs.iters.append(it)
    _restore_run(run, snapshot.one("run"))
    _restore_por(run, snapshot)


def save_walks(walks: _Walks, on_ray: dict[str, Any] | None = None) -> None:
    """Write a checkpoint of random walks or swarm between two walks (on Ray: between two
    chunks of walks, ``on_ray`` what the Ray campaign adds, ray_backend/walks.py)."""
    run = walks.run
    counters = {"walks": walks.count, "generated": walks.generated, "longest": walks.longest, "distinct": len(walks.seen)}
    if on_ray is not None:
        counters.update(on_ray, backend="ray")
    seen = array("Q", sorted(walks.seen)).tobytes()
    strategy = "swarm" if walks.swarm else "random"
    _plan(run).write(strategy, counters, {"seen": [seen], "run": [_run_state(run)]})


def restore_walks(walks: _Walks, snapshot: Snapshot) -> None:
    """Rebuild the walks' bookkeeping from ``snapshot`` (the caller skips the seeds of
    the walks done; explorer.engine.search.check_resumable checked the backend)."""
    _expect(snapshot, "swarm" if walks.swarm else "random")
    c = snapshot.counters
    seen = array("Q")
    seen.frombytes(snapshot.one("seen"))
    walks.seen = set(seen)
    walks.count = int(c["walks"])
    walks.generated = int(c["generated"])
    walks.longest = int(c["longest"])
    _restore_run(walks.run, snapshot.one("run"))


def _expect(snapshot: Snapshot, strategy: str) -> None:
    if snapshot.strategy != strategy:
        raise CheckpointError(f"the checkpoint is of a {snapshot.strategy} search, not {strategy}")
