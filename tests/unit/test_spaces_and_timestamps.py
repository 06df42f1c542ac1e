"""The pure parts of spaces and timestamp_to_event: child order, validity, closest events."""

from __future__ import annotations

import pytest

from mockserver.core.spaces import children
from mockserver.core.timestamps import event_at_timestamp
from tests.unit.history import A, build, member, message


def child(room_id: str, **content: object) -> tuple[object, ...]:
    return ("m.space.child", A, {"via": ["x"], **content}, room_id)


def test_children_sort_by_order_then_timestamp_then_room_id() -> None:
    space = build(
        ("m.room.create", A, {"type": "m.space"}, ""),
        member(A, "join"),
        child("!late:x"),  # no order: after every ordered child, by timestamp
        child("!b:x", order="m"),
        child("!bad-order:x", order="\u00e9"),  # not printable ASCII: as if absent
        child("!a:x", order="m"),  # same order: the earlier event first
        child("!first:x", order=" "),
        ("m.space.child", A, {"via": []}, "!no-via:x"),
        ("m.space.child", A, {}, "!removed:x"),
    )
    order = [e.state_key for e in children(space, suggested_only=False)]
    assert order == ["!first:x", "!b:x", "!a:x", "!late:x", "!bad-order:x"]


def test_suggested_only_keeps_children_marked_true() -> None:
    space = build(child("!s:x", suggested=True), child("!t:x", suggested="yes"), child("!u:x"))
    assert [e.state_key for e in children(space, suggested_only=True)] == ["!s:x"]


# build() stamps event n at 1000 + n.
ROOM = build(("m.room.create", A, {}, ""), member(A, "join"), message(), message(), message())


@pytest.mark.parametrize(
    ("ts", "direction", "upto", "expected"),
    [
        (1003, "f", 5, "$e3"),
        (1003, "b", 5, "$e3"),
        (1000, "f", 5, "$e1"),
        (1000, "b", 5, None),
        (1999, "b", 5, "$e5"),
        (1999, "b", 4, "$e4"),  # what the user may see stops at depth 4
        (1999, "f", 5, None),
    ],
)
def test_event_at_timestamp(ts: int, direction: str, upto: int, expected: str | None) -> None:
    found = event_at_timestamp(ROOM, ts, direction, upto)
    assert (found.event_id if found is not None else None) == expected
