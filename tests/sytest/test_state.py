"""SyTest tests/31sync/06state.pl, re-expressed: room state in the timeline or the state
section of initial, incremental, gapped and full-state syncs. (Its three "Current state
appears in timeline in private history" tests are in test_history_visibility.py.)

Two of its tests have the state sent by a user of a remote homeserver; mockserver is one
homeserver, so here that user is a second local one (see each test for what changes)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import (
    FILLER,
    create_room_synced,
    do_and_wait_for_sync,
    fillers_synced,
    matrix_sync,
    matrix_sync_again,
    send_synced,
)

pytestmark = pytest.mark.anyio

MADEUP = "a.madeup.test.state"
ONLY_MADEUP: dict[str, Any] = {
    "room": {
        "timeline": {"types": [MADEUP]},
        "state": {"types": [MADEUP]},
        "ephemeral": {"types": []},
    },
    "presence": {"types": []},
}
#: The gapped tests' filter: a timeline of one filler, the made-up state.
GAPPED: dict[str, Any] = {
    "room": {
        "timeline": {"types": [FILLER], "limit": 1},
        "state": {"types": [MADEUP]},
        "ephemeral": {"types": []},
    },
    "presence": {"types": []},
}
#: The join tests' filter: no timeline at all, the made-up state.
NO_TIMELINE: dict[str, Any] = {
    "room": {
        "timeline": {"types": []},
        "state": {"types": [MADEUP]},
        "ephemeral": {"types": []},
    },
    "presence": {"types": []},
}


def events_of(room: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """``$room->{section}{events} // []``."""
    return room.get(section, {}).get("events", [])  # type: ignore[no-any-return]


def assert_madeup(event: dict[str, Any], my_key: int) -> None:
    assert event["type"] == MADEUP, "Unexpected state event type"
    assert event["content"]["my_key"] == my_key, "Unexpected event content"


async def two_keys(account: Account, room_id: str) -> None:
    """The state ``this_state_changes`` and ``this_state_does_not_change``, both my_key 1."""
    await account.put_state(room_id, MADEUP, {"my_key": 1}, "this_state_changes")
    await account.put_state(room_id, MADEUP, {"my_key": 1}, "this_state_does_not_change")


async def invited_to_state(user_a: Account, user_b: Account, definition: dict[str, Any]) -> tuple[str, str]:
    """The join tests' setup: user A's room with the made-up state, user B invited."""
    await user_a.upload_filter(definition)
    filter_b = await user_b.upload_filter(definition)
    room_id = await create_room_synced(user_a)
    await user_a.put_state(room_id, MADEUP, {"my_key": 1})
    await user_a.invite(room_id, user_b.user_id)
    return filter_b, room_id


async def test_state_is_included_in_the_timeline_in_the_initial_sync(user_a: Account) -> None:
    """06state.pl, "State is included in the timeline in the initial sync"."""
    filter_id = await user_a.upload_filter(ONLY_MADEUP)
    room_id = await create_room_synced(user_a)
    await user_a.put_state(room_id, MADEUP, {"my_key": 1})
    room = (await matrix_sync(user_a, filter=filter_id))["rooms"]["join"][room_id]
    assert "timeline" in room
    assert events_of(room, "state") == [], "state from the timeline is not in the state"
    [event] = room["timeline"]["events"]
    assert_madeup(event, 1)


async def test_state_from_remote_users_is_included_in_the_state_in_the_initial_sync(
    user_a: Account, user_b: Account
) -> None:
    """06state.pl, "State from remote users is included in the state in the initial sync",
    with the other user local. Over federation the state that came before one's join
    arrives as outliers, so Synapse puts it in ``state`` and not the timeline; a local
    user's event is in the room's timeline, and Synapse (like mockserver) serves it there,
    which is what this test holds: the state event reaches the joiner's initial sync
    once, in the timeline, and is not repeated in ``state``."""
    user, other = user_a, user_b
    filter_id = await user.upload_filter(ONLY_MADEUP)
    room_id = await create_room_synced(other)
    await other.put_state(room_id, MADEUP, {"my_key": 1})
    await other.invite(room_id, user.user_id)
    await user.join(room_id)
    room = (await matrix_sync(user, filter=filter_id))["rooms"]["join"][room_id]
    assert events_of(room, "state") == []
    [event] = room["timeline"]["events"]
    assert_madeup(event, 1)
    assert event["sender"] == other.user_id


