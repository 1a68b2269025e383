"""The BFS keeps frontier states as the model's ``encode`` hook gives them and expands
what ``decode`` gives back: same counts, levels and counterexamples as without the hooks."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from tests.search_toys import Grid, GridModel


class EncodedGrid(GridModel):
    """GridModel whose frontier holds one int per state; counts the hook calls."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoded = 0
        self.decoded = 0

    def encode(self, state: Grid) -> int:
        self.encoded += 1
        return state[0] * 1000 + state[1]

    def decode(self, data: Any) -> Grid:
        assert isinstance(data, int), "the frontier handed back something encode did not give"
        self.decoded += 1
        return divmod(data, 1000)


@pytest.mark.parametrize("kwargs", [{}, {"bad": (3, 2)}, {"final_ok": lambda s: s != (4, 4)}, {"boundary": 5}])
def test_encoded_frontier_gives_the_plain_search(kwargs: dict[str, Any]) -> None:
    plain = search(GridModel(n=6, **kwargs), SearchSettings(collect=True))
    model = EncodedGrid(n=6, **kwargs)
    encoded = search(model, SearchSettings(collect=True))
    assert encoded.level_sizes == plain.level_sizes and encoded.distinct_states == plain.distinct_states
    assert [(v.property_name, v.states) for v in encoded.violations] == [
        (v.property_name, v.states) for v in plain.violations
    ]
    assert model.encoded > 0 and model.decoded > 0  # the hooks were used


def test_the_depth_bound_judges_final_properties_on_decoded_states() -> None:
    model = EncodedGrid(n=6, final_ok=lambda s: s != (2, 1))
    result = search(model, SearchSettings(max_depth=3))
    assert [v.states[-1] for v in result.violations] == [(2, 1)]


def test_a_frontier_cut_at_depth_zero_is_judged_decoded() -> None:
    model = EncodedGrid(n=6, final_ok=lambda s: s != (0, 0))
    result = search(model, SearchSettings(max_depth=0))
    assert [v.states[-1] for v in result.violations] == [(0, 0)] and model.decoded == 1


def test_the_frontier_gives_back_what_it_was_given_in_order() -> None:
    from explorer.engine.frontier import Frontier

    given: list[tuple[int, Any]] = [(0, b"abc"), (1, (3, 4)), (2, b""), (7, b"\x00\xff"), (9, None), (4, b"z")]
    frontier = Frontier()
    for ordinal, data in given:
        frontier.append(ordinal, data)
    assert len(frontier) == len(given)
    back = list(frontier)
    assert back == given and all(type(b) is type(g) for (_, b), (_, g) in zip(back, given, strict=True))
    assert bytes(frontier.blob) == b"abc\x00\xffz"  # the bytes laid end to end, nothing else


def test_a_level_kept_plain_then_given_bytes_keeps_its_order() -> None:
    # States kept as they are go in a plain list until the first bytes encoding, which
    # moves them by position; clearing returns it to plain. Pickled (a spilled level) too.
    import pickle

    from explorer.engine.frontier import Frontier

    frontier = Frontier()
    given: list[tuple[int, Any]] = [(5, ("a", 1)), (6, None), (8, b"xy"), (2, ("b",)), (3, b"")]
    for ordinal, data in given[:2]:
        frontier.append(ordinal, data)
    assert list(frontier) == given[:2] and not frontier.encoded
    for ordinal, data in given[2:]:
        frontier.append(ordinal, data)
    assert list(frontier) == given and list(pickle.loads(pickle.dumps(frontier, protocol=5))) == given
    frontier.clear()
    frontier.append(1, "s")
    assert list(frontier) == [(1, "s")] and not frontier.encoded and len(frontier) == 1
