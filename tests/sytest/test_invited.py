"""SyTest tests/31sync/07invited.pl, re-expressed: invites in initial and incremental syncs,
and the room once the invite is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import await_sync, create_room_synced, matrix_sync, matrix_sync_again

pytestmark = pytest.mark.anyio


def assert_invited_by(body: dict[str, Any], room_id: str, inviter: Account, invitee: Account) -> None:
    room = body["rooms"]["invite"][room_id]
    invite = next(
        e
        for e in room["invite_state"]["events"]
        if e["type"] == "m.room.member" and e["state_key"] == invitee.user_id
    )
    assert {"sender", "content", "state_key", "type"} <= invite.keys()
    assert invite["content"]["membership"] == "invite", "Expected an invite event"
    assert invite["sender"] == inviter.user_id, "Expected the invite to be from user A"


async def test_rooms_a_user_is_invited_to_appear_in_an_initial_sync(
    alice: Account, bob: Account
) -> None:
    """07invited.pl, "Rooms a user is invited to appear in an initial sync"."""
    await alice.upload_filter({})
    filter_b = await bob.upload_filter({})
    room_id = await create_room_synced(alice)
    await alice.invite(room_id, bob.user_id)
    assert_invited_by(await matrix_sync(bob, filter=filter_b), room_id, alice, bob)


async def test_rooms_a_user_is_invited_to_appear_in_an_incremental_sync(
    alice: Account, bob: Account
) -> None:
    """07invited.pl, "Rooms a user is invited to appear in an incremental sync"."""
    await alice.upload_filter({})
    filter_b = await bob.upload_filter({})
    await matrix_sync(bob, filter=filter_b)
    room_id = await create_room_synced(alice)
    await alice.invite(room_id, bob.user_id)
    assert_invited_by(await matrix_sync_again(bob, filter=filter_b), room_id, alice, bob)


async def test_newly_joined_room_is_included_in_an_incremental_sync_after_invite(
    alice: Account, bob: Account
) -> None:
    """07invited.pl, "Newly joined room is included in an incremental sync after invite"
    (matrix-org/synapse#4422)."""
    room_id = await alice.create_room(preset="public_chat")  # room_fixture
    await matrix_sync(bob)
    await alice.invite(room_id, bob.user_id)
    body = await matrix_sync_again(bob)
    assert "events" in body["rooms"]["invite"][room_id]["invite_state"]
    await bob.join(room_id)
    room = await await_sync(bob, lambda sync: sync.get("rooms", {}).get("join", {}).get(room_id))
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    for section in ("state", "ephemeral"):
        if section in room:
            assert room[section]["events"] == [], (section, room[section])
