"""The actor world's fast paths keep every answer: composed fingerprints, memoised steps,
interned parts, the compact visited set, adopted states (issue 14).

Each test compares a fast path with the plain computation it replaces.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.actors import ActorModel, World
from explorer.actors.fingerprints import WorldFingerprints
from explorer.actors.memo import IdCache, Interner
from explorer.engine.fingerprint import fingerprint
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.engine.visited import Visited
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from tests.actor_toys import CounterServer, RetryClient

ROOT = Path(__file__).resolve().parent.parent


def default_model() -> ActorModel:
    model = build_model(CheckConfig(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, crash=1)))
    assert isinstance(model, ActorModel)
    return model


def worlds_by_bfs(model: ActorModel, depth: int) -> Iterator[World]:
    """Every successor generated within ``depth`` steps (with repeats), plain BFS by value."""
    level = list(model.init_states())
    seen = set(level)
    yield from level
    for _ in range(depth):
        nxt_level = []
        for world in level:
            for _action, nxt in model.successors(world):
                yield nxt
                if nxt not in seen:
                    seen.add(nxt)
                    nxt_level.append(nxt)
        level = nxt_level


def test_composed_fingerprints_tell_worlds_apart_exactly_as_values_do() -> None:
    model = default_model()
    by_value: dict[World, int] = {}
    for world in worlds_by_bfs(model, 5):
        fp = model.fingerprint(world)
        assert by_value.setdefault(world, fp) == fp  # equal worlds: equal fingerprints
    assert len(by_value) > 4000
    assert len(set(by_value.values())) == len(by_value)  # different worlds differ
    # and the composed fingerprint partitions worlds as the generic one (by repr) does
    assert len({fingerprint(w) for w in by_value}) == len(by_value)


def test_a_world_rebuilt_from_scratch_has_the_same_fingerprint() -> None:
    model = default_model()
    worlds = list(dict.fromkeys(worlds_by_bfs(model, 3)))
    fresh = default_model()  # cold caches
    for world in worlds:
        copy = pickle.loads(pickle.dumps(world))  # new objects: nothing cached by identity
        assert copy is not world and copy == world
        assert fresh.fingerprint(copy) == model.fingerprint(world)


def test_two_paths_to_one_world_give_one_fingerprint() -> None:
    model = ActorModel({0: CounterServer(), 1: CounterServer(), 2: RetryClient(), 3: RetryClient(server=1)}, servers=[0, 1])
    init = model.init_states()[0]
    deliveries = [a for a in model.actions(init) if a.kind == "deliver"]
    assert len(deliveries) == 2
    first, second = deliveries
    a = model.next_state(model.next_state(init, first), second)  # type: ignore[arg-type]
    b = model.next_state(model.next_state(init, second), first)  # type: ignore[arg-type]
    assert a == b and a is not b
    assert model.fingerprint(a) == model.fingerprint(b)  # type: ignore[arg-type]


def test_the_network_fingerprint_carried_through_steps_equals_the_sum_from_scratch() -> None:
    model = default_model()
    for world in worlds_by_bfs(model, 3):
        noted = model.fingerprints.network(world.network)
        scratch = WorldFingerprints(len(model.addresses), model.net).network(world.network)
        assert noted == scratch


def test_the_network_fingerprint_does_not_depend_on_entry_order() -> None:
    model = default_model()
    world = max(worlds_by_bfs(model, 3), key=lambda w: len(w.network))
    assert len(world.network) >= 3
    fps = WorldFingerprints(len(model.addresses), model.net)
    assert fps.network(tuple(reversed(world.network))) == fps.network(world.network)


_FINGERPRINTS_SCRIPT = """
import json
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
model = build_model(CheckConfig(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, crash=1)))
level = list(model.init_states())
fps = []
for _ in range(3):
    level = [nxt for world in level for _a, nxt in model.successors(world)]
    fps.extend(model.fingerprint(w) for w in level)
