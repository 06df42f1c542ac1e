"""SyTest tests/31sync/04timeline.pl, re-expressed: the timeline of initial, incremental
and full-state syncs, and its tokens in the v1 messages API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import (
    FILLER,
    create_room_synced,
    fillers_synced,
    matrix_sync,
    matrix_sync_again,
    send_synced,
)

pytestmark = pytest.mark.anyio

V1 = "/_matrix/client/api/v1"
V3 = "/_matrix/client/v3"
QUIET_STATE: dict[str, Any] = {"state": {"types": []}}


def timeline_of(body: dict[str, Any], room_id: str) -> dict[str, Any]:
    room = body["rooms"]["join"][room_id]
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    return room  # type: ignore[no-any-return]


def assert_no_state(room: dict[str, Any]) -> None:
    if "state" in room:
        assert room["state"]["events"] == []


async def get_room_messages(
    account: Account, room_id: str, prefix: str, **params: Any
) -> dict[str, Any]:
    """``matrix_get_room_messages``: a ``matrix_sync``, then ``/messages`` (``dir`` b unless
    told); SyTest calls it through v3, here through the old v1 path as well."""
    await matrix_sync(account)
    page: dict[str, Any] = await account.call(
        "GET", f"/rooms/{room_id}/messages", params={"dir": "b", **params}, prefix=prefix
    )
    assert {"chunk", "start", "end"} <= page.keys()
    return page


async def test_can_sync_a_room_with_a_single_message(alice: Account) -> None:
    """04timeline.pl, "Can sync a room with a single message"."""
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 2}}})
    room_id = await create_room_synced(alice)
    first = await send_synced(alice, room_id, "Test message 1")
    second = await send_synced(alice, room_id, "Test message 2")
    timeline = timeline_of(await matrix_sync(alice, filter=filter_id), room_id)["timeline"]
    events = timeline["events"]
    assert [(e["event_id"], e["content"]["body"]) for e in events] == [
        (first, "Test message 1"),
        (second, "Test message 2"),
    ]
    assert timeline["limited"] is True


async def test_can_sync_a_room_with_a_message_with_a_transaction_id(alice: Account) -> None:
    """04timeline.pl, "Can sync a room with a message with a transaction id"."""
    filter_id = await alice.upload_filter(
        {"room": {"timeline": {"limit": 1}, **QUIET_STATE}, "presence": {"types": []}}
    )
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "A test message", txn_id="my_transaction_id")
    timeline = timeline_of(await matrix_sync(alice, filter=filter_id), room_id)["timeline"]
    [event] = timeline["events"]
    assert event["event_id"] == event_id
    assert event["content"]["body"] == "A test message"
    assert event["unsigned"]["transaction_id"] == "my_transaction_id"
    assert timeline["limited"] is True


async def test_a_message_sent_after_an_initial_sync_appears_in_the_timeline_of_an_incremental_sync(
    alice: Account,
) -> None:
    """04timeline.pl, "A message sent after an initial sync appears in the timeline of an
    incremental sync."."""
    filter_id = await alice.upload_filter(
        {"room": {"timeline": {"limit": 1}, **QUIET_STATE}, "presence": {"types": []}}
    )
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    event_id = await send_synced(alice, room_id, "A test message", txn_id="my_transaction_id")
    room = timeline_of(await matrix_sync_again(alice, filter=filter_id), room_id)
    assert_no_state(room)
    [event] = room["timeline"]["events"]
    assert event["event_id"] == event_id
    assert event["content"]["body"] == "A test message"
    assert event["unsigned"]["transaction_id"] == "my_transaction_id"
    assert not room["timeline"]["limited"]


async def test_a_filtered_timeline_reaches_its_limit(alice: Account) -> None:
    """04timeline.pl, "A filtered timeline reaches its limit"."""
    filter_id = await alice.upload_filter(
        {
            "room": {"timeline": {"limit": 1, "types": ["m.room.message"]}, **QUIET_STATE},
            "account_data": {"types": []},
            "presence": {"types": []},
        }
    )
    room_id = await create_room_synced(alice)
    event_id = await send_synced(alice, room_id, "My message")
    await fillers_synced(alice, room_id, 12)
    room = timeline_of(await matrix_sync(alice, filter=filter_id), room_id)
    assert_no_state(room)
    [event] = room["timeline"]["events"]
    assert event["event_id"] == event_id
    assert event["content"]["body"] == "My message"
    assert not room["timeline"]["limited"]


