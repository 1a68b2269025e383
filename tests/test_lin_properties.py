"""Property tests of the linearizability search against simulations and a brute force."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.lin import (
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN,
    LinModel,
    Operation,
    cas_register_model,
    check,
    kv_cas_model,
    register_model,
)

SETTINGS = settings(max_examples=100, deadline=None)

VALUES = st.integers(0, 3)
REGISTER_INPUTS = st.one_of(
    st.just(("read",)),
    st.tuples(st.just("write"), VALUES),
    st.tuples(st.just("cas"), VALUES, VALUES),
)


def _apply(model: LinModel, state: Any, inp: tuple[Any, ...]) -> tuple[Any, Any]:
    """Run ``inp`` atomically on the real object: (new state, output it returns)."""
    f = inp[0]
    if f in ("read", "get"):
        out = state if f == "read" else dict(state).get(inp[1])
        return state, out
    for out in (True, False, "ok", None):
        nxt = model.step(state, inp, out)
        if nxt:
            return nxt[0], out
    raise AssertionError(f"no output for {inp}")


@st.composite
def sequential_history(draw: st.DrawFn) -> list[Operation]:
    model = cas_register_model()
    state = model.init()
    ops = []
    for i, inp in enumerate(draw(st.lists(REGISTER_INPUTS, max_size=30))):
        state, out = _apply(model, state, inp)
        ops.append(Operation(i, i % 3, inp, out, 2 * i, 2 * i + 1))
    return ops


@st.composite
def concurrent_history(draw: st.DrawFn, keyed: bool = False) -> tuple[list[Operation], LinModel]:
    """Clients run operations on a simulated atomic object: each operation is invoked,
    takes effect at one random later moment, then returns; some clients crash after
    invoking (the effect may or may not have happened, the output is unknown)."""
    model = kv_cas_model() if keyed else cas_register_model()
    keys = st.sampled_from(["a", "b"])
    inputs: st.SearchStrategy[tuple[Any, ...]]
    if keyed:
        inputs = st.one_of(
            st.tuples(st.just("get"), keys),
            st.tuples(st.just("put"), keys, VALUES),
            st.tuples(st.just("cas"), keys, VALUES, VALUES),
        )
    else:
        inputs = REGISTER_INPUTS
    n_clients = draw(st.integers(1, 4))
    state = model.init()
    time = 0
    # per client: None (idle) or [input, call time, applied?, output]
    running: dict[int, list[Any]] = {}
    crashed: set[int] = set()
    ops: list[tuple[int, tuple[Any, ...], Any, int, int | None]] = []
    for _ in range(draw(st.integers(0, 40))):
        client = draw(st.integers(0, n_clients - 1))
        if client in crashed:
            continue
        slot = running.get(client)
        if slot is None:
            running[client] = [draw(inputs), time, False, None]
        elif not slot[2]:
            state, slot[3] = _apply(model, state, slot[0])
            slot[2] = True
        else:
            ops.append((client, slot[0], slot[3], slot[1], time))
            del running[client]
        action = draw(st.integers(0, 9))
        if action == 0 and client in running:  # crash: outcome unknown forever
            slot = running.pop(client)
            if not slot[2] and draw(st.booleans()):
                state, _ = _apply(model, state, slot[0])
            ops.append((client, slot[0], UNKNOWN, slot[1], None))
            crashed.add(client)
        time += 1
    for client, slot in running.items():
        ops.append((client, slot[0], UNKNOWN, slot[1], None))
    ops.sort(key=lambda o: o[3])
    return [Operation(i, c, inp, out, call, ret) for i, (c, inp, out, call, ret) in enumerate(ops)], model


@SETTINGS
@given(sequential_history())
def test_sequential_histories_are_linearizable(ops: list[Operation]) -> None:
    assert check(ops, cas_register_model()).verdict == LINEARIZABLE


@SETTINGS
@given(concurrent_history())
def test_atomic_object_histories_are_linearizable(case: tuple[list[Operation], LinModel]) -> None:
    ops, model = case
    assert check(ops, model).verdict == LINEARIZABLE


@SETTINGS
@given(concurrent_history(keyed=True))
def test_atomic_kv_histories_are_linearizable(case: tuple[list[Operation], LinModel]) -> None:
    ops, model = case
    assert check(ops, model).verdict == LINEARIZABLE
    assert check(ops, model, partition=False).verdict == LINEARIZABLE


@SETTINGS
@given(concurrent_history(), st.data())
def test_a_read_of_an_impossible_value_is_not_linearizable(
    case: tuple[list[Operation], LinModel], data: st.DataObject
) -> None:
    ops, model = case
    reads = [op for op in ops if op.input == ("read",) and op.output is not UNKNOWN]
    if not reads:
        ops = ops + [Operation(len(ops), "r", ("read",), None, 10_000, 10_001)]
        reads = [ops[-1]]
    victim = data.draw(st.sampled_from(reads))
    corrupted = [
        Operation(o.id, o.process, o.input, 99, o.call, o.ret) if o is victim else o for o in ops
    ]
    result = check(corrupted, model)
    assert result.verdict == NOT_LINEARIZABLE
    assert result.witnesses and result.witnesses[0].blocked is not None


# ------------------------------------------------------------------------- brute force


def brute_force_linearizable(ops: Sequence[Operation], model: LinModel) -> bool:
    """Try every order of every admissible subset: completed operations must all be
    placed, pending/unknown ones may be left out; real-time order must be respected."""

    def must_precede(a: Operation, b: Operation) -> bool:
        return a.ret is not None and a.ret < b.call

    def search(placed: frozenset[int], states: frozenset[Any]) -> bool:
        if all(op.id in placed for op in ops if op.ret is not None):
            return True
        for op in ops:
            if op.id in placed:
                continue
            if any(must_precede(o, op) and o.id not in placed for o in ops):
                continue
            after: set[Any] = set()
            for s in states:
                after.update(model.step(s, op.input, op.output))
            if after and search(placed | {op.id}, frozenset(after)):
                return True
        return False

    return search(frozenset(), frozenset([model.init()]))


@st.composite
def random_small_history(draw: st.DrawFn) -> list[Operation]:
    n = draw(st.integers(0, 8))
    ops = []
    for i in range(n):
        inp = draw(REGISTER_INPUTS)
        call = draw(st.integers(0, 20))
        ret = draw(st.one_of(st.none(), st.integers(call + 1, 22)))
        if ret is None or draw(st.integers(0, 5)) == 0:
            out = UNKNOWN
        elif inp[0] == "read":
            out = draw(VALUES)
        elif inp[0] == "cas":
            out = draw(st.booleans())
        else:
            out = None
        ops.append(Operation(i, i, inp, out, call, ret))
    return ops


def _nondeterministic_register() -> LinModel:
    """A register whose write may be lost or duplicated into 'v+1' (powerset search)."""
    base = cas_register_model()

    def step(state: Any, inp: tuple[Any, ...], out: Any) -> tuple[Any, ...]:
        if inp[0] == "write":
            return (inp[1], inp[1] + 1)
        return tuple(base.step(state, inp, out))

    return LinModel("nd-register", lambda: None, step, deterministic=False)


@settings(max_examples=300, deadline=None)
@given(random_small_history())
def test_verdicts_equal_brute_force(ops: list[Operation]) -> None:
    for model in (cas_register_model(), _nondeterministic_register()):
        expected = brute_force_linearizable(ops, model)
        for dominance, commute, symmetry in (
            (True, True, True),
            (False, False, False),
            (True, False, False),
            (False, True, False),
            (False, False, True),
        ):
            got = check(
                ops, model, dominance=dominance, commute_reads=commute, symmetry=symmetry
            ).verdict
            assert got == (LINEARIZABLE if expected else NOT_LINEARIZABLE), (model.name, dominance)
        # tiny slices (resumption) and a cache emptied all the time (bounded memory)
        got = check(ops, model, slice_steps=1, max_configs=2).verdict
        assert got == (LINEARIZABLE if expected else NOT_LINEARIZABLE), model.name


@settings(max_examples=100, deadline=None)
@given(random_small_history())
def test_register_model_agrees_on_read_write_histories(ops: list[Operation]) -> None:
    rw = [o for o in ops if o.input[0] != "cas"]
    expected = brute_force_linearizable(rw, register_model())
    assert (check(rw, register_model()).verdict == LINEARIZABLE) == expected


def test_budget_gives_unknown_not_a_wrong_answer() -> None:
    # many concurrent pending writes and a final read of a value nobody wrote
    ops = [Operation(i, i, ("write", i), UNKNOWN, i, None) for i in range(14)]
    ops.append(Operation(14, "r", ("read",), 99, 20, 21))
    result = check(ops, cas_register_model(), max_steps=5, slice_steps=2)
    assert result.verdict == "unknown"
    assert result.exit_code == 3
    assert check(ops, cas_register_model()).verdict == NOT_LINEARIZABLE


def test_pending_operation_may_never_take_effect() -> None:
    # cas(nil -> 1) pending; later read sees nil: the cas never happened
    ops = [
        Operation(0, 0, ("cas", None, 1), UNKNOWN, 0, None),
        Operation(1, 1, ("read",), None, 1, 2),
        Operation(2, 1, ("read",), 1, 3, 4),
    ]
    assert check(ops, cas_register_model()).verdict == LINEARIZABLE
    # but once seen taking effect it cannot be undone
    ops.append(Operation(3, 1, ("read",), None, 5, 6))
    assert check(ops, cas_register_model()).verdict == NOT_LINEARIZABLE


def test_failed_cas_must_really_fail() -> None:
    ops = [
        Operation(0, 0, ("write", 1), None, 0, 1),
        Operation(1, 0, ("cas", 1, 2), False, 2, 3),  # value was 1: it could have applied
    ]
    assert check(ops, cas_register_model()).verdict == NOT_LINEARIZABLE


@settings(max_examples=200, deadline=None)
@given(random_small_history())
def test_witness_prefix_is_a_real_linearization_prefix(ops: list[Operation]) -> None:
    model = cas_register_model()
    result = check(ops, model)
    if result.verdict != NOT_LINEARIZABLE:
        return
    (w,) = result.witnesses
    state = model.init()
    for i, op in enumerate(w.prefix):
        after = model.step(state, op.input, op.output)
        assert after, f"prefix step {i} is illegal"
        state = after[0]
        # real time: nothing placed later in the prefix returned before op was invoked
        assert not any(o.ret is not None and o.ret < op.call for o in w.prefix[i + 1 :])
    assert state == w.state
    assert w.blocked is not None and w.blocked.ret is not None and w.blocked not in w.prefix
