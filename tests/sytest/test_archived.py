"""SyTest tests/31sync/09archived.pl, re-expressed: left rooms in the ``leave`` section."""

from __future__ import annotations

import pytest

from tests.support import Account
from tests.sytest.sync31 import (
    create_room_synced,
    fillers_synced,
    matrix_sync,
    matrix_sync_again,
    send_synced,
)

pytestmark = pytest.mark.anyio

INCLUDE_LEAVE = {"room": {"include_leave": True}}
MADEUP = "a.madeup.test.state"


async def hide_history(account: Account, room_id: str) -> None:
    """``matrix_put_room_state_synced`` of history visibility ``joined``."""
    await account.put_state(room_id, "m.room.history_visibility", {"history_visibility": "joined"})


async def test_left_rooms_appear_in_the_leave_section_of_sync(alice: Account) -> None:
    """09archived.pl, "Left rooms appear in the leave section of sync"."""
    filter_id = await alice.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(alice)
    await alice.leave(room_id)
    room = (await matrix_sync(alice, filter=filter_id))["rooms"]["leave"][room_id]
    assert {"timeline", "state"} <= room.keys()


async def test_newly_left_rooms_appear_in_the_leave_section_of_incremental_sync(
    alice: Account,
) -> None:
    """09archived.pl, "Newly left rooms appear in the leave section of incremental sync"."""
    filter_id = await alice.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    await alice.leave(room_id)
    room = (await matrix_sync_again(alice, filter=filter_id))["rooms"]["leave"][room_id]
    assert "timeline" in room
    if "state" in room:
        assert room["state"]["events"] == [], "Expected no state events"


async def test_we_should_see_our_own_leave_event_even_if_history_visibility_is_restricted(
    alice: Account,
) -> None:
    """09archived.pl, "We should see our own leave event, even if history_visibility is
    restricted (SYN-662)"."""
    filter_id = await alice.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(alice)
    await hide_history(alice, room_id)
    await matrix_sync(alice, filter=filter_id)
    await alice.leave(room_id)
    room = (await matrix_sync_again(alice, filter=filter_id))["rooms"]["leave"][room_id]
    if "state" in room:
        assert room["state"]["events"] == [], "Expected no state events"
    [event] = room["timeline"]["events"]
    assert event["type"] == "m.room.member"
    assert event["content"]["membership"] == "leave"


async def test_we_should_see_our_own_leave_event_when_rejecting_an_invite(
    alice: Account, bob: Account
) -> None:
    """09archived.pl, "We should see our own leave event when rejecting an invite, even if
    history_visibility is restricted (riot-web/3462)"."""
    invitee, inviter = alice, bob
    filter_id = await invitee.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(inviter)
    await hide_history(inviter, room_id)
    await matrix_sync(invitee, filter=filter_id)
    await inviter.invite(room_id, invitee.user_id)
    assert room_id in (await matrix_sync_again(invitee, filter=filter_id))["rooms"]["invite"]
    await invitee.leave(room_id)
    assert room_id in (await matrix_sync_again(invitee, filter=filter_id))["rooms"]["leave"]


async def test_newly_left_rooms_appear_in_the_leave_section_of_gapped_sync(alice: Account) -> None:
    """09archived.pl, "Newly left rooms appear in the leave section of gapped sync" (SyTest
    builds a timeline-limit-1 filter but syncs with an empty one, ``{}``; so here)."""
    filter_id = await alice.upload_filter({})
    room_1 = await create_room_synced(alice)
    room_2 = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    await alice.leave(room_1)
    await fillers_synced(alice, room_2, 20)
    body = await matrix_sync_again(alice, filter=filter_id)
    assert "timeline" in body["rooms"]["leave"][room_1]


async def test_previously_left_rooms_dont_appear_in_the_leave_section_of_sync(
    alice: Account, bob: Account
) -> None:
    """09archived.pl, "Previously left rooms don't appear in the leave section of sync"."""
    filter_id = await alice.upload_filter(
        {"room": {"timeline": {"limit": 1}, "include_leave": True}}
    )
    room_1 = await create_room_synced(alice)
    room_2 = await create_room_synced(alice)
    await bob.join(room_1)
    await bob.join(room_2)
    await matrix_sync(alice, filter=filter_id)
    await alice.leave(room_1)
    await matrix_sync_again(alice, filter=filter_id)
    # SyTest's ``$_`` is undefined there: a member event with a null "filler".
    await bob.put_state(room_1, "m.room.member", {"filler": None, "membership": "join"}, bob.user_id)
    await fillers_synced(bob, room_2, 5)
    body = await matrix_sync_again(alice, filter=filter_id)
    assert body.get("rooms", {}).get("leave", {}) == {}, "Expected no rooms in 'leave' state"


async def test_left_rooms_appear_in_the_leave_section_of_full_state_sync(alice: Account) -> None:
    """09archived.pl, "Left rooms appear in the leave section of full state sync"."""
    filter_id = await alice.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    await alice.leave(room_id)
    body = await matrix_sync_again(alice, filter=filter_id, full_state="true")
    assert "timeline" in body["rooms"]["leave"][room_id]


async def test_archived_rooms_only_contain_history_from_before_the_user_left(
    alice: Account, bob: Account
) -> None:
    """09archived.pl, "Archived rooms only contain history from before the user left"."""
    user_a, user_b = alice, bob
    definition = {
        "room": {
            "timeline": {"types": ["m.room.message", MADEUP]},
            "state": {"types": [MADEUP]},
            "include_leave": True,
        }
    }
    await user_a.upload_filter(definition)
    filter_b = await user_b.upload_filter(definition)
    room_id = await create_room_synced(user_a)
    await user_b.join(room_id)
    next_b = (await matrix_sync(user_b, filter=filter_b))["next_batch"]
    await send_synced(user_a, room_id, "before")
    await user_a.put_state(room_id, MADEUP, {"my_key": "before"})
    await user_b.leave(room_id)
    await send_synced(user_a, room_id, "after")
    await user_a.put_state(room_id, MADEUP, {"my_key": "after"})
    for since in (None, next_b):
        body = await matrix_sync(user_b, filter=filter_b, since=since)
        room = body["rooms"]["leave"][room_id]
        assert room["state"]["events"] == [], "Expected no state events"
        events = room["timeline"]["events"]
        assert len(events) == 2, "Expected two timeline events"
        assert events[0]["content"]["body"] == "before", "Expected only events from before leaving"
