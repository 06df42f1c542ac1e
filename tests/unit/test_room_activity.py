"""The store's log of which rooms each commit touched (core/store/activity.py)."""

from __future__ import annotations

from mockserver.core.store.activity import RoomActivity
from mockserver.core.tokens import StreamToken


def at(room: int = 0, typing: int = 0, receipt: int = 0) -> StreamToken:
    return StreamToken().advance(room=room, typing=typing, receipt=receipt)


def test_rooms_touched_after_a_token_by_any_of_the_three_streams() -> None:
    log = RoomActivity()
    log.record(at(room=1), frozenset({"!a"}))
    log.record(at(room=1, typing=1), frozenset({"!b"}))
    log.record(at(room=1, typing=1, receipt=1), frozenset({"!c"}))
    log.record(at(room=2, typing=1, receipt=1), frozenset({"!a", "!d"}))
    assert log.rooms_since(at(), most=10) == {"!a", "!b", "!c", "!d"}
    assert log.rooms_since(at(room=1), most=10) == {"!b", "!c", "!a", "!d"}
    assert log.rooms_since(at(room=1, typing=1), most=10) == {"!c", "!a", "!d"}
    assert log.rooms_since(at(room=1, typing=1, receipt=1), most=10) == {"!a", "!d"}
    assert log.rooms_since(at(room=2, typing=1, receipt=1), most=10) == set()


def test_a_commit_without_rooms_is_not_recorded() -> None:
    log = RoomActivity()
    log.record(at(room=1), frozenset())
    assert log.rooms_since(at(), most=0) == set()


def test_too_many_commits_since_means_unknown() -> None:
    log = RoomActivity()
    for n in range(1, 6):
        log.record(at(room=n), frozenset({f"!r{n}"}))
    assert log.rooms_since(at(room=2), most=3) == {"!r3", "!r4", "!r5"}
    assert log.rooms_since(at(room=1), most=3) is None


def test_a_token_older_than_the_log_means_unknown() -> None:
    log = RoomActivity()
    log.LIMIT = 4
    for n in range(1, 8):
        log.record(at(room=n), frozenset({f"!r{n}"}))
    # The oldest commits were dropped: what came after room=1 is no longer known.
    assert log.rooms_since(at(room=1), most=100) is None
    assert log.rooms_since(at(room=5), most=100) == {"!r6", "!r7"}


def test_rooms_in_the_order_of_the_users_rooms() -> None:
    log = RoomActivity()
    rooms = dict.fromkeys(["!c", "!a", "!b"])
    assert log.in_order("@u:x", rooms, {"!b", "!c", "!elsewhere"}) == ["!c", "!b"]
    rooms["!z"] = None  # a new room of the user's: the order is worked out again
    assert log.in_order("@u:x", rooms, {"!z", "!a"}) == ["!a", "!z"]


def test_a_commit_after_a_search_is_seen_by_the_next_search_with_that_token() -> None:
    log = RoomActivity()
    log.record(at(room=1), frozenset({"!a"}))
    assert log.rooms_since(at(), most=10) == {"!a"}
    assert log.rooms_since(at(), most=10) == {"!a"}  # the same search, remembered
    assert log.rooms_since(at(), most=0) is None  # the limit is the asker's own
    log.record(at(room=2), frozenset({"!b"}))
    assert log.rooms_since(at(), most=10) == {"!a", "!b"}
    assert log.rooms_since(at(room=1), most=10) == {"!b"}
