"""SyTest tests/31sync/13filtered_sync.pl, re-expressed: an inline JSON filter, and the
federation event format."""

from __future__ import annotations

import json

import pytest

from tests.support import Account
from tests.sytest.sync31 import create_room_synced, matrix_sync, send_synced

pytestmark = pytest.mark.anyio


async def test_can_pass_a_json_filter_as_a_query_parameter(alice: Account) -> None:
    """13filtered_sync.pl, "Can pass a JSON filter as a query parameter"."""
    room_id = await create_room_synced(alice)
    inline = {"room": {"state": {"types": ["m.room.member"]}, "timeline": {"limit": 0}}}
    room = (await matrix_sync(alice, filter=json.dumps(inline)))["rooms"]["join"][room_id]
    assert room.get("timeline", {}).get("events", []) == []
    assert [e["type"] for e in room["state"]["events"]] == ["m.room.member"]


async def test_can_request_federation_format_via_the_filter(alice: Account) -> None:
    """13filtered_sync.pl, "Can request federation format via the filter"."""
    filter_id = await alice.upload_filter(
        {"event_format": "federation", "room": {"timeline": {"limit": 1}}}
    )
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "Test message")
    room = (await matrix_sync(alice, filter=filter_id))["rooms"]["join"][room_id]
    assert {"timeline", "state", "ephemeral"} <= room.keys()
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    [event] = room["timeline"]["events"]
    assert {
        "event_id",
        "content",
        "room_id",
        "sender",
        "origin_server_ts",
        "type",
        "prev_events",
        "auth_events",
        "depth",
        "hashes",
        "signatures",
    } <= event.keys()
    assert event["content"]["body"] == "Test message"
    assert event["event_id"] == event_id
