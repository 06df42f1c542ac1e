"""``POST /_mock/reset``: a fresh world, and nothing of the last test left over."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account, assert_error

pytestmark = pytest.mark.anyio


async def test_reset_forgets_users_rooms_and_tokens(
    hs: Homeserver, control: Control, client: httpx.AsyncClient, alice: Account
) -> None:
    await alice.create_room(name="gone")
    assert await control.call("POST", "/reset", json={"fixtures": False}) == {"fixtures": []}
    assert hs.store.users == {} and hs.store.rooms == {}
    response = await client.get("/_matrix/client/v3/account/whoami", headers=alice.headers)
    assert_error(response, 401, "M_UNKNOWN_TOKEN")
    await control.act("register", username="alice")


async def test_reset_clears_journal_faults_and_clock(control: Control, alice: Account) -> None:
    await alice.sync()
    await control.fail(status=500, times=10)
    await control.call("POST", "/clock/freeze", json={"at_ms": 5})
    await control.call("POST", "/reset")
    assert await control.call("GET", "/journal") == {"requests": [], "last_seq": 0}
    assert (await control.call("GET", "/faults"))["faults"] == []
    clock = await control.call("GET", "/clock")
    assert clock["frozen"] is False and clock["now_ms"] > 5


async def test_ids_after_reset_are_those_of_a_fresh_server(
    control: Control, client: httpx.AsyncClient
) -> None:
    async def world(c: httpx.AsyncClient) -> tuple[str, str]:
        await c.post("/_mock/act/register", json={"username": "alice", "access_token": "a"})
        room = await c.post("/_mock/act/create_room", json={"user_id": "@alice:localhost"})
        sent = await c.post(
            "/_mock/act/send",
            json={"user_id": "@alice:localhost", "room_id": room.json()["room_id"], "body": "x"},
        )
        return room.json()["room_id"], sent.json()["event_id"]

    await world(client)
    await control.call("POST", "/reset")
    after_reset = await world(client)
    fresh = create_app(homeserver=Homeserver.create(ServerConfig()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fresh), base_url="http://localhost"
    ) as other:
        assert after_reset == await world(other)


async def test_reset_answers_a_parked_long_poll(
    hs: Homeserver, control: Control, alice: Account
) -> None:
    first = await alice.sync()
    result = {}

    async def park() -> None:
        result["response"] = await alice.client.get(
            "/_matrix/client/v3/sync",
            params={"since": first["next_batch"], "timeout": 30_000},
            headers=alice.headers,
        )

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            await control.call("POST", "/reset")
    assert_error(result["response"], 401, "M_UNKNOWN_TOKEN")


async def test_reset_refuses_a_bad_body(control: Control) -> None:
    assert_error(
        await control.client.post("/_mock/reset", json={"fixtures": "no"}), 400, "M_BAD_JSON"
    )


SCENARIO = {
    "server_name": "localhost",
    "users": [{"user_id": "@zoe:localhost", "access_token": "zoe_token", "device_id": "ZOE"}],
    "rooms": [
        {
            "room_id": "!club:localhost",
            "creator": "@zoe:localhost",
            "name": "Club",
            "timeline": [
                {
                    "type": "m.room.message",
                    "sender": "@zoe:localhost",
                    "content": {"msgtype": "m.text", "body": "first"},
                }
            ],
        }
    ],
}


async def test_reset_reloads_the_loaded_scenarios_by_default(
    control: Control, client: httpx.AsyncClient
) -> None:
    await control.call("POST", "/fixtures", json=SCENARIO, params={"source": "club.json"})
    zoe = Account(client, "@zoe:localhost", "zoe_token", "ZOE")
    before = await zoe.sync()
    await zoe.send("!club:localhost", "added after loading")
    await control.act("register", username="stranger")
    assert await control.call("POST", "/reset") == {"fixtures": ["club.json"]}
    after = await zoe.sync()

    def timeline(body: dict[str, Any]) -> list[tuple[str, Any]]:
        events = body["rooms"]["join"]["!club:localhost"]["timeline"]["events"]
        return [(e["event_id"], e["content"]) for e in events]

    assert timeline(after) == timeline(before)
    assert timeline(after)[-1][1]["body"] == "first"
    assert_error(
        await client.post("/_mock/act/login", json={"user_id": "@stranger:localhost"}),
        404,
        "M_NOT_FOUND",
    )
    assert await control.call("POST", "/reset", json={"fixtures": False}) == {"fixtures": []}
    assert await control.call("POST", "/reset") == {"fixtures": []}
    assert_error(
        await client.get("/_matrix/client/v3/account/whoami", headers=zoe.headers),
        401,
        "M_UNKNOWN_TOKEN",
    )


async def test_a_scenario_error_names_the_source(control: Control) -> None:
    bad = {"rooms": [{"creator": "@nobody:localhost"}]}
    response = await control.client.post(
        "/_mock/fixtures", json=bad, params={"source": "mine.json"}
    )
    body = assert_error(response, 400, "M_BAD_JSON")
    assert body["error"] == "mine.json: rooms[0].creator: unknown user @nobody:localhost"
