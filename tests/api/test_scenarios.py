"""Scenarios through the HTTP API: the seed's golden response, determinism, export, control."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.scenario_docs import (
    FIXTURES,
    ROOT,
    bearer,
    client_for,
    frozen_homeserver,
    load_json,
    small_world,
)
from tests.support import SEED, V3, Account, assert_error

SEED_EXAMPLE = FIXTURES / "seed_example.json"
GOLDEN = ROOT / "tests" / "data" / "seed_sync_example.json"
TOKEN = re.compile(r"^[st][0-9_\-]+$")


def without_ages(value: Any) -> Any:
    """``value`` without ``unsigned.age`` (and without ``unsigned`` left empty by that)."""
    if isinstance(value, list):
        return [without_ages(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key == "unsigned" and isinstance(item, dict):
            item = {k: v for k, v in item.items() if k != "age"}
            if not item:
                continue
        result[key] = without_ages(item)
    return result


def without_tokens(value: Any) -> Any:
    """``value`` with every sync/pagination token replaced by a placeholder."""
    if isinstance(value, list):
        return [without_tokens(item) for item in value]
    if isinstance(value, dict):
        return {
            k: "<token>"
            if k in ("next_batch", "prev_batch", "start", "end") and isinstance(v, str)
            else without_tokens(v)
            for k, v in value.items()
        }
    return value


# -- the seed's example -----------------------------------------------------------------


async def test_seed_example_sync_matches_the_seed_response() -> None:
    """THE golden test: sync.yaml's example, with its slips corrected, from seed_example.json."""
    hs = frozen_homeserver()
    hs.load_fixture_file(SEED_EXAMPLE)
    alice = bearer("alice_token")
    async with client_for(hs) as client:
        uploaded = await client.post(
            f"{SEED}/user/@alice:example.com/filter",
            json={"room": {"timeline": {"limit": 2}}},
            headers=alice,
        )
        assert uploaded.status_code == 200, uploaded.text
        response = await client.get(
            f"{SEED}/sync", params={"filter": uploaded.json()["filter_id"]}, headers=alice
        )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = load_json(GOLDEN)
    for got in (body, expected):
        entry = got["room_map"]["!726s6s6q:example.com"]
        assert TOKEN.match(got.pop("next_batch"))
        assert TOKEN.match(entry["timeline"].pop("prev_batch"))
    assert without_ages(body) == without_ages(expected)
    fish = body["room_map"]["!726s6s6q:example.com"]["event_map"]["$74686972643033:example.com"]
    assert fish["unsigned"]["txn_id"] == "1234"
    assert isinstance(fish["unsigned"]["age"], int)


async def test_seed_example_prev_batch_reaches_alices_join() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(SEED_EXAMPLE)
    async with client_for(hs) as client:
        alice = Account(client, "@alice:example.com", "alice_token", "ALICEPHONE")
        sync = await alice.seed_sync(filter='{"room": {"timeline": {"limit": 2}}}')
        prev_batch = sync["room_map"]["!726s6s6q:example.com"]["timeline"]["prev_batch"]
        back = await alice.messages("!726s6s6q:example.com", dir="b", **{"from": prev_batch})
    assert [e["event_id"] for e in back["chunk"]] == ["$66697273743031:example.com"]


async def test_the_txn_id_shows_only_to_the_sending_device() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(SEED_EXAMPLE)
    async with client_for(hs) as client:
        login = await client.post(
            f"{V3}/login",
            json={"type": "m.login.password", "user": "@alice:example.com", "password": "alice"},
        )
        other = Account(client, "@alice:example.com", login.json()["access_token"], "x")
        body = await other.seed_sync()
    fish = body["room_map"]["!726s6s6q:example.com"]["event_map"]["$74686972643033:example.com"]
    assert "txn_id" not in fish["unsigned"]


# -- determinism ------------------------------------------------------------------------


