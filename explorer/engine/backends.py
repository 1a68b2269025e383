"""Map one function over many independent cases on a backend: the seam ``synod mutants``
(and ``synod mutate``) fan their cases out through.

``map_on(fn, items, backend, workers, address)`` returns ``[fn(x) for x in items]`` in
the items' order, computed in this process (one worker), in ``workers`` forked local
processes, or as Ray tasks (``backend="ray"``: a local instance with ``workers`` CPUs, or
the cluster at ``address``). ``fn`` and the items must be picklable (Ray: by cloudpickle,
so closures and partials are fine); the order of the results never depends on where
they ran. :func:`session` keeps one backend up around several calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from explorer.engine.results import BACKENDS

__all__ = ["map_on", "session"]

T = TypeVar("T")
R = TypeVar("R")


def map_on(
    fn: Callable[[T], R],
    items: Sequence[T],
    backend: str = "local",
    workers: int = 1,
    address: str | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` on ``backend`` (see the module docstring)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    if backend == "ray":
        return _map_on_ray(fn, items, workers, address)
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(min(workers, len(items)), initializer=_leave_signals_to_the_parent) as pool:
        return pool.map(fn, items, chunksize=1)


def _leave_signals_to_the_parent() -> None:
    """In a pool process: Ctrl-C (sent to the whole process group) is the parent's to
    handle, and SIGTERM just ends the process; neither prints a traceback here."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


def _map_on_ray(fn: Callable[[T], R], items: Sequence[T], workers: int, address: str | None) -> list[R]:
    from explorer.engine.ray_backend.cluster import connected, cpus_per_worker, release_idle_actors

    with connected(address, workers) as ray:
        release_idle_actors(ray)
        task = ray.remote(num_cpus=cpus_per_worker(ray, workers))(_apply)
        fn_ref = ray.put(fn)
        return list(ray.get([task.remote(fn_ref, item) for item in items]))


@contextlib.contextmanager
def session(backend: str, workers: int = 1, address: str | None = None) -> Iterator[None]:
    """One backend session around several :func:`map_on` calls or searches (Ray: one
    instance for all of them, instead of starting one per call)."""
    if backend != "ray":
        yield
        return
    from explorer.engine.ray_backend.cluster import connected

    with connected(address, workers):
        yield
