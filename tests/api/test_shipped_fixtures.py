"""Each scenario shipped in ``fixtures/`` serves what its description promises.

(``seed_example.json`` and ``limited_timeline.json`` are checked in
``test_scenarios.py``: the golden response and the /messages walk.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mockserver.homeserver import Homeserver
from tests.scenario_docs import FIXTURES, client_for, frozen_homeserver
from tests.support import Account

INCLUDE_LEAVE = '{"room": {"include_leave": true}}'


def _bodies(events: list[dict[str, Any]]) -> list[str]:
    return [e["content"]["body"] for e in events if e["type"] == "m.room.message"]


@asynccontextmanager
async def scenario(name: str) -> AsyncIterator[tuple[Homeserver, Account]]:
    """A fresh server (clock frozen) with ``fixtures/<name>`` loaded, and alice's account."""
    hs = frozen_homeserver()
    hs.load_fixture_file(FIXTURES / name)
    async with client_for(hs) as client:
        yield hs, Account(client, "@alice:localhost", "alice_token", "")


# -- demo.json ----------------------------------------------------------------------------


async def test_demo_gives_alice_a_busy_room_a_direct_chat_an_invite_and_a_past() -> None:
    async with scenario("demo.json") as (world, alice):
        sync = await alice.sync()
        rooms = sync["rooms"]
        assert set(rooms["join"]) == {"!lobby:localhost", "!direct:localhost"}
        assert set(rooms["invite"]) == {"!bookclub:localhost"}
        assert rooms["leave"] == {}
        lobby = rooms["join"]["!lobby:localhost"]
        assert lobby["timeline"]["limited"] is True
        assert _bodies(lobby["timeline"]["events"])[-3:] == [
            "Welcome to the demo, Alice!",
            "Thanks Bob, glad to be here.",
            "waves",
        ]
        own = [e for e in lobby["timeline"]["events"] if e["sender"] == "@alice:localhost"][-1]
        assert own["unsigned"]["transaction_id"] == "demo-1"
        assert lobby["ephemeral"]["events"][0] == {
            "type": "m.typing",
            "content": {"user_ids": ["@carol:localhost"]},
        }
        assert lobby["summary"]["m.joined_member_count"] == 4
        direct = sync["account_data"]["events"]
        assert {"type": "m.direct", "content": {"@bob:localhost": ["!direct:localhost"]}} in direct
        invite = rooms["invite"]["!bookclub:localhost"]["invite_state"]["events"]
        assert {
            "type": "m.room.name",
            "state_key": "",
            "content": {"name": "Book club"},
            "sender": "@carol:localhost",
        } in invite
        presence = {e["sender"]: e["content"] for e in sync["presence"]["events"]}
        assert presence["@bob:localhost"]["status_msg"] == "Writing docs"
        assert presence["@dave:localhost"] == {
            "presence": "offline",
            "last_active_ago": 3600000,
            "currently_active": False,
        }


async def test_demo_lobby_history_walks_back_to_its_creation() -> None:
    async with scenario("demo.json") as (world, alice):
        sync = await alice.sync(filter='{"room": {"timeline": {"limit": 3}}}')
        token = sync["rooms"]["join"]["!lobby:localhost"]["timeline"]["prev_batch"]
        chunk: list[dict[str, Any]] = []
        while token is not None:
            page = await alice.messages("!lobby:localhost", dir="b", limit=100, **{"from": token})
            chunk += page["chunk"]
            token = page.get("end")
        # 150 generated messages and bob's photo (the three newest came with the sync).
        assert len([e for e in chunk if e["type"] == "m.room.message"]) == 151
        assert chunk[-1]["type"] == "m.room.create"


async def test_demo_left_room_is_archived_without_what_came_after() -> None:
    async with scenario("demo.json") as (world, alice):
        sync = await alice.sync(filter=INCLUDE_LEAVE)
        old = sync["rooms"]["leave"]["!oldproject:localhost"]
        events = old["timeline"]["events"]
        assert (
            events[-1]["type"] == "m.room.member" and events[-1]["content"]["membership"] == "leave"
        )
        assert "Alice won't see this one." not in _bodies(events)
        assert "Thanks all, it was fun." in _bodies(events)


async def test_demo_script_keeps_the_lobby_talking() -> None:
    async with scenario("demo.json") as (world, alice):
        first = await alice.sync()
        world.clock.advance(22_000)
        later = await alice.sync(since=first["next_batch"])
        lobby = later["rooms"]["join"]["!lobby:localhost"]["timeline"]["events"]
        assert _bodies(lobby) == [
            "Is the build green again?",
            "Green since the last commit.",
            "Nice! Deploying to staging.",
        ]
        direct = later["rooms"]["join"]["!direct:localhost"]["timeline"]["events"]
        assert _bodies(direct) == ["Did you see the lobby? The build is fixed."]
        world.clock.advance(30_000)
        again = await alice.sync(since=later["next_batch"])
        assert "Is the build green again?" in _bodies(
            again["rooms"]["join"]["!lobby:localhost"]["timeline"]["events"]
        )
        assert world.script.failures == []


