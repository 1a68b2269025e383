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
   state: operations repeat, so the model's Python code runs rarely.
8. **Fair parts.** Parts (e.g. per key) run round-robin in slices of steps, smallest
   first, so one hard part cannot starve a verdict another part decides; the first
   refuted part decides "not linearizable". Time and step budgets yield "unknown".

The witness for a refuted part is the longest linearizable prefix seen, the operation
whose return blocked it (it had to be placed next and could not be), and the state
after the prefix.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.lin.history import UNKNOWN, History, Operation
from checker.lin.models import LinModel

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
        # A read-only operation whose result is unknown, or that never returned, can
        # neither change the state nor fail: it constrains nothing, so drop it.
        self.ops = [
            op for op in ops
            if ro is None or not ((op.ret is None or op.output is UNKNOWN) and ro(op.input, op.output))
        ]
        self.dropped = len(ops) - len(self.ops)
        self.read_only = [ro is not None and ro(op.input, op.output) for op in self.ops]
        n = len(self.ops)
        # entries: (time, 0 for call / 1 for return, op index); calls first on ties,
        # which only widens the concurrency.
        marks: list[tuple[int, int, int]] = []
        for i, op in enumerate(self.ops):
            marks.append((op.call, 0, i))
            if op.ret is not None:
                marks.append((op.ret, 1, i))
        marks.sort()
        size = len(marks) + 2
        tail = size - 1
        # ent_op[e] = op index for a call entry, ~op (negative) for a return entry;
        # the sentinels hold n (never tested: the loop stops before reaching them).
        ent_op = [0] * size
        match = [0] * size  # call entry -> its return entry (0 when pending)
        call_entry = [0] * n
        for e, (_, kind, i) in enumerate(marks, 1):
            if kind == 0:
                ent_op[e] = i
                call_entry[i] = e
            else:
                ent_op[e] = ~i
                match[call_entry[i]] = e
        self.nxt = list(range(1, size)) + [tail]
        self.prv = [0] + list(range(0, size - 1))
        self.ent_op = ent_op
        self.match = match
        self.tail = tail
        self.pending = [op.ret is None for op in self.ops]
        self.bits = [1 << i for i in range(n)]
        # Step tables: shared per distinct (input, output), so repeated operations reuse
        # the model's answers (state -> next state or _ILLEGAL).
        tables = step_tables if step_tables is not None else {}
        self.tables: list[dict[Any, Any]] = []
        self.op_keys: list[tuple[Any, Any]] = []
        for op in self.ops:
            key = (op.input, op.output)
            self.op_keys.append(key)
            self.tables.append(tables.setdefault(key, {}))
        self.distinct_tables = list({id(t): t for t in self.tables}.values())
        # Twins: identical pending operations (same input, never returned) are
        # interchangeable, so only linearize them in invocation order: twin[j] is the
        # bit of the previous identical one, which must already be linearized.
        self.twin = [0] * n
        if symmetry:
            last: dict[tuple[Any, Any], int] = {}
            for i in sorted(range(n), key=lambda i: self.ops[i].call):
                if self.pending[i]:
                    k = self.op_keys[i]
                    if k in last:
                        self.twin[i] = self.bits[last[k]]
                    last[k] = i
        self.dominance = dominance and any(self.pending)
        init = model.init()
        self.state: Any = init if model.deterministic else frozenset([init])
        self.lin = 0  # bitset of linearized operations
        self.remaining = sum(1 for p in self.pending if not p)
        self.stack: list[tuple[int, Any]] = []
        self.entry = self.nxt[0]
        self.seen: set[tuple[int, Any]] = set()
        self.longest: list[int] = []
        self.longest_len = 0  # record a witness at the first refutation point too
        self.longest_state: Any = self.state
        self.longest_blocked: int | None = None
        self.longest_candidates: list[int] = []
        self.steps = 0
        self.cache_hits = 0
        self.dominated = 0
        self.result: bool | None = None  # True linearizable, False refuted, None open

    def _compute_step(self, op: int, state: Any) -> Any:
        inp, out = self.op_keys[op]
        model = self.model
        if model.deterministic:
            nxt = model.step(state, inp, out)
            return nxt[0] if nxt else _ILLEGAL
        after: set[Any] = set()
        for s in state:
            after.update(model.step(s, inp, out))
        return frozenset(after) if after else _ILLEGAL

    def _record_longest(self, blocked_entry: int) -> None:
        stack = self.stack
        self.longest = [self.ent_op[e] for e, _ in stack]
        self.longest_len = len(stack) + 1
        self.longest_state = self.state
        self.longest_blocked = ~self.ent_op[blocked_entry]
        cands = []
        e = self.nxt[0]
        while e != blocked_entry:
            if self.ent_op[e] != self.longest_blocked:
                cands.append(self.ent_op[e])
            e = self.nxt[e]
        self.longest_candidates = cands

    def advance(self, budget: int) -> bool | None:
        """Run at most ``budget`` steps; return True/False once decided, else None."""
        if self.result is not None:
            return self.result
        if not self.remaining:
            self.result = True
            return True
        # Hot loop: everything in locals; one step = one list entry examined.
        nxt = self.nxt
        prv = self.prv
        ent_op = self.ent_op
        match = self.match
        tables = self.tables
        bits = self.bits
        pending = self.pending
        stack = self.stack
        push = stack.append
        pop = stack.pop
        seen = self.seen
        seen_add = seen.add
        dominance = self.dominance
        read_only = self.read_only
        twin = self.twin
        compute = self._compute_step
        det = self.model.deterministic
        step = self.model.step
        op_keys = self.op_keys
        MISS = _MISS
        ILLEGAL = _ILLEGAL
        state = self.state
        lin = self.lin
        remaining = self.remaining
        entry = self.entry
        hits = 0
        dominated = 0
        steps = 0
        result: bool | None = None
        while steps < budget:
            steps += 1
            op = ent_op[entry]
            if op >= 0:  # a call entry: try to linearize op now
                t = twin[op]
                if t and not lin & t:  # its identical elder twin goes first
                    entry = nxt[entry]
                    continue
                table = tables[op]
                ns = table.get(state, MISS)
                if ns is MISS:  # first time this operation meets this state
                    if det:
                        inp, out = op_keys[op]
                        after = step(state, inp, out)
                        ns = after[0] if after else ILLEGAL
                    else:
                        ns = compute(op, state)
                    table[state] = ns
                if ns is ILLEGAL:
                    entry = nxt[entry]
                    continue
                new_lin = lin | bits[op]
                key = (new_lin, ns)
                if key in seen:
                    hits += 1
                    if not read_only[op]:
                        entry = nxt[entry]
                        continue
                    # A refuted read-only op refutes this configuration: fall through.
                else:
                    seen_add(key)
                    if dominance and pending[op] and (lin, ns) in seen:
                        # Dominance: the configuration without this pending op (same
                        # state) was explored; it can do everything this one can.
                        hits += 1
                        dominated += 1
                        entry = nxt[entry]
                        continue
                    push((entry, state))
                    state = ns
                    lin = new_lin
                    # lift: unlink the call entry and its return entry
                    a = prv[entry]
                    b = nxt[entry]
                    nxt[a] = b
                    prv[b] = a
                    r = match[entry]
                    if r:
                        a = prv[r]
                        b = nxt[r]
                        nxt[a] = b
                        prv[b] = a
                        remaining -= 1
                        if not remaining:
                            result = True
                            break
                    entry = nxt[0]
                    continue
            elif len(stack) >= self.longest_len:
                # a return entry: its operation could not be placed in time
                self.state = state
                self._record_longest(entry)
            # Backtrack. Popping a read-only op means the configuration below it is
            # refuted too (commutation: it could have gone first), so keep popping.
            while stack:
                entry, state = pop()
                op = ent_op[entry]
                lin ^= bits[op]
                # unlift, in the reverse order of lift
                r = match[entry]
                if r:
                    nxt[prv[r]] = r
                    prv[nxt[r]] = r
                    remaining += 1
                nxt[prv[entry]] = entry
                prv[nxt[entry]] = entry
                if not read_only[op]:
                    break
            else:
                result = False
                break
            entry = nxt[entry]
        self.state = state
        self.lin = lin
        self.remaining = remaining
        self.entry = entry
        self.steps += steps
        self.cache_hits += hits
        self.dominated += dominated
        self.result = result
        return result

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
    operation means nothing to the model.
    """
    hist = history if isinstance(history, History) else History(list(history))
    ops = hist.ops
    t0 = time.perf_counter()
    c0 = time.process_time()
    _validate(ops, model)
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
    # Smallest parts first: cheap verdicts come early.
    searches.sort(key=lambda s: len(s.ops))
    stats = LinStats(parts=len(searches))
    active = list(searches)
    refuted: list[PartSearch] = []
    reason = ""
    deadline = None if timeout is None else t0 + timeout
    total = 0
    while active:
        still: list[PartSearch] = []
        for s in active:
            budget = slice_steps
            if max_steps is not None:
                budget = min(budget, max_steps - total)
            if budget <= 0:
                still.append(s)
                continue
            before = s.steps
            res = s.advance(budget)
            total += s.steps - before
            if len(s.seen) > max_configs:
                s.seen.clear()
                stats.cache_clears += 1
            if sum(len(t) for t in s.distinct_tables) > max_configs:
                for t in s.distinct_tables:  # step tables grow with the states met, too
                    t.clear()
            if res is None:
                still.append(s)
            elif res:
                stats.parts_linearizable += 1
            else:
                stats.parts_refuted += 1
                refuted.append(s)
            if deadline is not None and time.perf_counter() > deadline:
                break
        else:
            active = still
            if refuted and stop_at_first:
                break
            if max_steps is not None and total >= max_steps and active:
                reason = f"step budget of {max_steps} exhausted"
                break
            continue
        # the deadline broke the loop: keep the unfinished parts for the verdict
        active = still + active[active.index(s) + 1 :]
        if not refuted:
            reason = f"time budget of {timeout} s exhausted"
        break
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
