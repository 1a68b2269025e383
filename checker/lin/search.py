"""Linearizability checking: the Wing–Gong search with Lowe's memoisation (as in
Porcupine and Knossos), written for CPython.

The algorithm, per independent part of the history (P-compositionality):

1. **Entry list.** Every operation contributes a *call* entry and, if it completed, a
   *return* entry; entries sit in a doubly linked list in real-time order (arrays
   ``nxt``/``prv`` indexed by entry, a head sentinel at 0 and a tail sentinel at the
   end). Removing an operation ("lift": its call and return) and putting it back
   ("unlift") are O(1) pointer swaps, dancing-links style.
2. **Search.** Scan from the head. At a call entry, try to apply the operation to the
   current model state; if the model allows it and the configuration is new, push
   ``(entry, state)`` on the backtracking stack, lift the operation and restart the scan
   from the head. At a return entry, the operation it closes had to be linearized
   before anything invoked later and none of the candidates worked: pop the stack,
   unlift, and try the next candidate after the popped one. The part is linearizable
   when every *completed* operation is linearized (pending operations, with no return
   entry, may stay out: "took effect never"); it is refuted when the scan reaches a
   return entry with an empty stack.
3. **Memoisation (Lowe).** A configuration is (set of linearized operations as a
   Python-int bitset, model state); one already explored is not explored again.
4. **Pending-operation dominance (beyond Porcupine).** When a pending operation is
   linearized and the configuration *without* it, in the same resulting state, was
   already explored, the new configuration is pruned: it can only do less (the pending
   operation could as well never have taken effect). Jepsen etcd logs are full of
   timed-out writes, and this halves their search.
5. **Twin symmetry (beyond Porcupine).** Identical pending operations (same input,
   never returned: e.g. two timed-out ``write(3)``) are interchangeable, so they are
   linearized only in invocation order.
6. **Read-only commutation (beyond Porcupine).** A legal read-only operation (a read,
   a failed cas) is placed without branching: a linearization, if any, could place it
   first. Popping it refutes the configuration below it as well. Read-only operations
   with unknown output, or never returned, constrain nothing and are dropped.
7. **Step tables.** Model steps are memoised per distinct (input, output) pair and
   state: operations repeat, so the model's Python code runs once per distinct
   (input, output, state), not once per attempt.
8. **Fair parts.** Parts (e.g. per key) run round-robin in slices of steps, smallest
   first, so one hard part cannot starve a verdict another part decides; the first
   refuted part decides "not linearizable". Time and step budgets yield "unknown".

The witness for a refuted part is the longest linearizable prefix seen, the operation
whose return blocked it (it had to be placed next and could not be), and the state
after the prefix.

Where each idea is: :func:`_entry_list` (1); :meth:`PartSearch.advance`, the hot loop
(2, 3, 4 and 6, its comments numbered alike; everything it touches is a local, and its
setup and teardown stay outside the loop); :func:`_twins` (5);
:func:`_drop_unconstraining` (6); :func:`_step_tables` (7); :func:`_search_fairly` (8).
A nondeterministic model is searched as a deterministic one over sets of states
(:func:`_powerset_step`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.lin.guard import guarded_model, step_failure
from checker.lin.history import UNKNOWN, History, Operation
from checker.lin.models import LinModel, StepFn

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN_VERDICT = "unknown"

_MISS = object()  # not yet in a step table
_ILLEGAL = object()  # the model refuses this step


class ModelMismatchError(ValueError):
    """An operation the model cannot interpret at all (bad input, not a violation)."""

    def __init__(self, op: Operation, problem: str) -> None:
        super().__init__(problem)
        self.op = op
        self.problem = problem


@dataclass
class PartWitness:
    """Why one part is not linearizable."""

    label: Hashable
    prefix: list[Operation]  # the longest linearizable prefix found, in order
    blocked: Operation | None  # the operation that could not be placed after it
    state: Any  # model state after the prefix (a frozenset of states if nondeterministic)
    state_text: str
    candidates: list[Operation]  # operations that were concurrent candidates at that point
    part_ops: list[Operation] = field(default_factory=list)


@dataclass
class LinStats:
    steps: int = 0
    cache_hits: int = 0  # configurations pruned as already explored (exact or dominated)
    dominated: int = 0  # of those, pruned by pending-operation dominance only
    cache_size: int = 0
    cache_clears: int = 0  # times a cache passed max_configs and was emptied
    parts: int = 0
    parts_linearizable: int = 0
    parts_refuted: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0


@dataclass
class LinResult:
    verdict: str
    witnesses: list[PartWitness]
    stats: LinStats
    reason: str = ""  # why the verdict is unknown
    model_name: str = ""
    history: History | None = None

    @property
    def exit_code(self) -> int:
        return {LINEARIZABLE: 0, NOT_LINEARIZABLE: 1}.get(self.verdict, 3)


# -- building one part's search: the entry list (1) and the prunings' tables (5-7) -------


def _powerset_step(step: StepFn) -> StepFn:
    """A nondeterministic model's step over *sets* of states (the search's state is then
    the frozenset of states the object may be in), in the deterministic contract: ``()``
    or ``(next,)``. So the hot loop has one kind of model step."""

    def over_sets(states: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
        after: set[Any] = set()
        for s in states:
            after.update(step(s, inp, out))
        return (frozenset(after),) if after else ()

    return over_sets


def _drop_unconstraining(
    ops: Sequence[Operation], read_only: Callable[[tuple[Any, ...], Any], bool] | None
) -> list[Operation]:
    """6. A read-only operation whose result is unknown, or that never returned, can
    neither change the state nor fail: it constrains nothing, so drop it."""
    return [
        op for op in ops
        if read_only is None
        or not ((op.ret is None or op.output is UNKNOWN) and read_only(op.input, op.output))
    ]


def _entry_list(ops: Sequence[Operation]) -> tuple[list[int], list[int], list[int], list[int]]:
    """1. The entry list as arrays ``nxt``, ``prv``, ``ent_op``, ``match`` indexed by entry.

    Entries are (time, 0 for call / 1 for return, op index), sorted; calls go first on
    ties, which only widens the concurrency. Entry 0 is the head sentinel, the last entry
    the tail sentinel. ``ent_op[e]`` is the op index of a call entry and ``~op``
    (negative) of a return entry; the sentinels hold 0, never read (the scan starts after
    the head and meets a return entry before the tail while a completed op is left).
    ``match[e]`` is the return entry of call entry ``e`` (0 when the op is pending).
    """
    marks: list[tuple[int, int, int]] = []
    for i, op in enumerate(ops):
        marks.append((op.call, 0, i))
        if op.ret is not None:
            marks.append((op.ret, 1, i))
    marks.sort()
    size = len(marks) + 2
    ent_op = [0] * size
    match = [0] * size
    call_entry = [0] * len(ops)
    for e, (_, kind, i) in enumerate(marks, 1):
        if kind == 0:
            ent_op[e] = i
            call_entry[i] = e
        else:
            ent_op[e] = ~i
            match[call_entry[i]] = e
    nxt = list(range(1, size)) + [size - 1]
    prv = [0] + list(range(0, size - 1))
    return nxt, prv, ent_op, match


def _step_tables(
    ops: Sequence[Operation], shared: dict[tuple[Any, Any], dict[Any, Any]] | None
) -> tuple[list[tuple[Any, Any]], list[dict[Any, Any]]]:
    """7. Each op's (input, output) and its step table (state -> next state or
    ``_ILLEGAL``): one table per distinct pair, in ``shared`` when given (the parts that
    use one model share them), so repeated operations reuse the model's answers."""
    tables = shared if shared is not None else {}
    op_keys = [(op.input, op.output) for op in ops]
    return op_keys, [tables.setdefault(key, {}) for key in op_keys]


