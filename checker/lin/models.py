"""Sequential specifications ("models") for the linearizability checker.

A model says what one operation does to the object's state when applied atomically:

- ``init()`` -> the initial state (hashable);
- ``step(state, input, output)`` -> the states the object may be in after applying
  ``input`` to ``state`` *and returning* ``output``; an empty result means the operation
  could not have returned ``output`` there. ``output`` may be :data:`UNKNOWN`, which
  must match anything. With ``deterministic=True`` (the default) ``step`` returns at most
  one state; otherwise the checker tracks the set of possible states (powerset model);
- ``partition(ops)`` (optional) -> independent sub-histories, each checked on its own
  (P-compositionality, e.g. per key), as ``[(label, ops), ...]``;
- ``describe_operation(op)`` / ``describe_state(state)`` -> text for witnesses;
- ``validate(input, output)`` (optional) -> a problem string when the model cannot
  interpret the operation at all (reported as bad input, exit 2).

To add a model, build a :class:`LinModel` and either pass it to ``check`` or register it
in :data:`MODELS` (``synod lin --model module:attribute`` also loads one).
Inputs are tuples ``(f, *args)``; see docs/linearizability.md.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.lin.history import UNKNOWN, Operation

StepFn = Callable[[Any, tuple[Any, ...], Any], Sequence[Any]]
PartitionFn = Callable[[Sequence[Operation]], list[tuple[Hashable, list[Operation]]]]


def _fmt_value(v: Any) -> str:
    if v is None:
        return "nil"
    if isinstance(v, str):
        return repr(v)
    return repr(v)


def describe_operation_default(op: Operation) -> str:
    f, *args = op.input
    call = f"p{op.process} {f}({', '.join(_fmt_value(a) for a in args)})"
    if op.output is UNKNOWN:
        return call + (" -> ? (never returned)" if op.ret is None else " -> ?")
    if f in ("write", "put", "append") and op.output in (None, "ok"):
        return call  # nothing to see in the result of a blind write
    return f"{call} -> {_fmt_value(op.output)}"


@dataclass(frozen=True)
class LinModel:
    """A sequential specification; see the module docstring for the contract."""

    name: str
    init: Callable[[], Any]
    step: StepFn
    deterministic: bool = True
    partition: PartitionFn | None = None
    describe_operation: Callable[[Operation], str] = describe_operation_default
    describe_state: Callable[[Any], str] = _fmt_value
    validate: Callable[[tuple[Any, ...], Any], str | None] | None = None
    read_only: Callable[[tuple[Any, ...], Any], bool] | None = None
    # For a partitioned model: the model of one part (e.g. one key's value as the whole
    # state, which is cheaper than a map holding one key). None: the model itself.
    part_model: Callable[[Hashable], LinModel] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# The built-in models: tested, so checker/lin/guard.py leaves their step unchecked.
# (A dataclass field's value, never mutated: dataclasses.replace copies it.)
_TRUSTED: dict[str, Any] = {"trusted": True}

# ------------------------------------------------------------------------- registers


def _read_only(inp: tuple[Any, ...], out: Any) -> bool:
    """Reads, and cas operations known to have failed, never change the state."""
    f = inp[0]
    return f == "read" or f == "get" or (f == "cas" and out is False)


def _register_step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
    f = inp[0]
    if f == "read":
        return (state,) if out is UNKNOWN or out == state else ()
    if f == "write":
        return (inp[1],)
    if f == "cas":
        old, new = inp[1], inp[2]
        if out is UNKNOWN:
            return (new,) if state == old else (state,)
        if out:  # the cas applied: the value must have been old
            return (new,) if state == old else ()
        # a failed cas could not apply at its linearization point
        return (state,) if state != old else ()
    return ()


def _validate_register(with_cas: bool) -> Callable[[tuple[Any, ...], Any], str | None]:
    def validate(inp: tuple[Any, ...], out: Any) -> str | None:
        f = inp[0] if inp else None
        if f == "read" and len(inp) == 1:
            return None
        if f == "write" and len(inp) == 2:
            return None
        if with_cas and f == "cas" and len(inp) == 3:
            if out is UNKNOWN or isinstance(out, bool):
                return None
            return f"a cas result must be true/false, not {out!r}"
        ops = "read(), write(v)" + (", cas(old, new)" if with_cas else "")
        return f"operation {inp!r} is not one of {ops} (keyed operations need a kv model)"

    return validate


def register_model(init: Any = None) -> LinModel:
    """A read/write register."""
    return LinModel(
        "register",
        lambda: init,
        _register_step,
        validate=_validate_register(False),
        read_only=_read_only,
        description="read() -> v, write(v)",
        extra=_TRUSTED,
    )


def cas_register_model(init: Any = None) -> LinModel:
    """A register with compare-and-set; a failed cas (output false) means the value at
    its linearization point differed from ``old``."""
    return LinModel(
        "cas-register",
        lambda: init,
        _register_step,
        validate=_validate_register(True),
        read_only=_read_only,
        description="read() -> v, write(v), cas(old, new) -> true|false",
        extra=_TRUSTED,
    )


# ---------------------------------------------------------------------- key-value maps
# A map state is a frozenset of (key, value) items, holding only keys whose value differs
# from the initial one: canonical, hashable, and small when a part holds one key.


def partition_by_key(ops: Sequence[Operation]) -> list[tuple[Hashable, list[Operation]]]:
    """Split a keyed history into one sub-history per key (``input[1]``)."""
    parts: dict[Any, list[Operation]] = defaultdict(list)
    for op in ops:
        parts[op.input[1] if len(op.input) > 1 else None].append(op)
    return list(parts.items())


def _kv_get(state: frozenset[tuple[Any, Any]], key: Any, init: Any) -> Any:
    for k, v in state:
        if k == key:
            return v
    return init


def _kv_set(state: frozenset[tuple[Any, Any]], key: Any, value: Any, init: Any) -> frozenset[Any]:
    items = {(k, v) for k, v in state if k != key}
    if value != init:
        items.add((key, value))
    return frozenset(items)


def _kv_step_factory(init: Any, with_append: bool, with_cas: bool) -> StepFn:
    def step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
        f, key = inp[0], inp[1]
        cur = _kv_get(state, key, init)
        if f == "get":
            return (state,) if out is UNKNOWN or out == cur else ()
        if f == "put":
            return (_kv_set(state, key, inp[2], init),)
        if f == "append" and with_append:
            return (_kv_set(state, key, (cur or "") + inp[2], init),)
        if f == "cas" and with_cas:
            exp, new = inp[2], inp[3]
            if out is UNKNOWN:
                return (_kv_set(state, key, new, init),) if cur == exp else (state,)
            if out:
                return (_kv_set(state, key, new, init),) if cur == exp else ()
            return (state,) if cur != exp else ()
        return ()

    return step


def _kv_key_model(name: str, init: Any, with_append: bool, with_cas: bool) -> Callable[[Hashable], LinModel]:
    """The model of one key of a map: the state is that key's value."""

    def step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
        f = inp[0]
        if f == "get":
            return (state,) if out is UNKNOWN or out == state else ()
        if f == "put":
            return (inp[2],)
        if f == "append" and with_append:
            return ((state or "") + inp[2],)
        if f == "cas" and with_cas:
            if out is UNKNOWN:
                return (inp[3],) if state == inp[2] else (state,)
            if out:
                return (inp[3],) if state == inp[2] else ()
            return (state,) if state != inp[2] else ()
        return ()

    def for_key(key: Hashable) -> LinModel:
        return LinModel(
            name,
            lambda: init,
            step,
            describe_state=lambda v: f"{{{_fmt_value(key)}: {_fmt_value(v)}}}",
            read_only=_read_only,
            extra=_TRUSTED,
        )

    return for_key


