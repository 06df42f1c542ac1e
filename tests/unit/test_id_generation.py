"""Generated ids: one seed, one sequence, drawn uniformly from the id alphabet."""

from __future__ import annotations

import random
import string

from mockserver.core.ids import Ids


def test_ids_are_the_uniform_draws_of_the_seeded_generator() -> None:
    # The same characters random.choice would draw from Random(seed), so a seed keeps
    # giving the ids it gave before the draw was made cheaper.
    for seed in ("mockserver", 0, "another"):
        ids, reference = Ids("localhost", seed), random.Random(str(seed))
        for _ in range(20):
            event_id = ids.event_id()
            expected = "".join(reference.choice(string.ascii_letters) for _ in range(24))
            assert event_id == f"${expected}:localhost"
            device_id = ids.device_id()
            assert device_id == "".join(reference.choice(string.ascii_uppercase) for _ in range(10))


def test_reseeding_repeats_the_sequence() -> None:
    ids = Ids("example.org", "seed")
    first = [ids.room_id(), ids.event_id(), ids.device_id(), ids.session_id()]
    ids.reseed()
    assert [ids.room_id(), ids.event_id(), ids.device_id(), ids.session_id()] == first
    assert first[0].startswith("!") and first[0].endswith(":example.org")