def _twins(ops: Sequence[Operation], op_keys: Sequence[tuple[Any, Any]]) -> list[int]:
    """5. Twin symmetry: identical pending operations (same input, never returned) are
    interchangeable, so only linearize them in invocation order: ``twin[j]`` is the bit
    of the previous identical one, which must already be linearized (0: no elder twin)."""
    twin = [0] * len(ops)
    last: dict[tuple[Any, Any], int] = {}
    for i in sorted(range(len(ops)), key=lambda i: ops[i].call):
        if ops[i].ret is None:
            k = op_keys[i]
            if k in last:
                twin[i] = 1 << last[k]
            last[k] = i
    return twin


class PartSearch:
    """The resumable search over one part; :meth:`advance` runs a slice of steps."""

    def __init__(
        self,
        label: Hashable,
        ops: Sequence[Operation],
        model: LinModel,
        dominance: bool = True,
        step_tables: dict[tuple[Any, Any], dict[Any, Any]] | None = None,
        commute_reads: bool = True,
        symmetry: bool = True,
    ) -> None:
        self.label = label
        self.model = model
        ro = model.read_only if model.deterministic and commute_reads else None
        self.ops = _drop_unconstraining(ops, ro)
        self.dropped = len(ops) - len(self.ops)
        self.read_only = [ro is not None and ro(op.input, op.output) for op in self.ops]
        self.nxt, self.prv, self.ent_op, self.match = _entry_list(self.ops)
        self.pending = [op.ret is None for op in self.ops]
        self.bits = [1 << i for i in range(len(self.ops))]
        self.op_keys, self.tables = _step_tables(self.ops, step_tables)
        self.distinct_tables = list({id(t): t for t in self.tables}.values())
        self.twin = _twins(self.ops, self.op_keys) if symmetry else [0] * len(self.ops)
        self.dominance = dominance and any(self.pending)
        self.step = model.step if model.deterministic else _powerset_step(model.step)
        init = model.init()
        self.state: Any = init if model.deterministic else frozenset([init])
        self.lin = 0  # bitset of linearized operations
        self.remaining = sum(1 for p in self.pending if not p)
        self.stack: list[tuple[int, Any]] = []
        self.entry = self.nxt[0]
        self.seen: set[tuple[int, Any]] = set()
        # The witness: the longest linearizable prefix met, and where it was blocked.
        self.longest: list[int] = []
        self.longest_len = 0  # record a witness at the first refutation point too
        self.longest_state: Any = self.state
        self.longest_blocked: int | None = None
        self.longest_candidates: list[int] = []
        self.steps = 0
        self.cache_hits = 0
        self.dominated = 0
        # True linearizable, False refuted, None open; with no completed operation
        # there is nothing to place (pending ones may all stay out): linearizable.
        self.result: bool | None = None if self.remaining else True

    def _record_longest(self, blocked_entry: int, state: Any) -> None:
        stack = self.stack
        self.longest = [self.ent_op[e] for e, _ in stack]
        self.longest_len = len(stack) + 1
        self.longest_state = state
        self.longest_blocked = ~self.ent_op[blocked_entry]
        cands = []
        e = self.nxt[0]
        while e != blocked_entry:
            if self.ent_op[e] != self.longest_blocked:
                cands.append(self.ent_op[e])
            e = self.nxt[e]
        self.longest_candidates = cands

    def _pause(
        self, state: Any, lin: int, remaining: int, entry: int,
        steps: int, hits: int, dominated: int, result: bool | None,
    ) -> bool | None:
        """Save the hot loop's locals at the end of a slice (the next one resumes here)."""
        self.state, self.lin, self.remaining, self.entry = state, lin, remaining, entry
        self.steps += steps
        self.cache_hits += hits
        self.dominated += dominated
        self.result = result
        return result

    def advance(self, budget: int) -> bool | None:
        """Run at most ``budget`` steps; return True/False once decided, else None."""
        if self.result is not None:
            return self.result
        # Hot loop: everything in locals; one step = one list entry examined.
        nxt, prv, ent_op, match, bits = self.nxt, self.prv, self.ent_op, self.match, self.bits
        tables, twin, read_only = self.tables, self.twin, self.read_only
        pending, dominance = self.pending, self.dominance
        seen, stack, MISS, ILLEGAL = self.seen, self.stack, _MISS, _ILLEGAL
        seen_add, push, pop = seen.add, stack.append, stack.pop
        state, lin, remaining, entry = self.state, self.lin, self.remaining, self.entry
        hits = dominated = steps = 0
        result: bool | None = None
        while steps < budget:
            steps += 1
            op = ent_op[entry]
            if op >= 0:  # a call entry: try to linearize op now
                if twin[op] and not lin & twin[op]:  # 5. its identical elder twin goes first
                    entry = nxt[entry]
                    continue
                table = tables[op]
                ns = table.get(state, MISS)
                if ns is MISS:  # 7. first time this operation meets this state
                    ns = self._first_step(table, state, op)
                if ns is ILLEGAL:
                    entry = nxt[entry]
                    continue
                new_lin = lin | bits[op]
                key = (new_lin, ns)
                if key in seen:  # 3. memoisation
                    hits += 1
                    if not read_only[op]:
                        entry = nxt[entry]
                        continue
                    # 6. A refuted read-only op refutes this configuration: fall through.
                else:
                    seen_add(key)
                    if dominance and pending[op] and (lin, ns) in seen:
                        # 4. Dominance: (lin, ns) was explored, and it can do all that this can
                        hits += 1
                        dominated += 1
                        entry = nxt[entry]
                        continue
                    push((entry, state))
                    state, lin = ns, new_lin
                    a, b = prv[entry], nxt[entry]  # lift: unlink the call entry, then its return
                    nxt[a], prv[b] = b, a
                    r = match[entry]
                    if r:
                        a, b = prv[r], nxt[r]
                        nxt[a], prv[b] = b, a
                        remaining -= 1
                        if not remaining:
                            result = True
                            break
                    entry = nxt[0]
                    continue
            elif len(stack) >= self.longest_len:  # a return entry: its op was not placed in time
                self._record_longest(entry, state)
            # Backtrack. Popping a read-only op means the configuration below it is
            # refuted too (6. commutation: it could have gone first), so keep popping.
            while stack:
                entry, state = pop()
                op = ent_op[entry]
                lin ^= bits[op]
                r = match[entry]  # unlift, in the reverse order of lift
                if r:
                    nxt[prv[r]] = prv[nxt[r]] = r
                    remaining += 1
                nxt[prv[entry]] = prv[nxt[entry]] = entry
                if not read_only[op]:
                    break
            else:
                result = False
                break
            entry = nxt[entry]
        return self._pause(state, lin, remaining, entry, steps, hits, dominated, result)

    def _first_step(self, table: dict[Any, Any], state: Any, op: int) -> Any:
        """The model's step of ``op`` from ``state``, into its step table (7)."""
        inp, out = self.op_keys[op]
        try:
            after = self.step(state, inp, out)
        except Exception as e:  # the model's own code: bad input (guard.py)
            raise step_failure(self.model.name, state, inp, out, e) from e
        ns = table[state] = after[0] if after else _ILLEGAL
        return ns

    @property
    def cache_size(self) -> int:
        return len(self.seen)

    def witness(self) -> PartWitness:
        model = self.model
        state = self.longest_state
        if model.deterministic:
            state_text = model.describe_state(state)
        else:
            state_text = " | ".join(sorted(model.describe_state(s) for s in state))
        blocked = self.ops[self.longest_blocked] if self.longest_blocked is not None else None
        return PartWitness(
            self.label,
            [self.ops[i] for i in self.longest],
            blocked,
            state,
            state_text,
            [self.ops[i] for i in self.longest_candidates],
            self.ops,
        )