print(json.dumps(fps))
"""


def test_composed_fingerprints_are_the_same_under_every_hash_seed() -> None:
    outputs = []
    for seed in ("0", "1"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, "-c", _FINGERPRINTS_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(out.stdout))
    assert len(outputs[0]) > 100
    assert outputs[0] == outputs[1]


def test_memoised_steps_give_what_the_node_gives() -> None:
    model = default_model()
    for world in list(worlds_by_bfs(model, 3))[:400]:
        for action in model.actions(world):
            if action.kind != "deliver":
                continue
            i = model.index[action.dst]
            plain = model.nodes[i].on_message(action.dst, world.actors[i], action.src, action.msg)
            assert model.memo.message(model.nodes[i], i, action.dst, world.actors[i], action.src, action.msg) == plain


def test_interned_states_are_shared_between_worlds() -> None:
    model = default_model()
    worlds = list(worlds_by_bfs(model, 4))
    states = {id(a) for w in worlds for a in w.actors}
    distinct = {a for w in worlds for a in w.actors}
    assert len(states) == len(distinct)  # one object per value


def test_the_interner_keeps_values_of_different_repr_apart() -> None:
    interner = Interner()
    one = interner.canon((1, "x"))
    assert interner.canon((1, "x")) is one
    true = (True, "x")
    assert interner.canon(true) is true  # equal to (1, "x"), but not the same text
    unhashable = ([1],)
    assert interner.canon(unhashable) is unhashable


def test_identity_caches_never_answer_for_another_object() -> None:
    cache = IdCache(limit=2)
    a, b = (1, 2), (3, 4)
    cache.put(a, "a")
    assert cache.get(a) == "a" and cache.get(b) is None
    cache.put(b, "b")
    cache.put((5, 6), "c")  # full: emptied, then stored
    assert len(cache) == 1 and cache.get(a) is None


def test_visited_records_walk_back_to_the_initial_state() -> None:
    visited = Visited()
    root = visited.add(111, -1, 0)
    child = visited.add(222, root, 3)
    grandchild = visited.add(333, child, 1)
    assert 222 in visited and 444 not in visited and len(visited) == 3
    assert visited.record(grandchild) == (child, 1)
    assert visited.record(root) == (-1, 0)
    keyed = Visited()
    keyed.add_keyed(2**64 - 5, -1, 0)
    keyed.add_keyed(7, 2**64 - 5, 2)
    keyed.add_keyed(2**64 - 1, 7, 4)  # a fingerprint equal to the initial-state marker
    assert keyed.keyed_record(7) == (2**64 - 5, 2)
    assert keyed.keyed_record(2**64 - 5) == (-1, 0)
    assert keyed.keyed_record(2**64 - 1) == (7, 4)
    assert keyed.keyed_record(8) is None


def test_adopted_worlds_are_equal_and_linked_to_this_process() -> None:
    model = default_model()
    worlds = list(dict.fromkeys(worlds_by_bfs(model, 3)))
    copies = pickle.loads(pickle.dumps(worlds))
    for world, copy in zip(worlds, copies, strict=True):
        adopted = model.adopt(copy)
        assert adopted == world and type(adopted) is type(world)
        assert all(x is y for x, y in zip(adopted.actors, world.actors, strict=True))
        assert model.fingerprint(adopted) == model.fingerprint(world)


@pytest.mark.parametrize("workers", [1, 2])
def test_default_check_counts_are_unchanged_at_depth_6(workers: int) -> None:
    # level sizes of the default check as measured before issue 14 (commit 09b8d3c)
    result = search(default_model(), SearchSettings(max_depth=6, workers=workers))
    assert result.level_sizes == [1, 7, 38, 196, 826, 3183, 11584]
    assert result.complete and result.stopped_by == "depth"


@pytest.mark.parametrize("network", ["unordered", "fifo"])
def test_encoded_frontier_worlds_decode_to_the_same_objects(network: str) -> None:
    model = ActorModel(
        {0: CounterServer(), 1: CounterServer(), 2: RetryClient(), 3: RetryClient(server=1)},
        servers=[0, 1],
        network=network,
    )
    worlds = list(dict.fromkeys(worlds_by_bfs(model, 4)))
    assert len(worlds) > 50
    encoded = [model.encode(w) for w in worlds]
    assert all(isinstance(e, bytes) for e in encoded)
    assert len(set(encoded)) == len(worlds)  # different worlds, different encodings
    for world, data in zip(worlds, encoded, strict=True):
        decoded = model.decode(data)
        assert decoded == world and type(decoded) is World
        assert all(x is y for x, y in zip(decoded.actors, world.actors, strict=True))
        assert model.fingerprint(decoded) == model.fingerprint(world)
    model.codec.objects.extend([None] * 70_000)  # past 16-bit part numbers: 32-bit ones
    for world in worlds[:20]:
        wide = model.encode(world)
        assert isinstance(wide, bytes) and wide[0] == 4 and model.decode(wide) == world


@pytest.mark.parametrize("network", ["unordered", "fifo"])
def test_encodings_shipped_to_another_process_decode_there_to_its_own_parts(network: str) -> None:
    def model() -> ActorModel:
        return ActorModel(
            {0: CounterServer(), 1: CounterServer(), 2: RetryClient(), 3: RetryClient(server=1)},
            servers=[0, 1],
            network=network,
        )

    sender, receiver = model(), model()
    worlds = list(dict.fromkeys(worlds_by_bfs(sender, 4)))
    own = {w: w for w in worlds_by_bfs(receiver, 4)}  # the receiver's own objects
    half = len(worlds) // 2
    table: list[object] = []
    mark = 0
    for part in (worlds[:half], worlds[half:]):  # two batches: the second ships only new parts
        encoded = [sender.encode(w) for w in part]
        mark_before = mark
        mark, shipment = sender.shipped_parts(mark)
        assert len(shipment[1]) == mark - mark_before
        # what crosses the process boundary: the parts and the encodings, pickled
        shipment, encoded = pickle.loads(pickle.dumps((shipment, encoded)))
        receiver.receive_parts(shipment, table)
        assert len(table) == mark
        for world, data in zip(part, encoded, strict=True):
            there = receiver.decode_from(data, table)
            assert there == world and type(there) is World
            assert receiver.fingerprint(there) == sender.fingerprint(world)
            # linked to the receiver's interned states, so its memoised steps apply
            assert all(x is y for x, y in zip(there.actors, own[world].actors, strict=True))
    assert sender.shipped_parts(mark)[1] == (b"", [])  # nothing new: nothing shipped again
    for world in worlds[:20]:  # and the receiver expands them as it would its own
        there = receiver.decode_from(sender.encode(world), table)
        assert [s for _, s in receiver.successors(there)] == [s for _, s in sender.successors(world)]


def test_one_process_numbers_entries_by_the_codecs_own_objects_and_keeps_no_others() -> None:
    # A decoded world's entries are the codec's own objects, found by id; a successor's
    # fresh entries are numbered by value and not kept (each is encoded once), so the
    # codec holds nothing per world beyond its numbered parts.
    model = default_model()
    result = search(model, SearchSettings(max_depth=5))
    assert result.distinct_states == sum([1, 7, 38, 196, 826, 3183])
    codec = model.codec
    assert not codec.foreign and not codec.entry_ids
    entries = [obj for obj, kind in zip(codec.objects, codec.kinds, strict=True) if kind == 2]
    assert entries and len(codec.owned) == len(entries)
    assert all(codec.owned[id(obj)] == codec.objects.index(obj) for obj in entries[:50])
    sample = list(worlds_by_bfs(model, 4))
    for world in sample:
        data = model.encode(world)
        assert isinstance(data, bytes)
        again = model.decode(data)
        assert again == world and model.encode(again) == data
        assert all(id(entry) in codec.owned for entry in again.network)


def test_a_broken_step_world_stays_whole_in_the_frontier() -> None:
    from explorer.models.paxos_properties import BrokenStepWorld

    world = default_model().init_states()[0]
    broken = BrokenStepWorld._make(world)
    broken.step_problems = {"stability": ["replica 0 forgot slot 0"]}
    model = default_model()
    assert model.encode(broken) is broken and model.decode(model.encode(broken)) is broken


@pytest.mark.parametrize("network", ["unordered", "fifo"])
def test_a_change_of_entry_moves_the_network_fingerprint_by_the_entries_difference(network: str) -> None:
    model = ActorModel(
        {0: CounterServer(), 1: CounterServer(), 2: RetryClient(), 3: RetryClient(server=1)},
        servers=[0, 1],
        network=network,
        faults=Faults(dup=1),
    )
    checked = 0
    for world in worlds_by_bfs(model, 4):
        scratch = WorldFingerprints(len(model.addresses), model.net)  # nothing carried
        assert model.fingerprints.network(world.network) == scratch.network(world.network)
        checked += len(world.network)
    assert checked > 100
