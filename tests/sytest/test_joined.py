"""SyTest tests/31sync/03joined.pl, re-expressed: joined rooms in initial, full-state and
incremental syncs, and the timeline and presence a newly joined room brings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import create_room_synced, joined, matrix_sync, matrix_sync_again

pytestmark = pytest.mark.anyio

TIMELINE_10 = {"room": {"timeline": {"limit": 10}}}


def assert_empty_if_there(room: dict[str, Any], *sections: str) -> None:
    """``if (exists($room->{section})) { assert_json_empty_list(...events) }``."""
    for section in sections:
        if section in room:
            assert room[section]["events"] == [], (section, room[section])


async def test_can_sync_a_joined_room(user_a: Account) -> None:
    """03joined.pl, "Can sync a joined room"."""
    filter_id = await user_a.upload_filter(TIMELINE_10)
    room_id = await create_room_synced(user_a)
    room = (await matrix_sync(user_a, filter=filter_id))["rooms"]["join"][room_id]
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    assert_empty_if_there(room, "state", "ephemeral")
    body = await matrix_sync_again(user_a, filter=filter_id)
    assert joined(body, room_id) is None, "Unchanged rooms shouldn't be in the sync response"


async def test_full_state_sync_includes_joined_rooms(user_a: Account) -> None:
    """03joined.pl, "Full state sync includes joined rooms"."""
    filter_id = await user_a.upload_filter(TIMELINE_10)
    room_id = await create_room_synced(user_a)
    await matrix_sync(user_a, filter=filter_id)
    body = await matrix_sync_again(user_a, filter=filter_id, full_state="true")
    room = body["rooms"]["join"][room_id]
    assert "state" in room
    if "timeline" in room:
        assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    assert_empty_if_there(room, "ephemeral")


async def test_newly_joined_room_is_included_in_an_incremental_sync(user_a: Account) -> None:
    """03joined.pl, "Newly joined room is included in an incremental sync"."""
    filter_id = await user_a.upload_filter(TIMELINE_10)
    await matrix_sync(user_a, filter=filter_id)
    room_id = await create_room_synced(user_a)
    room = (await matrix_sync_again(user_a, filter=filter_id))["rooms"]["join"][room_id]
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    assert_empty_if_there(room, "state", "ephemeral")
    body = await matrix_sync_again(user_a, filter=filter_id)
    assert joined(body, room_id) is None, "Unchanged rooms shouldn't be in the sync response"


async def test_newly_joined_room_has_correct_timeline_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    """03joined.pl, "Newly joined room has correct timeline in incremental sync"."""
    only_messages = {
        "room": {"timeline": {"types": ["m.room.message"], "limit": 10}, "state": {"types": []}}
    }
    filter_b = await user_b.upload_filter(only_messages)
    room_id = await user_a.create_room(preset="public_chat")
    for n in range(4):
        await user_a.send(room_id, f"test1-{n}")
    await matrix_sync_again(user_b, filter=filter_b)
    for n in range(4):
        await user_a.send(room_id, f"test2-{n}")
    await user_b.join(room_id)
    body = await matrix_sync_again(user_b, filter=filter_b)
    timeline = body["rooms"]["join"][room_id]["timeline"]
    assert all(event["type"] == "m.room.message" for event in timeline["events"])
    # Eight messages before the join: ten fit, so the timeline holds them all, unlimited.
    assert len(timeline["events"]) == 8
    assert timeline["limited"] is False


async def test_newly_joined_room_is_limited_when_it_does_not_hold_the_history(
    user_a: Account, user_b: Account
) -> None:
    """The same test's other branch: more history than the limit."""
    filter_b = await user_b.upload_filter({"room": {"timeline": {"types": ["m.room.message"], "limit": 3}}})
    room_id = await user_a.create_room(preset="public_chat")
    await matrix_sync_again(user_b, filter=filter_b)
    for n in range(5):
        await user_a.send(room_id, f"test-{n}")
    await user_b.join(room_id)
    timeline = (await matrix_sync_again(user_b, filter=filter_b))["rooms"]["join"][room_id]["timeline"]
    assert [e["content"]["body"] for e in timeline["events"]] == ["test-2", "test-3", "test-4"]
    assert timeline["limited"] is True


async def test_newly_joined_room_includes_presence_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    """03joined.pl, "Newly joined room includes presence in incremental sync"."""
    room_id = await user_a.create_room(preset="public_chat")
    await matrix_sync_again(user_a)  # user A comes online, as SyTest's fixtures do by syncing
    await matrix_sync_again(user_b)
    await user_b.join(room_id)
    body = await matrix_sync_again(user_b)
    others = [e for e in body["presence"]["events"] if e["sender"] != user_b.user_id]
    assert [(e["type"], e["sender"]) for e in others] == [("m.presence", user_a.user_id)]
    body = await matrix_sync_again(user_b)
    assert body.get("presence", {}).get("events", []) == []


async def test_get_presence_for_newly_joined_members_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    """03joined.pl, "Get presence for newly joined members in incremental sync"."""
    room_id = await user_a.create_room(preset="public_chat")
    await matrix_sync_again(user_b)  # user B comes online
    await matrix_sync_again(user_a)
    await user_a.send(room_id, "Wait for presence changes caused by the first sync")
    await matrix_sync_again(user_a)
    await user_b.join(room_id)
    body = await matrix_sync_again(user_a)
    others = [e for e in body["presence"]["events"] if e["sender"] != user_a.user_id]
    assert [(e["type"], e["sender"]) for e in others] == [("m.presence", user_b.user_id)]
    body = await matrix_sync_again(user_a)
    assert body.get("presence", {}).get("events", []) == []