async def test_syncing_a_new_room_with_a_large_timeline_limit_isnt_limited(alice: Account) -> None:
    """04timeline.pl, "Syncing a new room with a large timeline limit isn't limited"."""
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 100}}})
    room_id = await create_room_synced(alice)
    room = timeline_of(await matrix_sync(alice, filter=filter_id), room_id)
    assert_no_state(room)
    assert not room["timeline"]["limited"]


async def test_a_full_state_incremental_update_returns_only_recent_timeline(alice: Account) -> None:
    """04timeline.pl, "A full_state incremental update returns only recent timeline"."""
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 1}}})
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    for n in range(11):
        await alice.send(room_id, {"filler": n}, event_type=FILLER)
    await send_synced(alice, room_id, {"filler": 11}, event_type="another.filler.type")
    body = await matrix_sync_again(alice, filter=filter_id, full_state="true")
    [event] = body["rooms"]["join"][room_id]["timeline"]["events"]
    assert event["type"] == "another.filler.type"


@pytest.mark.parametrize("prefix", [V1, V3])
async def test_a_prev_batch_token_can_be_used_in_the_v1_messages_api(
    alice: Account, prefix: str
) -> None:
    """04timeline.pl, "A prev_batch token can be used in the v1 messages API"."""
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 1}}})
    room_id = await create_room_synced(alice)
    first = await send_synced(alice, room_id, "1")
    second = await send_synced(alice, room_id, "2")
    timeline = timeline_of(await matrix_sync(alice, filter=filter_id), room_id)["timeline"]
    assert [(e["event_id"], e["content"]["body"]) for e in timeline["events"]] == [(second, "2")]
    assert timeline["limited"] is True
    page = await get_room_messages(alice, room_id, prefix, **{"from": timeline["prev_batch"], "limit": 1})
    assert [(e["event_id"], e["content"]["body"]) for e in page["chunk"]] == [(first, "1")]


@pytest.mark.parametrize("prefix", [V1, V3])
async def test_a_prev_batch_token_from_incremental_sync_can_be_used_in_the_v1_messages_api(
    alice: Account, prefix: str
) -> None:
    """04timeline.pl, "A prev_batch token from incremental sync can be used in the v1
    messages API"."""
    room_id = await create_room_synced(alice)
    first = await send_synced(alice, room_id, "1")
    await matrix_sync(alice)
    second = await send_synced(alice, room_id, "2")
    timeline = timeline_of(await matrix_sync_again(alice), room_id)["timeline"]
    assert [e["event_id"] for e in timeline["events"]] == [second]
    page = await get_room_messages(alice, room_id, prefix, **{"from": timeline["prev_batch"], "limit": 1})
    assert [(e["event_id"], e["content"]["body"]) for e in page["chunk"]] == [(first, "1")]


@pytest.mark.parametrize("prefix", [V1, V3])
async def test_a_next_batch_token_can_be_used_in_the_v1_messages_api(
    alice: Account, prefix: str
) -> None:
    """04timeline.pl, "A next_batch token can be used in the v1 messages API" (and the
    same through v3)."""
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 1}}})
    room_id = await alice.create_room()
    first = await alice.send(room_id, "1")
    body = await alice.sync(filter=filter_id)
    assert body["rooms"]["join"][room_id]["timeline"]["events"][0]["event_id"] == first
    second = await alice.send(room_id, "2")
    page = await alice.call(
        "GET",
        f"/rooms/{room_id}/messages",
        params={"from": body["next_batch"], "dir": "f"},
        prefix=prefix,
    )
    assert {"chunk", "start", "end"} <= page.keys()
    assert [e["event_id"] for e in page["chunk"]] == [second]
    assert page["chunk"][0]["content"]["body"] == "2"
