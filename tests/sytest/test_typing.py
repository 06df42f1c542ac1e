"""SyTest tests/31sync/11typing.pl, re-expressed: typing in initial, incremental and
gapped syncs."""

from __future__ import annotations

from typing import Any

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

ONLY_TYPING = {
    "room": {
        "timeline": {"types": []},
        "state": {"types": []},
        "ephemeral": {"types": ["m.typing"]},
    },
    "presence": {"types": []},
}


def assert_only_typing(body: dict[str, Any], room_id: str, user: Account) -> None:
    events = body["rooms"]["join"][room_id]["ephemeral"]["events"]
    assert len(events) == 1, "Expected one typing event"
    [typing] = events
    assert typing["type"] == "m.typing"
    assert "room_id" not in typing, "Did not expect a room_id"
    assert typing["content"]["user_ids"] == [user.user_id]


async def test_typing_events_appear_in_initial_sync(alice: Account) -> None:
    """11typing.pl, "Typing events appear in initial sync"."""
    filter_id = await alice.upload_filter(ONLY_TYPING)
    room_id = await create_room_synced(alice)
    await alice.typing(room_id, True, 30000)
    await send_synced(alice, room_id, "synced")
    assert_only_typing(await matrix_sync(alice, filter=filter_id), room_id, alice)


async def test_typing_events_appear_in_incremental_sync(alice: Account) -> None:
    """11typing.pl, "Typing events appear in incremental sync"."""
    filter_id = await alice.upload_filter(ONLY_TYPING)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    await alice.typing(room_id, True, 30000)
    await send_synced(alice, room_id, "synced")
    assert_only_typing(await matrix_sync_again(alice, filter=filter_id), room_id, alice)


async def test_typing_events_appear_in_gapped_sync(alice: Account) -> None:
    """11typing.pl, "Typing events appear in gapped sync"."""
    filter_id = await alice.upload_filter(ONLY_TYPING)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    await alice.typing(room_id, True, 30000)
    await fillers_synced(alice, room_id, 20)
    assert_only_typing(await matrix_sync_again(alice, filter=filter_id), room_id, alice)
