"""TURN credentials, unauthenticated profiles, the login flows, 3pids and auth_metadata."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def test_turn_server_is_empty_without_configuration(alice: Account) -> None:
    assert await alice.call("GET", "/voip/turnServer") == {}


async def test_turn_server_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"{V3}/voip/turnServer"), 401, "M_MISSING_TOKEN")


async def test_turn_server_with_fixed_credentials_from_the_control_api(
    client: httpx.AsyncClient, alice: Account
) -> None:
    settings = {"uris": ["turn:turn.example:3478?transport=udp"], "username": "u", "password": "p"}
    put = await client.put("/_mock/turn_server", json=settings)
    assert put.status_code == 200, put.text
    assert await alice.call("GET", "/voip/turnServer") == {
        "username": "u",
        "password": "p",
        "ttl": 86400,
        "uris": ["turn:turn.example:3478?transport=udp"],
    }
    assert (await client.delete("/_mock/turn_server")).json() == {"turn_server": None}
    assert await alice.call("GET", "/voip/turnServer") == {}


async def test_turn_server_with_a_shared_secret_derives_expiring_credentials(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account
) -> None:
    hs.clock.freeze(1_700_000_000_000)
    settings = {"uris": ["turns:turn.example"], "shared_secret": "s3cret", "ttl": 600}
    assert (await client.put("/_mock/turn_server", json=settings)).status_code == 200
    body = await alice.call("GET", "/voip/turnServer")
    username = f"{1_700_000_600}:{alice.user_id}"
    digest = hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    assert body == {
        "username": username,
        "password": base64.b64encode(digest).decode(),
        "ttl": 600,
        "uris": ["turns:turn.example"],
    }


async def test_bad_turn_settings_change_nothing(client: httpx.AsyncClient, hs: Homeserver) -> None:
    before = snapshot(hs.store)
    for bad in (
        [],
        {"uris": []},
        {"uris": ["turn:x"]},
        {"uris": ["turn:x"], "username": "u"},
        {"uris": ["turn:x"], "username": "u", "password": "p", "shared_secret": "s"},
        {"uris": ["turn:x"], "shared_secret": "s", "ttl": 0},
        {"uris": ["turn:x"], "shared_secret": "s", "colour": "red"},
    ):
        assert_error(await client.put("/_mock/turn_server", json=bad), 400, "M_BAD_JSON")
    assert snapshot(hs.store) == before


async def test_turn_server_from_a_scenario_exports_and_resets(
    client: httpx.AsyncClient, hs: Homeserver
) -> None:
    settings = {"uris": ["turn:a"], "username": "u", "password": "p", "ttl": 60}
    hs.load_fixture({"users": [{"user_id": "@ann:localhost", "access_token": "ann"}], "turn_server": settings}, "t")
    answer = await client.get(f"{V3}/voip/turnServer", headers={"Authorization": "Bearer ann"})
    assert answer.json()["uris"] == ["turn:a"]
    exported = (await client.get("/_mock/export")).json()
    assert exported["turn_server"] == settings
    await client.post("/_mock/reset", json={"fixtures": False})
    assert (await client.get("/_mock/turn_server")).json() == {"turn_server": None}


async def test_profile_is_readable_without_a_token(client: httpx.AsyncClient, alice: Account) -> None:
    await alice.call("PUT", f"/profile/{alice.user_id}/displayname", json={"displayname": "Alice"})
    assert (await client.get(f"{V3}/profile/{alice.user_id}")).json() == {"displayname": "Alice"}
    named = await client.get(f"{V3}/profile/{alice.user_id}/displayname")
    assert named.json() == {"displayname": "Alice"}
    assert_error(await client.get(f"{V3}/profile/{alice.user_id}/avatar_url"), 404, "M_NOT_FOUND")
    assert_error(await client.get(f"{V3}/profile/@nobody:localhost"), 404, "M_NOT_FOUND")
    # Changing it still needs the owner's token.
    refused = await client.put(f"{V3}/profile/{alice.user_id}/displayname", json={"displayname": "X"})
    assert_error(refused, 401, "M_MISSING_TOKEN")


async def test_login_flows_are_those_of_a_server_without_delegated_auth(
    client: httpx.AsyncClient,
) -> None:
    flows = (await client.get(f"{V3}/login")).json()["flows"]
    assert flows == [{"type": "m.login.password"}, {"type": "m.login.application_service"}]
    metadata = await client.get("/_matrix/client/v1/auth_metadata")
    assert_error(metadata, 404, "M_UNRECOGNIZED")


async def test_application_service_login_needs_an_appservice_token(
    client: httpx.AsyncClient, alice: Account
) -> None:
    body = {"type": "m.login.application_service", "identifier": {"type": "m.id.user", "user": "alice"}}
    assert_error(await client.post(f"{V3}/login", json=body), 401, "M_MISSING_TOKEN")
    as_alice = await client.post(f"{V3}/login", json=body, headers=alice.headers)
    assert_error(as_alice, 401, "M_UNKNOWN_TOKEN")


async def test_no_third_party_identifiers(alice: Account) -> None:
    assert await alice.call("GET", "/account/3pid") == {"threepids": []}