async def _raw_syncs(hs: Homeserver, token: str, room_id: str | None) -> list[bytes]:
    async with client_for(hs) as client:
        headers = bearer(token)
        answers = [
            await client.get(f"{SEED}/sync", headers=headers),
            await client.get(f"{V3}/sync", headers=headers),
            await client.get(
                f"{V3}/sync", params={"filter": '{"room":{"include_leave":true}}'}, headers=headers
            ),
        ]
        if room_id is not None:
            answers.append(
                await client.get(
                    f"{V3}/rooms/{room_id}/messages",
                    params={"dir": "b", "limit": 50},
                    headers=headers,
                )
            )
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return [answer.content for answer in answers]


async def test_two_loads_of_one_file_give_byte_identical_responses() -> None:
    cases = [
        ("demo.json", "alice_token", "!lobby:localhost"),
        ("seed_example.json", "alice_token", "!726s6s6q:example.com"),
        ("invites.json", "alice_token", None),
        ("archived_rooms.json", "alice_token", None),
    ]
    for name, token, room_id in cases:
        first, second = frozen_homeserver(), frozen_homeserver()
        for hs in (first, second):
            hs.load_fixture_file(FIXTURES / name)
        assert await _raw_syncs(first, token, room_id) == await _raw_syncs(second, token, room_id)


async def test_generated_ids_come_from_the_seed() -> None:
    doc = {
        "users": [{"user_id": "@a:localhost", "access_token": "a"}],
        "rooms": [
            {
                "creator": "@a:localhost",
                "timeline": [{"generate": {"count": 3, "sender": "@a:localhost"}}],
            }
        ],
    }
    rooms = []
    for seed in ("one", "one", "two"):
        hs = frozen_homeserver(seed=seed)
        scenario = hs.load_fixture(copy.deepcopy(doc), "t.json")
        rooms.append(
            (scenario.rooms, [e.event_id for e in hs.store.room(scenario.rooms[0]).events])
        )
    assert rooms[0] == rooms[1]
    assert rooms[0] != rooms[2]


async def test_reset_reloads_the_same_world_or_empties_it() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(FIXTURES / "demo.json")
    first = await _raw_syncs(hs, "alice_token", "!lobby:localhost")
    async with client_for(hs) as client:
        await Account(client, "@alice:localhost", "alice_token", "ALICEDEMO").send(
            "!lobby:localhost", "changing the world"
        )
    hs.reset(reload_fixtures=True)
    assert await _raw_syncs(hs, "alice_token", "!lobby:localhost") == first
    hs.reset(reload_fixtures=False)
    assert hs.store.users == {} and hs.store.rooms == {} and hs.fixtures == []
    async with client_for(hs) as client:
        assert_error(
            await client.get(f"{V3}/sync", headers=bearer("alice_token")), 401, "M_UNKNOWN_TOKEN"
        )


async def test_reset_goes_back_to_the_configured_server_name() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(SEED_EXAMPLE)
    assert hs.store.server_name == "example.com"
    hs.reset()
    assert hs.store.server_name == "localhost"
    hs.load_fixture(small_world(), "small.json")
    assert "@alice:localhost" in hs.store.users


# -- bulk history -----------------------------------------------------------------------


async def test_bulk_history_is_limited_in_sync_and_walkable_with_messages() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(FIXTURES / "limited_timeline.json")
    async with client_for(hs) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "ALICE")
        sync = await alice.sync()
        timeline = sync["rooms"]["join"]["!history:localhost"]["timeline"]
        assert timeline["limited"] is True
        bodies = [e["content"]["body"] for e in timeline["events"]]
        assert bodies == [f"Message {n} of 300" for n in range(291, 301)]
        assert [e["origin_server_ts"] for e in timeline["events"]][-1] == 1700000000000 + 299_000
        seen: list[dict[str, Any]] = []
        token = timeline["prev_batch"]
        while token is not None:
            page = await alice.messages("!history:localhost", dir="b", limit=100, **{"from": token})
            seen += page["chunk"]
            token = page.get("end")
    messages = [e["content"]["body"] for e in seen if e["type"] == "m.room.message"]
    assert messages == [f"Message {n} of 300" for n in range(290, 0, -1)]
    assert seen[-1]["type"] == "m.room.create"


