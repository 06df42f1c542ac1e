"""SyTest tests/31sync/13filtered_sync.pl, re-expressed: an inline JSON filter, and the
federation event format."""

from __future__ import annotations

import json

import pytest

from tests.support import Account
from tests.sytest.sync31 import create_room_synced, matrix_sync

pytestmark = pytest.mark.anyio


async def test_can_pass_a_json_filter_as_a_query_parameter(alice: Account) -> None:
    """13filtered_sync.pl, "Can pass a JSON filter as a query parameter"."""
    room_id = await create_room_synced(alice)
    inline = {"room": {"state": {"types": ["m.room.member"]}, "timeline": {"limit": 0}}}
    room = (await matrix_sync(alice, filter=json.dumps(inline)))["rooms"]["join"][room_id]
    assert room.get("timeline", {}).get("events", []) == []
    assert [e["type"] for e in room["state"]["events"]] == ["m.room.member"]