def _validate_kv(
    with_append: bool, with_cas: bool, synod: bool = False, init: Any = None
) -> Callable[[tuple[Any, ...], Any], str | None]:
    def validate(inp: tuple[Any, ...], out: Any) -> str | None:
        f = inp[0] if inp else None
        n = len(inp)
        if f == "get" and n == 2:
            return None
        if f == "put" and n == 3:
            if synod and out is not UNKNOWN and out != "ok":
                return f'a put result must be "ok", not {out!r}'
            return None
        if f == "append" and with_append and n == 3:
            if not isinstance(inp[2], str):
                return "append needs a string value"
            if init is not None and not isinstance(init, str):
                return f"append onto the initial value {init!r}, which is not a string (--init)"
            return None
        if f == "cas" and with_cas and n == 4:
            if out is UNKNOWN or isinstance(out, bool):
                return None
            return f"a cas result must be true/false, not {out!r}"
        names = (
            "get(k), put(k, v)"
            + (", append(k, v)" if with_append else "")
            + (", cas(k, expected, new)" if with_cas else "")
        )
        return f"operation {inp!r} is not one of {names}"

    return validate


def _describe_kv_state(state: Any) -> str:
    if not state:
        return "{} (every key initial)"
    items = sorted(state, key=lambda kv: repr(kv[0]))
    return "{" + ", ".join(f"{_fmt_value(k)}: {_fmt_value(v)}" for k, v in items) + "}"