async def test_changes_to_state_are_included_in_an_incremental_sync(user_a: Account) -> None:
    """06state.pl, "Changes to state are included in an incremental sync"."""
    filter_id = await user_a.upload_filter(ONLY_MADEUP)
    room_id = await create_room_synced(user_a)
    await two_keys(user_a, room_id)
    await matrix_sync(user_a, filter=filter_id)
    await user_a.put_state(room_id, MADEUP, {"my_key": 2}, "this_state_changes")
    room = (await matrix_sync_again(user_a, filter=filter_id))["rooms"]["join"][room_id]
    [event] = room["timeline"]["events"]
    assert events_of(room, "state") == []
    assert_madeup(event, 2)


async def test_changes_to_state_are_included_in_an_gapped_incremental_sync(user_a: Account) -> None:
    """06state.pl, "Changes to state are included in an gapped incremental sync"."""
    filter_id = await user_a.upload_filter(GAPPED)
    room_id = await create_room_synced(user_a)
    await two_keys(user_a, room_id)
    body = await matrix_sync(user_a, filter=filter_id)
    assert len(body["rooms"]["join"][room_id]["state"]["events"]) == 2, "Expected two state events"
    await user_a.put_state(room_id, MADEUP, {"my_key": 2}, "this_state_changes")
    await fillers_synced(user_a, room_id, 20)
    room = (await matrix_sync_again(user_a, filter=filter_id))["rooms"]["join"][room_id]
    assert "timeline" in room
    [event] = room["state"]["events"]
    assert_madeup(event, 2)


async def test_state_from_remote_users_is_included_in_the_timeline_in_an_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    """06state.pl, "State from remote users is included in the timeline in an incremental
    sync", with the other user local (the same assertions hold)."""
    user, other = user_a, user_b
    filter_id = await user.upload_filter(ONLY_MADEUP)
    room_id = await create_room_synced(other)
    await other.invite(room_id, user.user_id)
    await user.join(room_id)
    await matrix_sync(user, filter=filter_id)

    def has_madeup(body: dict[str, Any], _: str) -> bool:
        room = body.get("rooms", {}).get("join", {}).get(room_id, {})
        return any(e["type"] == MADEUP for e in events_of(room, "timeline"))

    await do_and_wait_for_sync(user, other.put_state(room_id, MADEUP, {"my_key": 1}), has_madeup)
    room = (await matrix_sync_again(user, filter=filter_id))["rooms"]["join"][room_id]
    assert events_of(room, "state") == []
    [event] = room["timeline"]["events"]
    assert_madeup(event, 1)


async def test_a_full_state_incremental_update_returns_all_state(user_a: Account) -> None:
    """06state.pl, "A full_state incremental update returns all state"."""
    filter_id = await user_a.upload_filter(
        {"room": {"timeline": {"limit": 2}, "state": {"types": [MADEUP]}}}
    )
    room_id = await create_room_synced(user_a)
    await two_keys(user_a, room_id)
    room = (await matrix_sync(user_a, filter=filter_id))["rooms"]["join"][room_id]
    assert events_of(room, "state") == []
    assert len(room["timeline"]["events"]) == 2, "Expected two timeline events"
    await user_a.put_state(room_id, MADEUP, {"my_key": 2}, "this_state_changes")
    await fillers_synced(user_a, room_id, 10)
    body = await matrix_sync_again(user_a, filter=filter_id, full_state="true")
    room = body["rooms"]["join"][room_id]
    state = {e["state_key"]: e for e in room["state"]["events"]}
    assert len(room["state"]["events"]) == 2, "Expected two state events"
    assert state.keys() == {"this_state_does_not_change", "this_state_changes"}
    assert_madeup(state["this_state_does_not_change"], 1)
    assert_madeup(state["this_state_changes"], 2)
    assert [e["type"] for e in room["timeline"]["events"]] == [FILLER, FILLER]


