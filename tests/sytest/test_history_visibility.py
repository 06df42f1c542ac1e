"""History visibility: SyTest tests/31sync/06state.pl's "Current state appears in timeline
in private history" tests, re-expressed, and the spec's four settings through /sync,
/messages, /context and /event."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support import Account, assert_error, register
from tests.sytest.sync31 import matrix_sync_again

pytestmark = pytest.mark.anyio


@pytest.fixture
async def users(client: httpx.AsyncClient) -> list[Account]:
    return [await register(client, name) for name in ("creator", "syncer", "invitee")]


async def set_visibility(account: Account, room_id: str, value: str) -> None:
    await account.put_state(room_id, "m.room.history_visibility", {"history_visibility": value})


def has_join(body: dict[str, Any], room_id: str, user_id: str) -> bool:
    events = body["rooms"]["join"][room_id]["timeline"]["events"]
    return any(
        e["type"] == "m.room.member"
        and e["state_key"] == user_id
        and e["content"]["membership"] == "join"
        for e in events
    )


@pytest.mark.parametrize("before, after", [(0, 0), (50, 0), (0, 50)])
async def test_current_state_appears_in_timeline_in_private_history(
    users: list[Account], before: int, after: int
) -> None:
    """06state.pl: "... in private history", "... with many messages before" and
    "... with many messages after" (SyTest sends 50)."""
    creator, syncer, invitee = users
    room_id = await creator.create_room(preset="public_chat")
    await syncer.join(room_id)
    await set_visibility(creator, room_id, "joined")
    await creator.invite(room_id, invitee.user_id)
    await matrix_sync_again(syncer)
    for n in range(before):
        await creator.send(room_id, f"Message {n}")
    await syncer.leave(room_id)
    await invitee.join(room_id)
    for n in range(after):
        await creator.send(room_id, f"Message {n}")
    await syncer.join(room_id)
    assert has_join(await matrix_sync_again(syncer), room_id, invitee.user_id)


async def room_with_history(users: list[Account], visibility: str) -> tuple[str, dict[str, str]]:
    """Messages before the invite, between invite and join, after the join."""
    creator, syncer, _ = users
    room_id = await creator.create_room(preset="private_chat")
    await set_visibility(creator, room_id, visibility)
    ids = {"before": await creator.send(room_id, "before the invite")}
    await creator.invite(room_id, syncer.user_id)
    ids["invited"] = await creator.send(room_id, "while invited")
    await syncer.join(room_id)
    ids["joined"] = await creator.send(room_id, "after the join")
    return room_id, ids


EXPECTED = {
    "world_readable": {"before", "invited", "joined"},
    "shared": {"before", "invited", "joined"},
    "invited": {"invited", "joined"},
    "joined": {"joined"},
}


@pytest.mark.parametrize("visibility", list(EXPECTED))
async def test_each_setting_through_messages_sync_event_and_context(
    users: list[Account], visibility: str
) -> None:
    _, syncer, _ = users
    room_id, ids = await room_with_history(users, visibility)
    seen = EXPECTED[visibility]
    page = await syncer.messages(room_id, dir="b", limit=100)
    bodies = {e["event_id"] for e in page["chunk"]}
    assert {name for name, event_id in ids.items() if event_id in bodies} == seen
    timeline = (await syncer.sync())["rooms"]["join"][room_id]["timeline"]["events"]
    in_timeline = {e["event_id"] for e in timeline}
    assert {name for name, event_id in ids.items() if event_id in in_timeline} == seen
    for name, event_id in ids.items():
        event = await syncer.client.get(
            f"/_matrix/client/v3/rooms/{room_id}/event/{event_id}", headers=syncer.headers
        )
        context = await syncer.client.get(
            f"/_matrix/client/v3/rooms/{room_id}/context/{event_id}", headers=syncer.headers
        )
        if name in seen:
            assert event.status_code == 200 and context.status_code == 200, name
        else:
            assert_error(event, 404, "M_NOT_FOUND")
            assert_error(context, 404, "M_NOT_FOUND")


async def test_a_window_of_hidden_history_is_walked_past(users: list[Account]) -> None:
    """With ``joined``, the sync timeline fills its limit with events the user may see."""
    creator, syncer, _ = users
    room_id = await creator.create_room(preset="public_chat")
    await set_visibility(creator, room_id, "joined")
    await syncer.join(room_id)
    seen = [await creator.send(room_id, f"seen {n}") for n in range(3)]
    await syncer.leave(room_id)
    for n in range(20):
        await creator.send(room_id, f"hidden {n}")
    await syncer.join(room_id)
    limited = {"room": {"timeline": {"limit": 4, "types": ["m.room.message"]}}}
    body = await syncer.sync(filter=json.dumps(limited))
    assert [e["event_id"] for e in body["rooms"]["join"][room_id]["timeline"]["events"]] == seen
