"""SyTest tests/31sync 03joined.pl, 04timeline.pl, 06state.pl and 13filtered_sync.pl tests,
re-expressed: newly joined rooms, quiet rooms, JSON filters and the v1 messages API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support import Account, register

pytestmark = pytest.mark.anyio


async def again(account: Account, **params: Any) -> dict[str, Any]:
    """``matrix_sync`` the first time, ``matrix_sync_again`` after."""
    body = await account.sync(since=account.next_batch, **params)
    account.next_batch = body["next_batch"]
    return body


@pytest.fixture
async def user_a(client: httpx.AsyncClient) -> Account:
    return await register(client, "usera")


@pytest.fixture
async def user_b(client: httpx.AsyncClient) -> Account:
    return await register(client, "userb")


# -- 03joined.pl ---------------------------------------------------------------------------


async def test_newly_joined_room_has_correct_timeline_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    only_messages = {
        "room": {"timeline": {"types": ["m.room.message"], "limit": 10}, "state": {"types": []}}
    }
    filter_b = await user_b.upload_filter(only_messages)
    room_id = await user_a.create_room(preset="public_chat")
    for n in range(4):
        await user_a.send(room_id, f"test1-{n}")
    await again(user_b, filter=filter_b)
    for n in range(4):
        await user_a.send(room_id, f"test2-{n}")
    await user_b.join(room_id)
    body = await again(user_b, filter=filter_b)
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
    await again(user_b, filter=filter_b)
    for n in range(5):
        await user_a.send(room_id, f"test-{n}")
    await user_b.join(room_id)
    timeline = (await again(user_b, filter=filter_b))["rooms"]["join"][room_id]["timeline"]
    assert [e["content"]["body"] for e in timeline["events"]] == ["test-2", "test-3", "test-4"]
    assert timeline["limited"] is True


async def test_newly_joined_room_includes_presence_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    room_id = await user_a.create_room(preset="public_chat")
    await again(user_a)  # user A comes online, as SyTest's fixtures do by syncing
    await again(user_b)
    await user_b.join(room_id)
    body = await again(user_b)
    others = [e for e in body["presence"]["events"] if e["sender"] != user_b.user_id]
    assert [(e["type"], e["sender"]) for e in others] == [("m.presence", user_a.user_id)]
    body = await again(user_b)
    assert body.get("presence", {}).get("events", []) == []


async def test_get_presence_for_newly_joined_members_in_incremental_sync(
    user_a: Account, user_b: Account
) -> None:
    room_id = await user_a.create_room(preset="public_chat")
    await again(user_b)  # user B comes online
    await again(user_a)
    await user_a.send(room_id, "Wait for presence changes caused by the first sync")
    await again(user_a)
    await user_b.join(room_id)
    body = await again(user_a)
    others = [e for e in body["presence"]["events"] if e["sender"] != user_a.user_id]
    assert [(e["type"], e["sender"]) for e in others] == [("m.presence", user_b.user_id)]
    body = await again(user_a)
    assert body.get("presence", {}).get("events", []) == []


# -- 06state.pl ------------------------------------------------------------------------------


async def test_a_change_to_displayname_should_not_result_in_a_full_state_sync(user_a: Account) -> None:
    quiet = {
        "room": {
            "timeline": {"types": []},
            "state": {"types": ["a.madeup.test.state"]},
            "ephemeral": {"types": []},
        },
        "presence": {"types": []},
    }
    filter_id = await user_a.upload_filter(quiet)
    room_id = await user_a.create_room()
    await user_a.put_state(room_id, "a.madeup.test.state", {"my_key": 1})
    body = await again(user_a, filter=filter_id)
    assert len(body["rooms"]["join"][room_id]["state"]["events"]) == 1
    await user_a.put_state(
        room_id, "m.room.member", {"membership": "join", "displayname": "boris"}, user_a.user_id
    )
    await user_a.send(room_id, "A message to wait on")
    body = await again(user_a, filter=filter_id)
    assert body["rooms"]["join"] == {}


# -- 13filtered_sync.pl ----------------------------------------------------------------------


async def test_can_pass_a_json_filter_as_a_query_parameter(user_a: Account) -> None:
    room_id = await user_a.create_room()
    inline = {"room": {"state": {"types": ["m.room.member"]}, "timeline": {"limit": 0}}}
    room = (await user_a.sync(filter=json.dumps(inline)))["rooms"]["join"][room_id]
    assert room.get("timeline", {}).get("events", []) == []
    assert [e["type"] for e in room["state"]["events"]] == ["m.room.member"]


# -- 04timeline.pl ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/_matrix/client/api/v1", "/_matrix/client/v3"])
async def test_a_next_batch_token_can_be_used_in_the_v1_messages_api(
    user_a: Account, prefix: str
) -> None:
    filter_id = await user_a.upload_filter({"room": {"timeline": {"limit": 1}}})
    room_id = await user_a.create_room()
    first = await user_a.send(room_id, "1")
    body = await user_a.sync(filter=filter_id)
    assert body["rooms"]["join"][room_id]["timeline"]["events"][0]["event_id"] == first
    second = await user_a.send(room_id, "2")
    page = await user_a.call(
        "GET",
        f"/rooms/{room_id}/messages",
        params={"from": body["next_batch"], "dir": "f"},
        prefix=prefix,
    )
    assert {"chunk", "start", "end"} <= page.keys()
    assert [e["event_id"] for e in page["chunk"]] == [second]
    assert page["chunk"][0]["content"]["body"] == "2"