async def test_generated_messages_without_timestamps_end_now() -> None:
    hs = frozen_homeserver()
    doc = small_world()
    doc["rooms"][0]["timeline"].append(
        {
            "generate": {
                "count": 3,
                "senders": ["@alice:localhost", "@bob:localhost"],
                "bodies": ["a{n}", "b{n}"],
                "interval_ms": 1000,
            }
        }
    )
    hs.load_fixture(doc, "t.json")
    events = hs.store.room("!created:localhost").events[-3:]
    assert [(e.sender, e.content["body"], e.origin_server_ts) for e in events] == [
        ("@alice:localhost", "a1", hs.clock.now_ms() - 2000),
        ("@bob:localhost", "b2", hs.clock.now_ms() - 1000),
        ("@alice:localhost", "a3", hs.clock.now_ms()),
    ]


# -- export -----------------------------------------------------------------------------


async def _build_world(client: httpx.AsyncClient, hs: Homeserver) -> list[Account]:
    """A world made through the client API, with a bit of everything the export must carry."""
    from tests.support import register

    alice, bob, carol = [await register(client, name) for name in ("alice", "bob", "carol")]
    lobby = await alice.create_room(
        preset="public_chat", name="Lobby", room_alias_name="lobby", visibility="public"
    )
    secret = await bob.create_room(preset="private_chat", topic="shh")
    await bob.join(lobby)
    await bob.invite(secret, "@alice:localhost")
    await bob.invite(secret, "@carol:localhost")
    await carol.join(secret)
    for n in range(25):
        await (alice if n % 3 else bob).send(lobby, f"lobby {n}")
    await carol.send(secret, "in secret")
    redacted = await bob.send(lobby, "oops")
    await bob.call("PUT", f"/rooms/{lobby}/redact/{redacted}/r1", json={"reason": "typo"})
    await alice.put_state(lobby, "m.room.topic", {"topic": "first"})
    await alice.put_state(lobby, "m.room.topic", {"topic": "second"})
    await carol.join(lobby)
    await carol.send(lobby, "hello @alice:localhost")
    await carol.leave(lobby)
    await alice.ban(lobby, "@carol:localhost")
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Bobby"})
    await bob.typing(lobby, True, 20_000)
    await bob.call("POST", f"/rooms/{lobby}/receipt/m.read/{redacted}", json={})
    await alice.call(
        "PUT", f"/user/{alice.user_id}/account_data/m.direct", json={"@bob:localhost": [secret]}
    )
    await alice.call(
        "PUT",
        f"/user/{alice.user_id}/rooms/{lobby}/account_data/m.tag",
        json={"tags": {"m.favourite": {}}},
    )
    await alice.call(
        "PUT",
        f"/presence/{alice.user_id}/status",
        json={"presence": "unavailable", "status_msg": "lunch"},
    )
    await alice.upload_filter({"room": {"timeline": {"limit": 4}}})
    hs.clock.advance(5_000)
    return [alice, bob, carol]


async def _answers(client: httpx.AsyncClient, accounts: list[Account]) -> list[Any]:
    answers: list[Any] = []
    filters = [
        None,
        "0",
        '{"room":{"timeline":{"limit":3},"include_leave":true}}',
        '{"room":{"state":{"lazy_load_members":true},"timeline":{"limit":1}}}',
    ]
    for account in accounts:
        for prefix in (SEED, V3):
            for sync_filter in filters:
                if sync_filter == "0" and account.user_id != "@alice:localhost":
                    continue
                params = {"filter": sync_filter} if sync_filter is not None else {}
                response = await client.get(
                    f"{prefix}/sync", params=params, headers=account.headers
                )
                assert response.status_code == 200, response.text
                answers.append(response.json())
        rooms = await account.call("GET", "/joined_rooms")
        for room_id in rooms["joined_rooms"]:
            for direction in ("b", "f"):
                token = None
                while True:
                    params: dict[str, Any] = {"dir": direction, "limit": 7}
                    if token is not None:
                        params["from"] = token
                    page = await account.messages(room_id, **params)
                    answers.append(page)
                    token = page.get("end")
                    if token is None:
                        break
    return [without_tokens(answer) for answer in answers]


