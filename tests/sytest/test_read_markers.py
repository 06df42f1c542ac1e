"""SyTest tests/31sync/14read-markers.pl, re-expressed: ``m.fully_read`` in the room's
account data in /sync."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import await_sync, create_room_synced, do_and_wait_for_sync, joined, send_synced

pytestmark = pytest.mark.anyio


def room_account_data(body: dict[str, Any], room_id: str) -> list[dict[str, Any]]:
    room = joined(body, room_id) or {}
    return room.get("account_data", {}).get("events", [])  # type: ignore[no-any-return]


async def advance_read_marker_synced(user: Account, room_id: str, event_id: str) -> None:
    """``matrix_advance_room_read_marker_synced``: the marker is set, and an incremental
    sync carries it in the room's account data."""
    await do_and_wait_for_sync(
        user,
        user.call("POST", f"/rooms/{room_id}/read_markers", json={"m.fully_read": event_id}),
        lambda body, _: any(
            e["type"] == "m.fully_read" and e["content"]["event_id"] == event_id
            for e in room_account_data(body, room_id)
        ),
    )


async def test_read_markers_appear_in_incremental_v2_sync(alice: Account) -> None:
    """14read-markers.pl, "Read markers appear in incremental v2 /sync"."""
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "hello")
    await advance_read_marker_synced(alice, room_id, event_id)


async def test_read_markers_appear_in_initial_v2_sync(alice: Account) -> None:
    """14read-markers.pl, "Read markers appear in initial v2 /sync": ``await_sync`` with no
    ``next_batch`` recorded is an initial sync."""
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "hello")
    await advance_read_marker_synced(alice, room_id, event_id)

    def one_marker(body: dict[str, Any]) -> bool:
        account_data = room_account_data(body, room_id)
        if len(account_data) != 1:
            return False
        [marker] = account_data
        assert marker["type"] == "m.fully_read"
        assert marker["content"]["event_id"] == event_id
        return True

    assert alice.next_batch is None
    assert await await_sync(alice, one_marker)


async def test_read_markers_can_be_updated(alice: Account) -> None:
    """14read-markers.pl, "Read markers can be updated"."""
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "hello")
    await advance_read_marker_synced(alice, room_id, event_id)
    event_id = await send_synced(alice, room_id, "hello2")
    await advance_read_marker_synced(alice, room_id, event_id)
