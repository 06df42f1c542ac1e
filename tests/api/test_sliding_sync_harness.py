"""Sliding sync with the harness: scenarios, scripts, act-as, faults, the journal, the plugin.

The control API works with sliding sync as with v3 ``/sync``: the demo scenario's rooms
show in a room list, a script's ``after_sync`` counts sliding sync answers, an act-as
send wakes a parked long-poll, fault rules and the journal match its path, and the
pytest plugin's per-test reset forgets every connection.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.plugin.test_plugin import run
from tests.scenario_docs import client_for, frozen_homeserver, small_world
from tests.sliding import SLIDING_SYNC, Connection, parked, room_list, timeline_bodies
from tests.support import Account, assert_error

ROOT = Path(__file__).resolve().parents[2]
SMALL_ROOM = "!created:localhost"


def demo_account(client: httpx.AsyncClient, name: str) -> Account:
    return Account(client, f"@{name}:localhost", f"{name}_token", name.upper() + "DEMO")


async def test_the_demo_scenario_shows_alices_rooms_in_a_room_list() -> None:
    hs = Homeserver.create(ServerConfig())
    hs.load_fixture_file(ROOT / "fixtures" / "demo.json")
    async with client_for(hs) as client:
        answer = await Connection(demo_account(client, "alice")).sync(
            {"lists": {"all": room_list(timeline_limit=1)}}
        )
    rooms = answer["rooms"]
    # The lobby, the direct chat and the pending invite; the room she left is not listed.
    assert set(rooms) == {"!lobby:localhost", "!direct:localhost", "!bookclub:localhost"}
    assert rooms["!lobby:localhost"]["name"] == "Lobby"
    assert rooms["!lobby:localhost"]["limited"] is True
    assert rooms["!direct:localhost"]["is_dm"] is True
    assert "invite_state" in rooms["!bookclub:localhost"]
    assert answer["lists"]["all"]["count"] == 3


async def test_a_script_step_after_a_sliding_sync_answer() -> None:
    hs = frozen_homeserver()
    document = small_world()
    document["script"] = {
        "steps": [
            {
                "after_sync": {"user_id": "@alice:localhost"},
                "send": {"room_id": SMALL_ROOM, "sender": "@bob:localhost", "body": "saw you sync"},
            }
        ]
    }
    hs.load_fixture(document, "script.json")
    async with client_for(hs) as client:
        connection = Connection(Account(client, "@alice:localhost", "alice_token", ""))
        body = {"lists": {"all": room_list(timeline_limit=1)}}
        await connection.sync(body)
        answer = await connection.sync(body)
    assert timeline_bodies(answer["rooms"][SMALL_ROOM]) == ["saw you sync"]


async def test_act_as_wakes_a_parked_long_poll_and_the_journal_records_it(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room(name="acted")
    connection = Connection(alice)
    body = {"lists": {"all": room_list()}}
    await connection.sync(body)
    async with parked(connection, body) as answer:
        acted = await client.post(
            "/_mock/act/send", json={"user_id": alice.user_id, "room_id": room, "body": "acted"}
        )
        assert acted.status_code == 200
    assert timeline_bodies(answer["rooms"][room]) == ["acted"]
    journal = (
        await client.get("/_mock/journal", params={"path": "*/org.matrix.simplified_msc3575/sync"})
    ).json()
    entries = journal["requests"]
    assert [(e["method"], e["status"], e["user_id"]) for e in entries] == [
        ("POST", 200, alice.user_id),
        ("POST", 200, alice.user_id),
    ]
    assert "pos" in entries[1]["query"]


async def test_a_fault_rule_fails_a_sliding_sync_and_the_connection_goes_on(
    client: httpx.AsyncClient, alice: Account
) -> None:
    connection = Connection(alice)
    await connection.sync({})
    rule = await client.post(
        "/_mock/faults",
        json={"path": "*/org.matrix.simplified_msc3575/sync", "status": 429,
              "errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 10, "times": 1},
    )
    assert rule.status_code == 200, rule.text
    assert_error(await connection.post({}, pos=connection.pos), 429, "M_LIMIT_EXCEEDED")
    await connection.sync({})  # the faulted request recorded nothing; the pos still works


async def test_a_deleted_device_loses_its_connections(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    login = await client.post(
        "/_matrix/client/v3/login",
        json={"type": "m.login.password", "user": "alice", "password": "secret"},
    )
    other = Account(client, alice.user_id, login.json()["access_token"], login.json()["device_id"])
    await Connection(alice).sync({})
    await Connection(other).sync({})
    assert len(hs.store.connections) == 2
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": "alice"},
        "password": "secret",
    }
    await alice.call("DELETE", f"/devices/{other.device_id}", json={"auth": auth})
    assert len(hs.store.connections) == 1


PLUGIN_TEST = """
import httpx

SS = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
kept = {}

def sliding(homeserver, token, pos=None):
    return httpx.post(
        homeserver.base_url + SS,
        params={"pos": pos} if pos else {},
        json={"conn_id": "room-list", "lists": {"all": {"ranges": [[0, 9]], "timeline_limit": 1,
              "required_state": []}}},
        headers={"Authorization": "Bearer " + token},
    )

def test_first(homeserver):
    homeserver.register("alice", access_token="alice-token", device_id="D")
    room = homeserver.create_room("@alice:localhost", name="Plugin room")
    answer = sliding(homeserver, "alice-token").json()
    assert answer["rooms"][room]["name"] == "Plugin room"
    kept["pos"] = answer["pos"]

def test_second_starts_from_a_fresh_world(homeserver):
    homeserver.register("alice", access_token="alice-token", device_id="D")
    refused = sliding(homeserver, "alice-token", kept["pos"])
    assert (refused.status_code, refused.json()["errcode"]) == (400, "M_UNKNOWN_POS")
    assert sliding(homeserver, "alice-token").json()["rooms"] == {}
"""


def test_the_pytest_plugin_resets_sliding_sync_connections(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLUGIN_TEST)
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=2)
