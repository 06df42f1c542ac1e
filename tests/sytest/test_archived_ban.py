"""SyTest tests/31sync/10archived-ban.pl, re-expressed: rooms one is banned from in the
``leave`` section."""

from __future__ import annotations

import pytest

from tests.support import Account
from tests.sytest.sync31 import create_room_synced, fillers_synced, matrix_sync, matrix_sync_again

pytestmark = pytest.mark.anyio

INCLUDE_LEAVE = {"room": {"include_leave": True}}


async def ban(banner: Account, room_id: str, bannee: Account) -> None:
    """``ban_user_synced``'s request: ``/ban`` with a reason."""
    await banner.call(
        "POST", f"/rooms/{room_id}/ban", json={"user_id": bannee.user_id, "reason": "testing"}
    )


async def joined_room(user_a: Account, user_b: Account) -> tuple[str, str]:
    await user_a.upload_filter(INCLUDE_LEAVE)
    filter_b = await user_b.upload_filter(INCLUDE_LEAVE)
    room_id = await create_room_synced(user_a)
    await user_b.join(room_id)
    return filter_b, room_id


async def test_banned_rooms_appear_in_the_leave_section_of_sync(alice: Account, bob: Account) -> None:
    """10archived-ban.pl, "Banned rooms appear in the leave section of sync"."""
    filter_b, room_id = await joined_room(alice, bob)
    await ban(alice, room_id, bob)
    room = (await matrix_sync(bob, filter=filter_b))["rooms"]["leave"][room_id]
    assert {"timeline", "state"} <= room.keys()


async def test_newly_banned_rooms_appear_in_the_leave_section_of_incremental_sync(
    alice: Account, bob: Account
) -> None:
    """10archived-ban.pl, "Newly banned rooms appear in the leave section of incremental
    sync" (the first of the two tests of that name)."""
    filter_b, room_id = await joined_room(alice, bob)
    await matrix_sync(bob, filter=filter_b)
    await ban(alice, room_id, bob)
    assert "timeline" in (await matrix_sync_again(bob, filter=filter_b))["rooms"]["leave"][room_id]


async def test_newly_banned_rooms_appear_in_the_leave_section_of_a_gapped_incremental_sync(
    alice: Account, bob: Account
) -> None:
    """10archived-ban.pl, "Newly banned rooms appear in the leave section of incremental
    sync" (the second test of that name: 20 fillers after the ban make a gap)."""
    filter_b, room_id = await joined_room(alice, bob)
    await matrix_sync(bob, filter=filter_b)
    await ban(alice, room_id, bob)
    await fillers_synced(alice, room_id, 20)
    assert "state" in (await matrix_sync_again(bob, filter=filter_b))["rooms"]["leave"][room_id]