async def test_export_round_trip_reproduces_sync_and_messages() -> None:
    original = frozen_homeserver()
    async with client_for(original) as client:
        accounts = await _build_world(client, original)
        exported = (await client.get("/_mock/export")).json()
        expected = await _answers(client, accounts)
    copy_hs = frozen_homeserver(at=original.clock.now_ms(), seed="another seed")
    copy_hs.load_fixture(exported, "export.json")
    async with client_for(copy_hs) as client:
        assert (await client.get("/_mock/export")).json() == exported
        moved = [Account(client, a.user_id, a.access_token, a.device_id) for a in accounts]
        got = await _answers(client, moved)
    assert got == expected
    assert len(expected) > 40


async def test_export_of_every_shipped_fixture_loads_back_to_the_same_world() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        if path.name == "scenario.schema.json":
            continue
        first = frozen_homeserver()
        first.load_fixture_file(path)
        async with client_for(first) as client:
            exported = (await client.get("/_mock/export")).json()
        second = frozen_homeserver()
        second.load_fixture(exported, f"export of {path.name}")
        async with client_for(second) as client:
            assert (await client.get("/_mock/export")).json() == exported, path.name


# -- POST /_mock/fixtures ---------------------------------------------------------------


async def test_post_fixtures_loads_a_world_and_names_its_users(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    response = await client.post("/_mock/fixtures", json=small_world())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rooms"] == ["!created:localhost", "!bare:localhost"]
    assert body["users"][1] == {
        "user_id": "@bob:localhost",
        "devices": [{"device_id": "BOB", "access_token": "bob_token"}],
    }
    bob = Account(client, "@bob:localhost", "bob_token", "BOB")
    sync = await bob.sync()
    timeline = sync["rooms"]["join"]["!created:localhost"]["timeline"]["events"]
    assert [e["content"].get("body") for e in timeline][-4:] == ["one", "two", "three", "four"]


async def test_post_fixtures_refuses_a_bad_world_whole(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    doc = small_world()
    doc["rooms"][0]["timeline"][3]["sender"] = "@carol:localhost"
    response = await client.post("/_mock/fixtures", json=doc)
    body = assert_error(response, 400, "M_BAD_JSON")
    assert (
        body["error"] == "request body: rooms[0].timeline[3].sender: unknown user @carol:localhost"
    )
    assert body["path"] == "rooms[0].timeline[3].sender"
    assert hs.store.users == {} and hs.store.rooms == {} and hs.fixtures == []


async def test_post_fixtures_refuses_what_is_not_json(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    response = await client.post("/_mock/fixtures", content=b"{nope")
    assert_error(response, 400, "M_NOT_JSON")
    response = await client.post("/_mock/fixtures", json=["not", "an", "object"])
    body = assert_error(response, 400, "M_BAD_JSON")
    assert body["error"] == "request body: $: expected an object, got a list"


async def test_post_fixtures_is_recorded_for_reset(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    await client.post("/_mock/fixtures", json=small_world())
    hs.reset(reload_fixtures=True)
    assert set(hs.store.rooms) == {"!created:localhost", "!bare:localhost"}


async def test_control_routes_are_absent_without_control() -> None:
    hs = frozen_homeserver(control=False)
    async with client_for(hs) as client:
        assert_error(await client.get("/_mock/export"), 404, "M_UNRECOGNIZED")
