"""The Ray tests are one work unit of ``--dist loadgroup`` (tests/conftest.py): one xdist
worker runs them all, so one local Ray instance serves them, whatever the node ids look
like (pytest 9.2 dropped xdist's ``@group`` suffix and the Ray tests were spread over both
workers, each starting its own instance)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("xdist")


class LoadGroupConfig:
    """This session's config as the controller of ``-n 2 --dist loadgroup`` sees it."""

    def __init__(self, real: pytest.Config) -> None:
        self.real = real

    def getoption(self, name: str, *default: Any) -> Any:
        return {"dist": "loadgroup", "tx": ["2*popen"]}.get(name) or self.real.getoption(name, *default)

    def getvalue(self, name: str) -> Any:
        return self.getoption(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_the_ray_module_is_one_work_unit_and_the_others_are_split_per_test(pytestconfig: pytest.Config) -> None:
    from tests.conftest import pytest_xdist_make_scheduler

    split = pytest_xdist_make_scheduler(LoadGroupConfig(pytestconfig), None)._split_scope
    ray_tests = [
        "tests/test_ray_backend.py::test_bfs_depth_bound_counts_equal_one_process",
        "tests/test_ray_backend.py::test_walks_equal_the_local_walks[swarm]",
        "tests/test_ray_backend.py::test_walks_equal_the_local_walks[random]@ray",  # as xdist suffixes them
    ]
    assert {split(nodeid) for nodeid in ray_tests} == {"ray"}
    others = ["tests/test_search_engine.py::test_a[1]", "tests/test_search_engine.py::test_a[2]"]
    assert [split(nodeid) for nodeid in others] == others  # one unit per test: load balanced
    assert split("tests/test_other.py::test_b@cpu") == "cpu"  # another xdist_group, as xdist does


def test_without_loadgroup_xdist_schedules_as_it_always_did(pytestconfig: pytest.Config) -> None:
    from tests.conftest import pytest_xdist_make_scheduler

    class Load(LoadGroupConfig):
        def getoption(self, name: str, *default: Any) -> Any:
            return "load" if name == "dist" else super().getoption(name, *default)

    assert pytest_xdist_make_scheduler(Load(pytestconfig), None) is None
