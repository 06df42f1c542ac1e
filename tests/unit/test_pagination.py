"""Paging one room's history: tokens to depths, and pages in both directions."""

from __future__ import annotations

import pytest

from mockserver.core.errors import M_INVALID_PARAM, MatrixError
from mockserver.core.filters import EMPTY_EVENT_FILTER, EventFilter
from mockserver.core.pagination import depth_of_position, paginate, position_token
from mockserver.core.tokens import RoomToken, StreamToken
from tests.unit.history import A, B, build, member, message

#: depths 1..8, streams 2, 4, ... 16: create, a joins, b joins, then five messages (a, b, a, b, a)
ROOM = build(
    ("m.room.create", A, {}, ""),
    member(A, "join"),
    member(B, "join"),
    *(message(A if i % 2 == 0 else B, f"m{i}") for i in range(5)),
)
NOW = StreamToken(100, 5, 5)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("s0_0_0", 0),
        ("s1_0_0", 0),
        ("s2_0_0", 1),
        ("s9_0_0", 4),
        ("s100_5_5", 8),
        ("s16_0_0_0_0_0", 8),
        ("t0-0_0_0", 0),
        ("t3-6_0_0", 3),
        ("t8-16_5_5", 8),
    ],
)
def test_depth_of_position(text: str, depth: int) -> None:
    assert depth_of_position(ROOM, text, NOW) == depth


@pytest.mark.parametrize(
    "text",
    [
        "s101_0_0",  # beyond the server's position
        "s0_6_0",
        "t9-18_0_0",  # deeper than the room
        "t3-7_0_0",  # depth 3 is at stream 6: a position in another room
        "t3-6_0_9",
        "x",
        "t3",
    ],
)
def test_depth_of_position_refuses(text: str) -> None:
    with pytest.raises(MatrixError) as caught:
        depth_of_position(ROOM, text, NOW)
    assert caught.value.errcode == M_INVALID_PARAM


def test_position_token_round_trips() -> None:
    token = position_token(ROOM, 5, NOW)
    assert token == RoomToken(5, StreamToken(10, 5, 5))
    assert depth_of_position(ROOM, token.format(), NOW) == 5
    assert depth_of_position(ROOM, position_token(ROOM, 0, NOW).format(), NOW) == 0


def depths(page_chunk: list[object]) -> list[int]:
    return [event.depth for event in page_chunk]  # type: ignore[attr-defined]


def test_backwards_pages_until_the_start() -> None:
    first = paginate(
        ROOM, from_depth=8, backwards=True, limit=3, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert depths(first.chunk) == [8, 7, 6] and first.end_depth == 5
    second = paginate(
        ROOM, from_depth=5, backwards=True, limit=3, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert depths(second.chunk) == [5, 4, 3] and second.end_depth == 2
    last = paginate(
        ROOM, from_depth=2, backwards=True, limit=3, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert depths(last.chunk) == [2, 1] and last.end_depth is None


def test_a_full_page_that_reaches_the_start_has_no_end() -> None:
    page = paginate(
        ROOM, from_depth=3, backwards=True, limit=3, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert depths(page.chunk) == [3, 2, 1] and page.end_depth is None


def test_backwards_stops_at_to() -> None:
    page = paginate(
        ROOM, from_depth=8, backwards=True, limit=10, event_filter=EMPTY_EVENT_FILTER,
        to_depth=5, visible_depth=8,
    )
    assert depths(page.chunk) == [8, 7, 6] and page.end_depth is None
    nothing = paginate(
        ROOM, from_depth=4, backwards=True, limit=10, event_filter=EMPTY_EVENT_FILTER,
        to_depth=6, visible_depth=8,
    )
    assert nothing.chunk == [] and nothing.end_depth is None


def test_forwards_pages_until_the_end_or_to() -> None:
    page = paginate(
        ROOM, from_depth=0, backwards=False, limit=5, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert depths(page.chunk) == [1, 2, 3, 4, 5] and page.end_depth == 5
    rest = paginate(
        ROOM, from_depth=5, backwards=False, limit=5, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    # Up to now, newer events may still come: an end to come back from, then nothing.
    assert depths(rest.chunk) == [6, 7, 8] and rest.end_depth == 8
    after = paginate(
        ROOM, from_depth=8, backwards=False, limit=5, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert after.chunk == [] and after.end_depth is None
    bounded = paginate(
        ROOM, from_depth=2, backwards=False, limit=10, event_filter=EMPTY_EVENT_FILTER,
        to_depth=4, visible_depth=8,
    )
    assert depths(bounded.chunk) == [3, 4] and bounded.end_depth is None


def test_nothing_past_the_visible_depth() -> None:
    back = paginate(
        ROOM, from_depth=8, backwards=True, limit=2, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=5,
    )
    assert depths(back.chunk) == [5, 4]
    forward = paginate(
        ROOM, from_depth=3, backwards=False, limit=10, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=5,
    )
    assert depths(forward.chunk) == [4, 5] and forward.end_depth is None
    beyond = paginate(
        ROOM, from_depth=6, backwards=False, limit=10, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=5,
    )
    assert beyond.chunk == [] and beyond.end_depth is None


def test_filters_skip_events_but_not_pages() -> None:
    by_b = EventFilter(senders=(B,), types=("m.room.message",))
    page = paginate(
        ROOM, from_depth=8, backwards=True, limit=1, event_filter=by_b, visible_depth=8
    )
    assert depths(page.chunk) == [7] and page.end_depth == 6
    rest = paginate(
        ROOM, from_depth=6, backwards=True, limit=5, event_filter=by_b, visible_depth=8
    )
    assert depths(rest.chunk) == [5] and rest.end_depth is None
    elsewhere = paginate(
        ROOM, from_depth=8, backwards=True, limit=5, event_filter=EventFilter(rooms=("!x:x",)),
        visible_depth=8,
    )
    assert elsewhere.chunk == [] and elsewhere.end_depth is None


def test_limit_zero_returns_nothing_but_keeps_the_place() -> None:
    page = paginate(
        ROOM, from_depth=8, backwards=True, limit=0, event_filter=EMPTY_EVENT_FILTER,
        visible_depth=8,
    )
    assert page.chunk == [] and page.end_depth == 8