# -- the whole history: validation, parts, fair scheduling (8), the verdict -------------


def _validate(ops: Sequence[Operation], model: LinModel) -> None:
    if model.validate is None:
        return
    problems: dict[tuple[Any, Any], str | None] = {}
    for op in ops:
        key = (op.input, op.output)
        try:
            problem = problems[key] if key in problems else model.validate(op.input, op.output)
        except TypeError:
            problem = f"unhashable operation {op.input!r}"
        problems[key] = problem
        if problem:
            raise ModelMismatchError(op, problem)


def _part_searches(
    ops: Sequence[Operation],
    model: LinModel,
    partition: bool,
    dominance: bool,
    commute_reads: bool,
    symmetry: bool,
) -> list[PartSearch]:
    """One search per non-empty part (P-compositionality), smallest first: cheap verdicts
    come early. Parts searched with ``model`` itself share its step tables."""
    if partition and model.partition is not None:
        parts = model.partition(ops)
    else:
        parts = [(None, list(ops))]
    tables: dict[tuple[Any, Any], dict[Any, Any]] = {}
    searches = []
    for label, part_ops in parts:
        if not part_ops:
            continue
        part_model = model.part_model(label) if partition and model.part_model is not None else model
        part_tables = tables if part_model is model else {}
        searches.append(PartSearch(
                label, part_ops, part_model, dominance, part_tables, commute_reads, symmetry
            ))
    searches.sort(key=lambda s: len(s.ops))
    return searches