async def test_when_user_joins_a_room_the_state_is_included_in_the_next_sync(
    user_a: Account, user_b: Account
) -> None:
    """06state.pl, "When user joins a room the state is included in the next sync"."""
    filter_b, room_id = await invited_to_state(user_a, user_b, NO_TIMELINE)
    await matrix_sync(user_b, filter=filter_b)
    await user_b.join(room_id)
    room = (await matrix_sync_again(user_b, filter=filter_b))["rooms"]["join"][room_id]
    [event] = room["state"]["events"]
    assert_madeup(event, 1)


async def test_a_change_to_displayname_should_not_result_in_a_full_state_sync(
    user_a: Account,
) -> None:
    """06state.pl, "A change to displayname should not result in a full state sync"."""
    filter_id = await user_a.upload_filter(NO_TIMELINE)
    room_id = await create_room_synced(user_a)
    await user_a.put_state(room_id, MADEUP, {"my_key": 1})
    body = await matrix_sync(user_a, filter=filter_id)
    assert len(body["rooms"]["join"][room_id]["state"]["events"]) == 1, "Expected one state event"
    await user_a.put_state(
        room_id, "m.room.member", {"membership": "join", "displayname": "boris"}, user_a.user_id
    )
    await send_synced(
        user_a, room_id, "A message to wait on because the m.room.member doesn't come down /sync"
    )
    body = await matrix_sync_again(user_a, filter=filter_id)
    # The member event is filtered out, and the made-up state is not sent again.
    assert body["rooms"]["join"] == {}, "Expected empty sync"


async def test_a_change_to_displayname_should_appear_in_incremental_sync(user_a: Account) -> None:
    """06state.pl, "A change to displayname should appear in incremental /sync"."""
    filter_id = await user_a.upload_filter({})
    room_id = await create_room_synced(user_a)
    await matrix_sync(user_a, filter=filter_id)
    member = await user_a.put_state(
        room_id, "m.room.member", {"membership": "join", "displayname": "boris"}, user_a.user_id
    )
    message = await send_synced(
        user_a, room_id, "A message to wait on because the m.room.member might not come down /sync"
    )
    body = await matrix_sync_again(user_a, filter=filter_id)
    timeline = body["rooms"]["join"][room_id]["timeline"]["events"]
    assert [e["event_id"] for e in timeline] == [member, message]


async def test_when_user_joins_a_room_the_state_is_included_in_a_gapped_sync(
    user_a: Account, user_b: Account
) -> None:
    """06state.pl, "When user joins a room the state is included in a gapped sync"."""
    filter_b, room_id = await invited_to_state(user_a, user_b, GAPPED)
    await matrix_sync(user_b, filter=filter_b)
    await user_b.join(room_id)
    await fillers_synced(user_a, room_id, 20)
    room = (await matrix_sync_again(user_b, filter=filter_b))["rooms"]["join"][room_id]
    assert "timeline" in room
    [event] = room["state"]["events"]
    assert_madeup(event, 1)


async def test_when_user_joins_and_leaves_a_room_in_the_same_batch_the_full_state_is_still_included(
    user_a: Account, user_b: Account
) -> None:
    """06state.pl, "When user joins and leaves a room in the same batch, the full state is
    still included in the next sync"."""
    definition = {"room": {**NO_TIMELINE["room"], "include_leave": True}, "presence": {"types": []}}
    filter_b, room_id = await invited_to_state(user_a, user_b, definition)
    await matrix_sync(user_b, filter=filter_b)
    await user_b.join(room_id)
    await user_b.leave(room_id)
    room = (await matrix_sync_again(user_b, filter=filter_b))["rooms"]["leave"][room_id]
    [event] = room["state"]["events"]
    assert_madeup(event, 1)
