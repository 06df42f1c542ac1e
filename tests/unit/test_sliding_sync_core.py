"""The pure core of sliding sync: request parsing, required_state, positions, room lists."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.core.errors import MatrixError
from mockserver.core.sliding_sync.compute import compute_sliding_sync
from mockserver.core.sliding_sync.connections import (
    KEPT,
    ConnectionKey,
    Connections,
    ConnectionState,
    Position,
)
from mockserver.core.sliding_sync.request import (
    EVERYTHING,
    ListConfig,
    RequiredState,
    RoomConfig,
    parse_request,
)
from mockserver.core.sliding_sync.room_list import RoomFacts, listed_rooms, room_list
from mockserver.core.store import CreateRoom, Store
from mockserver.core.tokens import StreamToken

ME = "@me:localhost"


def required(*pairs: tuple[str, str]) -> RequiredState:
    return RequiredState(frozenset(pairs))


@pytest.mark.parametrize(
    ("pairs", "entry", "expected"),
    [
        ((("m.room.name", ""),), ("m.room.name", ""), True),
        ((("m.room.name", ""),), ("m.room.topic", ""), False),
        ((("*", "*"),), ("m.room.topic", ""), True),
        ((("m.room.member", "*"),), ("m.room.member", "@x:localhost"), True),
        ((("*", ""),), ("m.room.topic", ""), True),
        ((("*", ""),), ("m.room.member", ME), False),
        ((("m.room.member", "$ME"),), ("m.room.member", ME), True),
        ((("m.room.member", "$ME"),), ("m.room.member", "@x:localhost"), False),
        ((("m.room.member", "$LAZY"),), ("m.room.member", "@x:localhost"), False),
        ((), ("m.room.name", ""), False),
    ],
)
def test_required_state_matches(
    pairs: tuple[tuple[str, str], ...], entry: tuple[str, str], expected: bool
) -> None:
    assert required(*pairs).matches(entry, ME) is expected


def test_room_configs_merge_to_the_widest() -> None:
    a = RoomConfig(1, required(("m.room.name", "")))
    b = RoomConfig(5, required(("m.room.member", "$LAZY")))
    merged = a.merge(b)
    assert merged.timeline_limit == 5
    assert merged.required_state.pairs == {("m.room.name", ""), ("m.room.member", "$LAZY")}
    assert merged.required_state.lazy_members


def test_a_full_request_parses_into_values() -> None:
    request = parse_request(
        {
            "conn_id": "room-list",
            "lists": {
                "all": {
                    "ranges": [[0, 19], [40, 59]],
                    "timeline_limit": 1,
                    "required_state": [["m.room.name", ""]],
                    "filters": {"is_dm": False, "room_types": [None, "m.space"]},
                }
            },
            "room_subscriptions": {"!r:localhost": {"timeline_limit": 20, "required_state": []}},
            "unsubscribe_rooms": ["!old:localhost"],
            "extensions": {
                "to_device": {"enabled": True, "since": "12", "limit": 5},
                "e2ee": {"enabled": True},
                "receipts": {"enabled": True, "rooms": ["!r:localhost"]},
                "unknown": {"enabled": True},
            },
            "txn_id": "ignored",
        }
    )
    listed = request.lists["all"]
    assert listed.ranges == ((0, 19), (40, 59))
    assert listed.filters.is_dm is False and listed.filters.room_types == (None, "m.space")
    assert request.room_subscriptions["!r:localhost"].timeline_limit == 20
    assert request.unsubscribe_rooms == {"!old:localhost"}
    assert request.extensions.to_device.since == 12 and request.extensions.to_device.limit == 5
    assert request.extensions.e2ee
    assert request.extensions.receipts.rooms == ("!r:localhost",)
    assert request.extensions.receipts.lists == EVERYTHING
    assert not request.extensions.typing.enabled


@pytest.mark.parametrize(
    "body",
    [
        {"lists": {"a": {"timeline_limit": 1}}},
        {"lists": {"a": {"required_state": []}}},
        {"lists": {"a": {"timeline_limit": True, "required_state": []}}},
        {"lists": {"a": {"timeline_limit": -1, "required_state": []}}},
        {"lists": {"a": {"timeline_limit": 1, "required_state": [["a", 1]]}}},
        {"lists": {"a": {"timeline_limit": 1, "required_state": [], "ranges": [[0]]}}},
        {"lists": {"a": {"timeline_limit": 1, "required_state": [], "ranges": [[-1, 2]]}}},
        {"lists": {"a": {"timeline_limit": 1, "required_state": [], "filters": {"is_dm": 1}}}},
        {"lists": {"x" * 65: {"timeline_limit": 1, "required_state": []}}},
        {"lists": {str(n): {"timeline_limit": 1, "required_state": []} for n in range(101)}},
        {"unsubscribe_rooms": "!r:localhost"},
        {"extensions": {"to_device": {"limit": "5"}}},
        {"extensions": []},
    ],
)
def test_bad_requests_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(MatrixError) as refused:
        parse_request(body)
    assert refused.value.status == 400


# -- positions -------------------------------------------------------------------------------


def test_positions_round_trip_and_refuse_garbage() -> None:
    position = Position(7, StreamToken(3, 1, 0, 2, 0, 1))
    assert Position.parse(position.format()) == position
    for garbage in ("", "7", "0/s1_0_0", "x/s1_0_0", "7/t1-1_0_0"):
        with pytest.raises(MatrixError) as refused:
            Position.parse(garbage)
        assert refused.value.errcode == "M_UNKNOWN"


def test_a_connection_keeps_the_position_built_on_and_newer_ones() -> None:
    connections = Connections()
    key = ConnectionKey("@a:localhost", "D", "c")
    state = ConnectionState()
    first = connections.record(key, None, state)
    second = connections.record(key, first, state)
    assert connections.state_at(key, first) is state
    third = connections.record(key, second, state)
    with pytest.raises(MatrixError) as forgotten:
        connections.state_at(key, first)
    assert forgotten.value.errcode == "M_UNKNOWN_POS"
    # Abandoned long-polls on the same position: at most KEPT are kept.
    for _ in range(KEPT + 2):
        connections.record(key, third, state)
    assert len(connections) == KEPT
    other = ConnectionKey("@a:localhost", "D", "other")
    with pytest.raises(MatrixError):
        connections.state_at(other, third)
    connections.record(key, None, state)
    assert len(connections) == 1  # a restarted connection forgets its old positions


def test_forgetting_a_device_or_everything() -> None:
    connections = Connections()
    mine, theirs = ConnectionKey("@a:localhost", "D", ""), ConnectionKey("@a:localhost", "E", "")
    kept = connections.record(theirs, None, ConnectionState())
    connections.record(mine, None, ConnectionState())
    connections.forget_device("@a:localhost", "D")
    assert connections.state_at(theirs, kept) is not None and len(connections) == 1
    connections.forget_all()
    assert len(connections) == 0
    assert connections.record(mine, None, ConnectionState()).startswith("3/")


# -- room lists ------------------------------------------------------------------------------


def test_rooms_are_listed_by_recency_and_windowed() -> None:
    store = Store()
    store.create_user(ME, "pw")
    rooms = [store.create_room(ME, CreateRoom(name=f"r{n}")) for n in range(4)]
    store.send_event(ME, rooms[0], "m.room.message", {"body": "newest", "msgtype": "m.text"})
    store.send_event(ME, rooms[3], "m.room.topic", {"topic": "state does not bump"}, state_key="")
    listed = listed_rooms(store, ME, None)
    assert [entry.room_id for entry in listed] == [rooms[0], rooms[3], rooms[2], rooms[1]]
    config = ListConfig(((1, 2),), RoomConfig(1, RequiredState()))
    found = room_list(config, listed, RoomFacts(store, ME))
    assert found.count == 4
    assert found.window_ids() == (rooms[3], rooms[2])
    assert found.ranges == (((1, 2), (rooms[3], rooms[2])),)


# -- any body: a Matrix error or an answer, never an exception -------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 1200) | st.sampled_from(
        ["*", "$LAZY", "$ME", "m.room.member", "m.room.name", "", "!r:localhost", "all", "12"]
    ),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(
            [
                "lists", "all", "ranges", "timeline_limit", "required_state", "filters",
                "is_dm", "is_invite", "room_types", "spaces", "room_subscriptions",
                "!r:localhost", "unsubscribe_rooms", "extensions", "to_device", "e2ee",
                "typing", "receipts", "account_data", "enabled", "since", "limit", "rooms",
                "conn_id",
            ]
        ),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(
        st.sampled_from(["lists", "room_subscriptions", "unsubscribe_rooms", "extensions", "conn_id"]),
        _JSON,
        max_size=4,
    )
)
def test_any_body_is_refused_cleanly_or_answered(body: dict[str, Any]) -> None:
    store = Store()
    store.create_user(ME, "pw")
    store.create_room(ME, CreateRoom(name="r"))
    try:
        request = parse_request(body)
    except MatrixError as refused:
        assert refused.status == 400
        return
    first = compute_sliding_sync(store, ME, "D", request, None)
    compute_sliding_sync(store, ME, "D", request, first.state)