def _advance_part(s: PartSearch, budget: int, max_configs: int, stats: LinStats) -> bool | None:
    """One slice of one part, then its memory bounded: a cache past ``max_configs``
    configurations is emptied (it only prunes, so this is sound, just slower)."""
    res = s.advance(budget)
    if len(s.seen) > max_configs:
        s.seen.clear()
        stats.cache_clears += 1
    if sum(len(t) for t in s.distinct_tables) > max_configs:
        for t in s.distinct_tables:  # step tables grow with the states met, too
            t.clear()
    if res is None:
        pass
    elif res:
        stats.parts_linearizable += 1
    else:
        stats.parts_refuted += 1
    return res


def _search_fairly(
    searches: list[PartSearch],
    stats: LinStats,
    *,
    timeout: float | None,
    deadline: float | None,
    max_steps: int | None,
    stop_at_first: bool,
    slice_steps: int,
    max_configs: int,
) -> tuple[list[PartSearch], list[PartSearch], str]:
    """8. Fair parts: run the parts round-robin in slices of ``slice_steps``, so one hard
    part cannot starve a verdict another part decides, until all are decided, a part is
    refuted (with ``stop_at_first``) or a budget runs out (time between slices, steps
    overall). Returns the undecided parts, the refuted parts, and why a budget stopped."""
    active = list(searches)
    refuted: list[PartSearch] = []
    total = 0
    while active:
        still: list[PartSearch] = []
        for k, s in enumerate(active):
            budget = slice_steps
            if max_steps is not None:
                budget = min(budget, max_steps - total)
            if budget <= 0:
                still.append(s)
                continue
            before = s.steps
            res = _advance_part(s, budget, max_configs, stats)
            total += s.steps - before
            if res is None:
                still.append(s)
            elif not res:
                refuted.append(s)
            if deadline is not None and time.perf_counter() > deadline:
                # keep the unfinished parts for the verdict
                reason = "" if refuted else f"time budget of {timeout} s exhausted"
                return still + active[k + 1 :], refuted, reason
        active = still
        if refuted and stop_at_first:
            break
        if max_steps is not None and total >= max_steps and active:
            return active, refuted, f"step budget of {max_steps} exhausted"
    return active, refuted, ""


