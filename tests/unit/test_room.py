"""A room's history: state at any depth, state deltas, and timeline windows."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mockserver.core.filters import EMPTY_EVENT_FILTER, EventFilter
from mockserver.core.model import Event, Receipt
from mockserver.core.sync import room_state, select_timeline
from mockserver.core.tokens import StreamToken
from tests.unit.history import A, B, build, member, message

#: depth: 1 create, 2 a joins, 3 name "one", 4 msg, 5 b joins, 6 name "two", 7 msg,
#: 8 b leaves, 9 msg
ROOM = build(
    ("m.room.create", A, {}, ""),
    member(A, "join"),
    ("m.room.name", A, {"name": "one"}, ""),
    message(A, "first"),
    member(B, "join"),
    ("m.room.name", A, {"name": "two"}, ""),
    message(B, "second"),
    member(B, "leave"),
    message(A, "third"),
)


def ids(events: Any) -> list[str]:
    return [event.event_id for event in events]


def state_ids(state: dict[Any, Event]) -> dict[Any, str]:
    return {key: event.event_id for key, event in state.items()}


def test_depth_and_stream_lookups() -> None:
    assert ROOM.depth == 9
    assert ROOM.last_stream == 18
    assert ROOM.depth_at_stream(0) == 0
    assert ROOM.depth_at_stream(1) == 0
    assert ROOM.depth_at_stream(2) == 1
    assert ROOM.depth_at_stream(7) == 3
    assert ROOM.depth_at_stream(1000) == 9
    assert ROOM.stream_of_depth(0) == 0
    assert ROOM.stream_of_depth(4) == 8
    assert ids(ROOM.between(2, 4)) == ["$e3", "$e4"]
    assert ids(ROOM.between(-5, 1)) == ["$e1"]


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, {}),
        (1, {("m.room.create", ""): "$e1"}),
        (
            4,
            {
                ("m.room.create", ""): "$e1",
                ("m.room.member", A): "$e2",
                ("m.room.name", ""): "$e3",
            },
        ),
        (
            7,
            {
                ("m.room.create", ""): "$e1",
                ("m.room.member", A): "$e2",
                ("m.room.name", ""): "$e6",
                ("m.room.member", B): "$e5",
            },
        ),
        (
            9,
            {
                ("m.room.create", ""): "$e1",
                ("m.room.member", A): "$e2",
                ("m.room.name", ""): "$e6",
                ("m.room.member", B): "$e8",
            },
        ),
    ],
)
def test_state_at_depth(depth: int, expected: dict[Any, str]) -> None:
    assert state_ids(ROOM.state_at(depth)) == expected
    for key, event_id in expected.items():
        found = ROOM.state_event_at(key, depth)
        assert found is not None and found.event_id == event_id


def test_state_event_at_before_it_was_set_is_none() -> None:
    assert ROOM.state_event_at(("m.room.member", B), 4) is None
    assert ROOM.state_event_at(("m.room.topic", ""), 9) is None
    membership = ROOM.membership_at(B, 7)
    assert membership is not None and membership.membership == "join"


@pytest.mark.parametrize(
    ("after", "upto", "expected"),
    [
        (0, 9, {"$e1", "$e2", "$e6", "$e8"}),
        (3, 4, set()),
        (3, 7, {"$e5", "$e6"}),
        (4, 9, {"$e6", "$e8"}),
        (7, 9, {"$e8"}),
        (9, 9, set()),
    ],
)
def test_state_delta_lists_entries_that_differ(after: int, upto: int, expected: set[str]) -> None:
    assert {event.event_id for event in ROOM.state_delta(after, upto).values()} == expected


@pytest.mark.parametrize(
    ("after", "upto", "changed"),
    [(0, 1, True), (3, 4, False), (3, 5, True), (6, 7, False), (7, 8, True), (8, 9, False), (9, 3, False)],
)
def test_state_changed_says_whether_a_state_event_lies_between(
    after: int, upto: int, changed: bool
) -> None:
    assert ROOM.state_changed(after, upto) is changed
    assert ROOM.state_changed(after, upto) == bool(ROOM.state_keys_changed(after, upto))


def test_membership_changed_after_looks_at_the_users_own_events() -> None:
    assert ROOM.membership_changed_after(B, 4) and ROOM.membership_changed_after(B, 7)
    assert not ROOM.membership_changed_after(B, 8)
    assert not ROOM.membership_changed_after(A, 2)  # later state is not A's membership
    assert not ROOM.membership_changed_after("@nobody:x", 0)


def test_state_delta_holds_only_the_newest_event_per_entry() -> None:
    # Both name changes lie in (2, 6], yet the delta holds the newest only.
    assert state_ids(ROOM.state_delta(2, 6)) == {
        ("m.room.name", ""): "$e6",
        ("m.room.member", B): "$e5",
    }


def test_room_state_full_or_delta_in_depth_order() -> None:
    assert ids(room_state(ROOM, full=True, after_depth=5, at_depth=9)) == [
        "$e1",
        "$e2",
        "$e6",
        "$e8",
    ]
    assert ids(room_state(ROOM, full=False, after_depth=4, at_depth=9)) == ["$e6", "$e8"]
    assert room_state(ROOM, full=False, after_depth=9, at_depth=4) == []


def test_members_now_and_in_the_past() -> None:
    assert [e.state_key for e in ROOM.members("join")] == [A]
    assert sorted(e.state_key or "" for e in ROOM.members("join", 7)) == [A, B]
    assert [e.state_key for e in ROOM.members("leave")] == [B]
    assert ids(ROOM.member_events_of(B)) == ["$e5", "$e8"]


NOW = StreamToken(100, 7, 3)


@pytest.mark.parametrize(
    ("after", "upto", "limit", "window", "limited", "prev_depth"),
    [
        (0, 9, 10, [f"$e{d}" for d in range(1, 10)], False, 0),
        (0, 9, 9, [f"$e{d}" for d in range(1, 10)], False, 0),
        (0, 9, 3, ["$e7", "$e8", "$e9"], True, 6),
        (6, 9, 3, ["$e7", "$e8", "$e9"], False, 6),
        (5, 9, 3, ["$e7", "$e8", "$e9"], True, 6),
        (2, 5, 2, ["$e4", "$e5"], True, 3),
        (9, 9, 5, [], False, 9),
        (4, 7, 1, ["$e7"], True, 6),
    ],
)
def test_select_timeline_takes_the_last_limit_events(
    after: int, upto: int, limit: int, window: list[str], limited: bool, prev_depth: int
) -> None:
    timeline = select_timeline(ROOM, after, upto, EventFilter(limit=limit), NOW)
    assert ids(timeline.events) == window
    assert timeline.limited is limited
    assert timeline.prev_batch.depth == prev_depth
    assert timeline.prev_batch.stream == ROOM.stream_of_depth(prev_depth)
    # The other streams come from the sync's own position.
    assert timeline.prev_batch.position.advance(room=0) == NOW.advance(room=0)


@pytest.mark.parametrize(
    ("after", "limit", "window", "limited", "prev_depth"),
    [
        # messages only: 4, 7, 9
        (0, 10, ["$e4", "$e7", "$e9"], False, 3),
        (0, 2, ["$e7", "$e9"], True, 6),
        (4, 2, ["$e7", "$e9"], False, 6),
        (5, 1, ["$e9"], True, 8),
        (7, 1, ["$e9"], False, 8),
        (9, 4, [], False, 9),
    ],
)
def test_select_timeline_with_a_type_filter(
    after: int, limit: int, window: list[str], limited: bool, prev_depth: int
) -> None:
    """``limited`` counts only matching events left out; prev_batch sits just before the window."""
    messages = EventFilter(limit=limit, types=("m.room.message",))
    timeline = select_timeline(ROOM, after, 9, messages, NOW)
    assert ids(timeline.events) == window
    assert timeline.limited is limited
    assert timeline.prev_batch.depth == prev_depth


def test_select_timeline_filters_by_sender_and_room() -> None:
    by_b = select_timeline(ROOM, 0, 9, EventFilter(senders=(B,)), NOW)
    assert ids(by_b.events) == ["$e5", "$e7", "$e8"]
    not_a = select_timeline(ROOM, 0, 9, EventFilter(not_senders=(A,)), NOW)
    assert ids(not_a.events) == ids(by_b.events)
    elsewhere = select_timeline(ROOM, 0, 9, EventFilter(rooms=("!other:x",)), NOW)
    assert elsewhere.events == [] and elsewhere.limited is False
    assert select_timeline(ROOM, 0, 9, EventFilter(types=()), NOW).events == []


def test_select_timeline_default_limit_is_ten() -> None:
    long_room = build(*(message(A, str(i)) for i in range(25)))
    timeline = select_timeline(long_room, 0, 25, EMPTY_EVENT_FILTER, NOW)
    assert ids(timeline.events) == [f"$e{d}" for d in range(16, 26)]
    assert timeline.limited is True
    assert timeline.prev_batch.depth == 15


def test_last_departure_is_the_latest_leave_that_ended_a_join() -> None:
    room = build(
        ("m.room.create", A, {}, ""),
        member(A, "join"),
        member(B, "invite"),  # 3
        member(B, "leave"),  # 4: a rejected invite ends no join
        member(B, "join"),  # 5
        member(B, "leave"),  # 6: kicked or left
        message(A),  # 7
        member(B, "invite"),  # 8
        member(B, "leave"),  # 9: rejected re-invite
        member(B, "ban"),  # 10
    )
    assert room.last_departure(A) == 0
    assert room.last_departure(B) == 6
    assert room.last_departure(B, 5) == 0
    assert room.last_departure(B, 4) == 0
    assert room.last_departure(B, 6) == 6
    assert room.last_departure("@nobody:x") == 0


# -- what the stable dialect adds ------------------------------------------------------------


def test_next_state_event_finds_the_replacement() -> None:
    name = ("m.room.name", "")
    assert ROOM.next_state_event(name, 3) is not None
    assert ROOM.next_state_event(name, 3).event_id == "$e6"  # type: ignore[union-attr]
    assert ROOM.next_state_event(name, 6) is None
    assert ROOM.next_state_event(("m.room.topic", ""), 0) is None


@pytest.mark.parametrize(
    ("memberships", "expected"),
    [
        ([], 0),
        (["join"], 2),
        (["join", "join"], 2),  # a profile change continues the stay
        (["join", "leave"], 0),
        (["join", "leave", "join"], 4),
        (["invite", "join", "join"], 3),
    ],
)
def test_joined_at_is_the_start_of_the_current_stay(memberships: list[str], expected: int) -> None:
    room = build(("m.room.create", A, {}, ""), *(member(B, m) for m in memberships))
    assert room.joined_at(B) == expected


def test_receipts_of_holds_a_users_latest_receipt_per_type_and_thread() -> None:
    room = build(member(A, "join"), member(B, "join"), message(A), message(B))

    def receipt(user: str, kind: str, event: str, stream: int, thread: str | None = None) -> Receipt:
        return Receipt(room.room_id, user, kind, event, 0, stream, thread)

    room.add_receipt(receipt(A, "m.read", "$e3", 1))
    room.add_receipt(receipt(B, "m.read", "$e3", 2))
    room.add_receipt(receipt(A, "m.read", "$e4", 3))
    room.add_receipt(receipt(A, "m.read.private", "$e3", 4))
    room.add_receipt(receipt(A, "m.read", "$e3", 5, thread="$e3"))
    assert [(r.receipt_type, r.thread_id, r.event_id) for r in room.receipts_of(A)] == [
        ("m.read", None, "$e4"),
        ("m.read.private", None, "$e3"),
        ("m.read", "$e3", "$e3"),
    ]
    assert [r.stream for r in room.receipts_of(B)] == [2]
    assert list(room.receipts_of("@nobody:x")) == []
    assert sorted(r.stream for r in room.latest_receipts.values()) == [2, 3, 4, 5]


def test_select_timeline_cuts_a_window_once_per_position() -> None:
    room = build(member(A, "join"), message(A, "one"), message(A, "two"), message(A, "three"))
    now = StreamToken(room=8)
    first = select_timeline(room, 1, 4, EventFilter(limit=2), now)
    # The syncs one change wakes share the window: the same object, not a copy.
    assert select_timeline(room, 1, 4, EventFilter(limit=2), now) is first
    # A filter that selects, with the same limit, never gets the remembered window.
    members_only = EventFilter(limit=2, types=("m.room.member",))
    assert ids(select_timeline(room, 0, 4, members_only, now).events) == ["$e1"]
    assert ids(select_timeline(room, 1, 4, members_only, now).events) == []
    elsewhere = EventFilter(limit=2, not_rooms=(room.room_id,))
    assert select_timeline(room, 1, 4, elsewhere, now).events == []
    # Another limit, another range or another position is cut afresh.
    assert ids(select_timeline(room, 1, 4, EventFilter(limit=1), now).events) == ["$e4"]
    assert ids(select_timeline(room, 2, 4, EventFilter(limit=2), now).events) == ["$e3", "$e4"]
    again = select_timeline(room, 1, 4, EventFilter(limit=2), StreamToken(room=8))
    assert again is not first and again == first
    # A redaction swaps an event in place: windows holding the old one are forgotten.
    redacted = dataclasses.replace(room.event_at(4), content={})
    room.replace(redacted)
    after = select_timeline(room, 1, 4, EventFilter(limit=2), now)
    assert after.events[-1] is redacted


def test_state_now_reads_the_current_state_in_place() -> None:
    state = ROOM.state_now()
    assert dict(state) == ROOM.state_at(ROOM.depth)
    assert len(state) == len(ROOM.current_state)
    assert state[("m.room.name", "")].event_id == "$e6"
    assert state.get(("m.room.topic", "")) is None
    assert state.get(("m.room.topic", ""), "none") == "none"
    with pytest.raises(KeyError):
        state[("m.room.topic", "")]


def test_joined_names_follow_membership_and_redaction() -> None:
    room = build(
        ("m.room.member", A, {"membership": "join", "displayname": "Ann"}, A),
        ("m.room.member", B, {"membership": "join", "displayname": ""}, B),
    )
    assert room.joined_names() == [(A, "Ann"), (B, None)]
    assert room.joined_names() is room.joined_names()  # remembered
    room.append(
        Event("$e3", room.room_id, "m.room.member", B, {"membership": "leave"}, 0, 6, 3, B)
    )
    assert room.joined_names() == [(A, "Ann")]
    room.replace(dataclasses.replace(room.event_at(1), content={"membership": "join"}))
    assert room.joined_names() == [(A, None)]


def test_current_membership_and_stay_follow_each_new_member_event() -> None:
    room = build(("m.room.create", A, {}, ""), member(B, "join"))
    assert (room.membership_now(B), room.joined_at(B)) == ("join", 2)
    assert (room.membership_now(A), room.joined_at(A)) == (None, 0)

    def add(membership: str) -> None:
        depth = room.depth + 1
        content = {"membership": membership}
        room.append(Event(f"$e{depth}", room.room_id, "m.room.member", B, content, 0, depth * 2, depth, B))

    add("join")  # a profile change continues the stay
    assert (room.membership_now(B), room.joined_at(B)) == ("join", 2)
    add("leave")
    assert (room.membership_now(B), room.joined_at(B)) == ("leave", 0)
    add("join")
    assert (room.membership_now(B), room.joined_at(B)) == ("join", 5)
    for depth in range(1, room.depth + 1):
        found = room.membership_at(B, depth)
        assert (found.membership if found else None) == [None, "join", "join", "leave", "join"][depth - 1]
