"""The test session's scheduling: the Ray tests on one xdist worker, whatever the versions.

``--dist loadgroup`` (pyproject's addopts) sends the tests of one ``xdist_group`` to one
worker, so one local Ray instance serves them all. pytest-xdist marks a group by
appending ``@name`` to each test's node id in the worker; pytest 9.2 keeps node ids
elsewhere and the suffix no longer takes, so the Ray tests were spread over both workers
and each started its own Ray instance (two at once on two cores, each asking for both).
The scheduler below also groups the modules of :data:`GROUPS` by their path, which the
controller sees whatever the versions; the ``xdist_group`` marks stay, for the day the
suffix works again (a suffixed node id is grouped as xdist always did).
"""

from __future__ import annotations

from typing import Any

import pytest

#: test module path (from the root) -> its xdist group
GROUPS = {"tests/test_ray_backend.py": "ray"}


def group_of(nodeid: str) -> str | None:
    """The group a test belongs to by its module, or None."""
    return GROUPS.get(nodeid.partition("::")[0])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None  # xdist's own
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = group_of(nodeid)
            # the bare name, as xdist's own split gives for a suffixed id of that group
            return group if group is not None else str(super()._split_scope(nodeid))

    return ModuleGroups(config, log)