def check(
    history: History | Sequence[Operation],
    model: LinModel,
    timeout: float | None = None,
    max_steps: int | None = None,
    partition: bool = True,
    dominance: bool = True,
    commute_reads: bool = True,
    symmetry: bool = True,
    stop_at_first: bool = True,
    slice_steps: int = 20_000,
    max_configs: int = 500_000,
) -> LinResult:
    """Check ``history`` against ``model``.

    Returns a :class:`LinResult` whose ``verdict`` is ``"linearizable"``, ``"not
    linearizable"`` or ``"unknown"`` (a budget ran out: ``timeout`` seconds of wall time
    or ``max_steps`` search steps). ``partition=False`` ignores the model's partition;
    ``dominance=False``, ``commute_reads=False`` and ``symmetry=False`` turn off the
    pruning beyond Porcupine's (for measurements);
    ``stop_at_first=False`` keeps searching the other parts after a refutation, so that
    every refuted part gets a witness. A part whose cache passes ``max_configs``
    configurations has it emptied (memory stays bounded; the cache only prunes, so this
    is sound, just slower). Raises :class:`ModelMismatchError` if an
    operation means nothing to the model, and :class:`~checker.lin.guard.ModelRaised`
    if the model's own code raises (or returns something that is not a state).
    """
    hist = history if isinstance(history, History) else History(list(history))
    model = guarded_model(model)
    t0 = time.perf_counter()
    c0 = time.process_time()
    _validate(hist.ops, model)
    searches = _part_searches(hist.ops, model, partition, dominance, commute_reads, symmetry)
    stats = LinStats(parts=len(searches))
    active, refuted, reason = _search_fairly(
        searches,
        stats,
        timeout=timeout,
        deadline=None if timeout is None else t0 + timeout,
        max_steps=max_steps,
        stop_at_first=stop_at_first,
        slice_steps=slice_steps,
        max_configs=max_configs,
    )
    for s in searches:
        stats.steps += s.steps
        stats.cache_hits += s.cache_hits
        stats.dominated += s.dominated
        stats.cache_size += s.cache_size
    stats.elapsed_s = time.perf_counter() - t0
    stats.cpu_s = time.process_time() - c0
    if refuted:
        verdict = NOT_LINEARIZABLE
        reason = ""
    elif active:
        verdict = UNKNOWN_VERDICT
    else:
        verdict = LINEARIZABLE
    return LinResult(verdict, [s.witness() for s in refuted], stats, reason, model.name, hist)
