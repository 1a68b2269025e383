"""Getting hold of Ray: import it (an optional extra), join a cluster or start a quiet
local instance, and let go of it afterwards.

Ray is imported here and nowhere at module level elsewhere, so ``synod`` without the
extra installed only notices when ``--backend ray`` is asked for, and says how to
install it (:func:`require_ray`, a :class:`ConfigError`: one line, exit 2).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from explorer.engine.errors import ConfigError

__all__ = ["INSTALL_HINT", "SESSION_CACHE", "RayUnavailable", "connected", "cpus_per_worker", "release_idle_actors", "require_ray"]

INSTALL_HINT = "install it with: pip install 'synod-check[ray]'"


#: what searches keep between them in one Ray session: name -> (key, actors)
SESSION_CACHE: dict[str, tuple[Any, list[Any]]] = {}


class RayUnavailable(ConfigError):
    """``--backend ray`` without Ray importable."""


def require_ray() -> ModuleType:
    """The ``ray`` module, or :class:`RayUnavailable` saying how to install it."""
    try:
        import ray
    except ImportError as exc:  # also a broken install: ray's own imports failing
        raise RayUnavailable(f"--backend ray needs Ray ({exc}); {INSTALL_HINT}") from None
    return ray


@contextlib.contextmanager
def connected(address: str | None, workers: int) -> Iterator[ModuleType]:
    """Ray, initialised for the duration of the block.

    An instance this process already joined (a test session's, a caller's) is used as it
    is and left running. Otherwise: with ``address`` join that cluster (``auto``,
    ``HOST:PORT`` of a ``ray start --head`` or ``ray://HOST:PORT``); without, start a
    local instance with ``workers`` CPUs, no dashboard, no usage report, workers' logs
    kept out of the terminal. What this block started, it shuts down.

    (Ray offers no setting to bind its own servers to loopback: a local instance listens
    on the machine's interfaces like any ``ray start``. docs/distributed.md says so.)
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    # Ray phones home unless told not to, and prints that it does.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if address is not None:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        else:
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise ConfigError(f"cannot start or join {where}: {_first_line(exc)}") from None
    try:
        yield ray
    finally:
        SESSION_CACHE.clear()  # actors kept for reuse die with the instance
        ray.shutdown()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def cpus_per_worker(ray: ModuleType, workers: int) -> float:
    """The CPU share each of ``workers`` actors asks for: one CPU when the cluster has
    that many, else an equal share, so more workers than CPUs (a simulated scale-out,
    a small test instance) oversubscribe instead of waiting forever for CPUs."""
    total = float(ray.cluster_resources().get("CPU", 1.0))
    # Ray counts resources in units of 1/10,000: round down, or 3 x 0.6667 > 2 CPUs
    # and the last actor waits forever
    return min(1.0, math.floor(total / workers * 10_000) / 10_000)


def release_idle_actors(ray: ModuleType) -> None:
    """Kill the actors kept for reuse (:data:`SESSION_CACHE`): an idle actor still holds
    its CPUs, and tasks that need them would wait forever."""
    for _key, actors in SESSION_CACHE.values():
        for actor in actors:
            ray.kill(actor)
    SESSION_CACHE.clear()