# -- invites.json ---------------------------------------------------------------------------


async def test_invites_shows_three_invites_and_nothing_else() -> None:
    async with scenario("invites.json") as (world, alice):
        sync = await alice.sync()
        assert sync["rooms"]["join"] == {} and sync["rooms"]["leave"] == {}
        invites = {
            room_id: {(e["type"], e["state_key"]): e for e in entry["invite_state"]["events"]}
            for room_id, entry in sync["rooms"]["invite"].items()
        }
        assert set(invites) == {"!planning:localhost", "!carol-dm:localhost", "!townhall:localhost"}
        for state in invites.values():
            assert ("m.room.create", "") in state
            assert state[("m.room.member", "@alice:localhost")]["content"]["membership"] == "invite"
        assert invites["!planning:localhost"][("m.room.name", "")]["content"] == {
            "name": "Release planning"
        }
        dm_invite = invites["!carol-dm:localhost"][("m.room.member", "@alice:localhost")]
        assert dm_invite["content"]["is_direct"] is True
        assert dm_invite["sender"] == "@carol:localhost"
        townhall = invites["!townhall:localhost"]
        assert townhall[("m.room.topic", "")]["content"]["topic"].startswith("Questions")
        assert townhall[("m.room.canonical_alias", "")]["content"] == {
            "alias": "#townhall:localhost"
        }
        assert townhall[("m.room.member", "@alice:localhost")]["sender"] == "@bob:localhost"


async def test_invites_hide_history_until_joined() -> None:
    async with scenario("invites.json") as (world, alice):
        response = await alice.client.get(
            "/_matrix/client/v3/rooms/!planning:localhost/messages",
            params={"dir": "b"},
            headers=alice.headers,
        )
        assert response.status_code == 403
        await alice.join("!planning:localhost")
        page = await alice.messages("!planning:localhost", dir="b")
        assert "Alice cannot read this before joining." in _bodies(page["chunk"])


async def test_invites_public_room_is_in_the_directory() -> None:
    async with scenario("invites.json") as (world, alice):
        body = await alice.call("GET", "/publicRooms")
        assert [room["room_id"] for room in body["chunk"]] == ["!townhall:localhost"]


# -- archived_rooms.json --------------------------------------------------------------------


async def test_archived_kicks_and_bans_always_show_leaves_only_on_request() -> None:
    async with scenario("archived_rooms.json") as (world, alice):
        plain = await alice.sync()
        assert set(plain["rooms"]["leave"]) == {"!kicked:localhost", "!banned:localhost"}
        assert plain["rooms"]["join"] == {}
        full = await alice.sync(filter=INCLUDE_LEAVE)
        left = full["rooms"]["leave"]
        assert set(left) == {"!left:localhost", "!kicked:localhost", "!banned:localhost"}
        expected = {
            "!left:localhost": ("leave", "@alice:localhost", "Before alice left"),
            "!kicked:localhost": ("leave", "@bob:localhost", "Before the kick"),
            "!banned:localhost": ("ban", "@bob:localhost", "Before the ban"),
        }
        for room_id, (membership, sender, before) in expected.items():
            events = left[room_id]["timeline"]["events"]
            last = events[-1]
            assert (last["content"]["membership"], last["sender"]) == (membership, sender)
            assert _bodies(events)[-1] == before
            assert not any(body.startswith("After") for body in _bodies(events))


async def test_archived_history_stops_at_the_leave() -> None:
    async with scenario("archived_rooms.json") as (world, alice):
        page = await alice.messages("!banned:localhost", dir="b", limit=50)
        assert page["chunk"][0]["content"]["membership"] == "ban"
        assert "After the ban" not in _bodies(page["chunk"])


async def test_every_shipped_scenario_is_covered_here_or_in_test_scenarios() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")} - {"scenario.schema.json"}
    covered = {
        "demo.json",
        "invites.json",
        "archived_rooms.json",
        "seed_example.json",
        "limited_timeline.json",
        "big_account.json",
    }
    assert names == covered


async def test_a_fixture_txn_id_is_idempotent_for_its_device() -> None:
    """Re-sending a scripted event's txnId from the same device returns that event, as after
    a real send, and stores nothing; the txn id stays the device's own."""
    async with scenario("demo.json") as (world, alice):
        sync = await alice.sync()
        lobby = sync["rooms"]["join"]["!lobby:localhost"]["timeline"]["events"]
        sent = next(e for e in lobby if e["unsigned"].get("transaction_id") == "demo-1")
        position = world.store.position
        again = await alice.send(
            "!lobby:localhost", {"msgtype": "m.text", "body": "a retry"}, txn_id="demo-1"
        )
        assert again == sent["event_id"]
        assert world.store.position == position
