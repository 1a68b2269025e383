"""A model whose own code raises is bad input, not a verdict (issue 12, defect 8).

``synod lin --model package.module:Name`` runs the user's code inside the search: its
``step`` may raise on an operation it did not expect, return an unhashable state, or its
``describe_state`` may fail while a witness is printed. :func:`guarded` wraps every
function of a :class:`~checker.lin.models.LinModel` so that any exception out of it
becomes one :class:`ModelRaised` naming the model, the call (with the operation's input
and output) and the exception; the command line prints it as one line and exits 2. The
built-in models are guarded too: a bug of ours reads the same way, never as a traceback.

Only the cold path pays: ``step`` is called once per distinct (operation, state) pair (the
search memoises it, and catches what it raises itself: :func:`step_failure`), and the
other functions once per operation or per witness. A user's ``step`` also has its
result checked (a sequence of hashable states); the built-in models' is not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from checker.lin.history import UNKNOWN, Operation
from checker.lin.models import LinModel

_MAX_TEXT = 160


def _short(value: Any) -> str:
    text = "?" if value is UNKNOWN else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _call_text(inp: tuple[Any, ...], out: Any) -> str:
    args = inp[1:] if isinstance(inp, tuple) else ()
    name = inp[0] if isinstance(inp, tuple) and inp else inp
    return f"{name}({', '.join(_short(a) for a in args)}) -> {_short(out)}"


class ModelRaised(Exception):
    """The model's own code raised (or broke its contract) during ``doing``."""

    def __init__(
        self,
        model: str,
        doing: str,
        exc: BaseException | None,
        problem: str = "",
        op_key: tuple[Any, Any] | None = None,
    ) -> None:
        self.model = model
        self.doing = doing
        self.exc = exc
        self.op_key = op_key  # the (input, output) of the operation the call was about
        if exc is not None:
            detail = " ".join(str(exc).split())  # one line, whatever the exception says
            if len(detail) > _MAX_TEXT:
                detail = detail[: _MAX_TEXT - 3] + "..."
            problem = f"raised {type(exc).__name__}" + (f": {detail}" if detail else "")
        self.problem = problem
        super().__init__(f"model {model!r}: {doing} {problem}")

    def operation_line(self, ops: Sequence[Operation]) -> int:
        """The source line of the first operation the failing call was about (0: none)."""
        if self.op_key is not None:
            for op in ops:
                if (op.input, op.output) == self.op_key:
                    return op.line
        return 0


def _raised(model: str, doing: str, exc: Exception, key: tuple[Any, Any] | None = None) -> ModelRaised:
    if isinstance(exc, ModelRaised):  # already named (e.g. a part model's own call)
        return exc
    return ModelRaised(model, doing, exc, op_key=key)


def step_failure(name: str, state: Any, inp: tuple[Any, ...], out: Any, exc: Exception) -> ModelRaised:
    """What the search raises when a model's ``step`` raised ``exc`` (it catches that
    itself, in its cold path: a try costs nothing until something is raised)."""
    return _raised(name, _step_text(state, inp, out), exc, (inp, out))


def _guard_step(name: str, step: Callable[..., Sequence[Any]]) -> Callable[..., Sequence[Any]]:
    """``step`` with its contract checked: it returns a sequence of hashable states. (An
    exception out of it is the search's to catch, see :func:`step_failure`.)"""

    def guarded_step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
        after = step(state, inp, out)
        if not isinstance(after, tuple | list):
            if not isinstance(after, set | frozenset):
                problem = f"returned {_short(after)}, not a sequence of states"
                raise ModelRaised(name, _step_text(state, inp, out), None, problem, (inp, out))
            after = tuple(after)
        for s in after:
            try:
                hash(s)
            except TypeError:
                problem = f"returned an unhashable state {_short(s)}"
                raise ModelRaised(name, _step_text(state, inp, out), None, problem, (inp, out)) from None
        return after

    return guarded_step


def _step_text(state: Any, inp: tuple[Any, ...], out: Any) -> str:
    return f"step({_short(state)}, {_call_text(inp, out)})"


def _guard_op_fn(name: str, what: str, fn: Callable[[tuple[Any, ...], Any], Any]) -> Callable[..., Any]:
    def guarded(inp: tuple[Any, ...], out: Any) -> Any:
        try:
            return fn(inp, out)
        except Exception as e:
            raise _raised(name, f"{what} of {_call_text(inp, out)}", e, (inp, out)) from e

    return guarded


def _guard_init(name: str, init: Callable[[], Any]) -> Callable[[], Any]:
    def guarded_init() -> Any:
        try:
            state = init()
        except Exception as e:
            raise _raised(name, "init()", e) from e
        try:
            hash(state)
        except TypeError:
            raise ModelRaised(name, "init()", None, f"returned an unhashable state {_short(state)}") from None
        return state

    return guarded_init


def _guard_describe_operation(name: str, fn: Callable[[Operation], str]) -> Callable[[Operation], str]:
    def guarded(op: Operation) -> str:
        try:
            return str(fn(op))
        except Exception as e:
            doing = f"describe_operation of {_call_text(op.input, op.output)}"
            raise _raised(name, doing, e, (op.input, op.output)) from e

    return guarded


def _guard_describe_state(name: str, fn: Callable[[Any], str]) -> Callable[[Any], str]:
    def guarded(state: Any) -> str:
        try:
            return str(fn(state))
        except Exception as e:
            raise _raised(name, f"describe_state({_short(state)})", e) from e

    return guarded


def _guard_partition(
    name: str, fn: Callable[[Sequence[Operation]], Any]
) -> Callable[[Sequence[Operation]], list[tuple[Hashable, list[Operation]]]]:
    def guarded(ops: Sequence[Operation]) -> list[tuple[Hashable, list[Operation]]]:
        try:
            parts = [(label, list(part)) for label, part in fn(ops)]
        except Exception as e:
            raise _raised(name, "partition(history)", e) from e
        if any(not isinstance(op, Operation) for _, part in parts for op in part):
            raise ModelRaised(name, "partition(history)", None, "returned parts that are not lists of operations")
        return parts

    return guarded


def _guard_part_model(name: str, fn: Callable[[Hashable], LinModel]) -> Callable[[Hashable], LinModel]:
    def guarded(label: Hashable) -> LinModel:
        try:
            made = fn(label)
        except Exception as e:
            raise _raised(name, f"part_model({_short(label)})", e) from e
        if not isinstance(made, LinModel):
            raise ModelRaised(name, f"part_model({_short(label)})", None, f"returned {_short(made)}, not a LinModel")
        return guarded_model(made)

    return guarded


def guarded_model(model: LinModel) -> LinModel:
    """``model`` with every function guarded (see the module docstring); idempotent.
    The built-in models (``extra["trusted"]``) keep their own ``step``: checking its
    contract on every call cost the kv corpus a third more CPU, and ours is tested."""
    if model.extra.get("guarded"):
        return model
    name = model.name
    return dataclasses.replace(
        model,
        init=_guard_init(name, model.init),
        step=model.step if model.extra.get("trusted") else _guard_step(name, model.step),
        partition=None if model.partition is None else _guard_partition(name, model.partition),
        describe_operation=_guard_describe_operation(name, model.describe_operation),
        describe_state=_guard_describe_state(name, model.describe_state),
        validate=None if model.validate is None else _guard_op_fn(name, "validate", model.validate),
        read_only=None if model.read_only is None else _guard_op_fn(name, "read_only", model.read_only),
        part_model=None if model.part_model is None else _guard_part_model(name, model.part_model),
        extra={**model.extra, "guarded": True},
    )
