"""SyTest tests/31sync/12receipts.pl, re-expressed: read receipts in v2 /sync."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.support import Account
from tests.sytest.sync31 import (
    create_room_synced,
    do_and_wait_for_sync,
    joined,
    matrix_sync,
    matrix_sync_again,
    send_synced,
)

pytestmark = pytest.mark.anyio

ONLY_RECEIPTS = {
    "presence": {"types": []},
    "room": {
        "state": {"types": []},
        "timeline": {"types": []},
        "ephemeral": {"types": ["m.receipt"]},
    },
}


def has_receipt(body: dict[str, Any], room_id: str, event_id: str, user: Account) -> bool:
    """``matrix_advance_room_receipt_synced``'s check."""
    room = joined(body, room_id) or {}
    return any(
        e["type"] == "m.receipt" and user.user_id in e["content"].get(event_id, {}).get("m.read", {})
        for e in room.get("ephemeral", {}).get("events", [])
    )


async def advance_receipt_synced(user: Account, room_id: str, event_id: str) -> None:
    """``matrix_advance_room_receipt_synced`` for ``m.read``."""
    path = f"/rooms/{room_id}/receipt/m.read/{quote(event_id, safe='')}"
    await do_and_wait_for_sync(
        user,
        user.call("POST", path, json={}),
        lambda body, _: has_receipt(body, room_id, event_id, user),
    )


def assert_one_receipt(body: dict[str, Any], room_id: str, event_id: str, user: Account) -> None:
    ephemeral = body["rooms"]["join"][room_id]["ephemeral"]["events"]
    assert len(ephemeral) == 1, "Expected a m.receipt event"
    [receipt] = ephemeral
    assert receipt["type"] == "m.receipt"
    assert user.user_id in receipt["content"][event_id]["m.read"]


async def test_read_receipts_appear_in_initial_v2_sync(alice: Account) -> None:
    """12receipts.pl, "Read receipts appear in initial v2 /sync"."""
    filter_id = await alice.upload_filter(ONLY_RECEIPTS)
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "hello")
    await advance_receipt_synced(alice, room_id, event_id)
    assert_one_receipt(await matrix_sync(alice, filter=filter_id), room_id, event_id, alice)


async def test_new_read_receipts_appear_in_incremental_v2_sync(alice: Account) -> None:
    """12receipts.pl, "New read receipts appear in incremental v2 /sync"."""
    filter_id = await alice.upload_filter(ONLY_RECEIPTS)
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "hello")
    await matrix_sync(alice, filter=filter_id)
    await advance_receipt_synced(alice, room_id, event_id)
    assert_one_receipt(await matrix_sync_again(alice, filter=filter_id), room_id, event_id, alice)