def _kv_map_model(name: str, init: Any, with_append: bool, with_cas: bool, description: str) -> LinModel:
    """A key-value map partitioned per key; ``with_append``/``with_cas`` pick its writes."""
    return LinModel(
        name,
        frozenset,
        _kv_step_factory(init, with_append=with_append, with_cas=with_cas),
        part_model=_kv_key_model(name, init, with_append, with_cas),
        partition=partition_by_key,
        describe_state=_describe_kv_state,
        read_only=_read_only,
        validate=_validate_kv(with_append, with_cas, init=init),
        description=description,
        extra=_TRUSTED,
    )


def kv_model(init: Any = "") -> LinModel:
    """Porcupine's key-value map: get(k) -> v, put(k, v), append(k, v); every key
    starts at ``init`` (``""``); partitioned per key."""
    return _kv_map_model(
        "kv", init, True, False, "get(k) -> v, put(k, v), append(k, v); partitioned per key"
    )


def kv_cas_model(init: Any = None) -> LinModel:
    """A key-value map with get(k) -> v, put(k, v), cas(k, expected, new) -> bool."""
    return _kv_map_model(
        "kv-cas", init, False, True,
        "get(k) -> v, put(k, v), cas(k, expected, new) -> true|false; per key",
    )


def synod_kv_model(init: Any = None) -> LinModel:
    """Synod's replicated KV state machine, with the result contract of
    docs/linearizability.md: ``("get", k)`` -> value or None (a key never written is
    None), ``("put", k, v)`` -> "ok", ``("cas", k, expected, new)`` -> True/False."""
    return LinModel(
        "synod-kv",
        frozenset,
        _kv_step_factory(init, with_append=False, with_cas=True),
        part_model=_kv_key_model("synod-kv", init, False, True),
        partition=partition_by_key,
        describe_state=_describe_kv_state,
        read_only=_read_only,
        validate=_validate_kv(False, True, synod=True),
        description="Synod's KV: get(k) -> v|None, put(k, v) -> 'ok', cas(k, e, n) -> bool",
        extra=_TRUSTED,
    )


def _consensus_step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
    chosen = inp[1] if state is None else state
    return (chosen,) if out is UNKNOWN or out == chosen else ()


def _validate_consensus(inp: tuple[Any, ...], out: Any) -> str | None:
    if len(inp) == 2 and inp[0] == "propose":
        return None
    return f"operation {inp!r} is not propose(v)"


def consensus_model(init: Any = None) -> LinModel:
    """One consensus instance (Synod's Basic Paxos): ``("propose", v)`` returns the value
    chosen, which is the value of the first propose to take effect (``init``, if given,
    is a value chosen before the history starts)."""
    return LinModel(
        "consensus",
        lambda: init,
        _consensus_step,
        validate=_validate_consensus,
        description="propose(v) -> the one chosen value (the first proposal to take effect)",
        extra=_TRUSTED,
    )


MODELS: dict[str, Callable[..., LinModel]] = {
    "consensus": consensus_model,
    "register": register_model,
    "cas-register": cas_register_model,
    "etcd": cas_register_model,
    "kv": kv_model,
    "kv-cas": kv_cas_model,
    "synod-kv": synod_kv_model,
}

DEFAULT_INIT: dict[str, Any] = {"kv": ""}

# The model a format implies when --model is not given.
DEFAULT_MODEL_FOR_FORMAT = {
    "etcd": "cas-register",
    "kv": "kv",
    "jepsen": "cas-register",
    "json": "synod-kv",
    "empty": "cas-register",
}


class ModelError(ValueError):
    """An unknown model name, or one that could not be loaded."""


def make_model(name: str, init: Any = None, has_init: bool = False) -> LinModel:
    """A model by name (:data:`MODELS`) or ``package.module:attribute`` (a LinModel or a
    callable taking ``init`` and returning one)."""
    if not has_init:
        init = DEFAULT_INIT.get(name)
    if name in MODELS:
        return MODELS[name](init)
    if ":" in name:
        mod_name, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(mod_name), attr)
        except (ImportError, AttributeError) as e:
            raise ModelError(f"cannot load model {name!r}: {e}") from None
        if isinstance(obj, LinModel):
            return obj
        if callable(obj):
            try:
                made = obj(init) if has_init else obj()
            except Exception as e:  # the user's code: bad input, one line (issue 12)
                call = f"{attr}({init!r})" if has_init else f"{attr}()"
                detail = " ".join(str(e).split())[:200]
                raise ModelError(
                    f"model {name!r}: building it with {call} raised {type(e).__name__}"
                    + (f": {detail}" if detail else "")
                ) from None
            if isinstance(made, LinModel):
                return made
        raise ModelError(f"{name!r} is not a LinModel nor a function returning one")
    raise ModelError(
        f"unknown model {name!r} (choose from {', '.join(MODELS)} or module:attribute)"
    )
