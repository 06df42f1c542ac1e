"""Accounts and auth: versions, login, register, logout, whoami, and how tokens are carried."""

from __future__ import annotations

import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error, register

PREFIXES = ["/_matrix/client/v3", "/_matrix/client/r0", "/_matrix/client/api/v1"]


def password_login(user: str, password: str = "secret", **extra: object) -> dict[str, object]:
    return {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
        **extra,
    }


# -- versions -------------------------------------------------------------------------


async def test_versions_needs_no_token_and_lists_r0_and_v1(client: httpx.AsyncClient) -> None:
    response = await client.get("/_matrix/client/versions")
    assert response.status_code == 200
    body = response.json()
    assert "r0.6.1" in body["versions"]
    assert "v1.1" in body["versions"]
    assert body["unstable_features"] == {"org.matrix.simplified_msc3575": True}


async def test_versions_ignores_a_bad_token(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/_matrix/client/versions", headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 200


# -- login ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_login_flows_offer_password(client: httpx.AsyncClient, prefix: str) -> None:
    response = await client.get(f"{prefix}/login")
    assert response.status_code == 200
    assert {"type": "m.login.password"} in response.json()["flows"]


async def test_login_with_identifier_returns_a_working_session(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(f"{V3}/login", json=password_login("alice"))
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == "@alice:localhost"
    assert body["home_server"] == "localhost"
    assert body["access_token"] != alice.access_token
    whoami = await client.get(
        f"{V3}/account/whoami", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert whoami.json() == {
        "user_id": "@alice:localhost",
        "device_id": body["device_id"],
        "is_guest": False,
    }


@pytest.mark.parametrize("user", ["alice", "@alice:localhost"])
async def test_login_with_legacy_user_field(
    client: httpx.AsyncClient, alice: Account, user: str
) -> None:
    response = await client.post(
        f"{V3}/login", json={"type": "m.login.password", "user": user, "password": "secret"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == "@alice:localhost"


async def test_each_login_is_a_new_device(client: httpx.AsyncClient, alice: Account) -> None:
    first = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    second = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    assert len({alice.device_id, first["device_id"], second["device_id"]}) == 3
    assert first["access_token"] != second["access_token"]


async def test_login_with_chosen_device_id_and_name(
    client: httpx.AsyncClient, alice: Account
) -> None:
    body = password_login("alice", device_id="PHONE", initial_device_display_name="My phone")
    login = (await client.post(f"{V3}/login", json=body)).json()
    assert login["device_id"] == "PHONE"
    device = await alice.call("GET", "/devices/PHONE")
    assert device["device_id"] == "PHONE"
    assert device["display_name"] == "My phone"


@pytest.mark.parametrize(
    ("body", "status", "errcode"),
    [
        (password_login("alice", "wrong"), 403, "M_FORBIDDEN"),
        (password_login("nobody"), 403, "M_FORBIDDEN"),
        (password_login("@alice:elsewhere"), 403, "M_FORBIDDEN"),
        ({"type": "m.login.password", "password": "secret"}, 400, "M_MISSING_PARAM"),
        ({"identifier": {"type": "m.id.user", "user": "alice"}, "password": "x"}, 400, "M_MISSING_PARAM"),
        ({**password_login("alice"), "type": "m.login.token"}, 400, "M_UNKNOWN"),
        ({**password_login("alice"), "identifier": {"type": "m.id.phone"}}, 400, "M_UNKNOWN"),
        ({**password_login("alice"), "password": 5}, 400, "M_BAD_JSON"),
        ({**password_login("alice"), "identifier": "alice"}, 400, "M_BAD_JSON"),
        ({**password_login("alice"), "device_id": ["x"]}, 400, "M_BAD_JSON"),
        ({"type": "m.login.password", "identifier": {"user": ["alice"]}, "password": "secret"}, 400, "M_MISSING_PARAM"),
        ([], 400, "M_BAD_JSON"),
    ],
)
async def test_login_refusals(
    hs: Homeserver,
    client: httpx.AsyncClient,
    alice: Account,
    body: object,
    status: int,
    errcode: str,
) -> None:
    before = snapshot(hs.store)
    response = await client.post(f"{V3}/login", json=body)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


async def test_login_body_not_json(hs: Homeserver, client: httpx.AsyncClient) -> None:
    response = await client.post(f"{V3}/login", content=b"{type: password}")
    assert_error(response, 400, "M_NOT_JSON")


# -- register -------------------------------------------------------------------------


async def test_register_starts_user_interactive_auth(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{V3}/register", json={"username": "dave", "password": "pw"})
    assert response.status_code == 401
    body = response.json()
    assert body["flows"] == [{"stages": ["m.login.dummy"]}]
    assert body["params"] == {}
    assert isinstance(body["session"], str) and body["session"]


async def test_register_with_dummy_auth_creates_a_user_who_can_log_in(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post(f"{V3}/register", json={"username": "dave"})).json()
    response = await client.post(
        f"{V3}/register",
        json={
            "username": "dave",
            "password": "pw",
            "device_id": "LAPTOP",
            "auth": {"type": "m.login.dummy", "session": first["session"]},
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == "@dave:localhost"
    assert body["device_id"] == "LAPTOP"
    assert body["home_server"] == "localhost"
    login = await client.post(f"{V3}/login", json=password_login("dave", "pw"))
    assert login.status_code == 200


async def test_register_without_a_session_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{V3}/register",
        json={"username": "erin", "password": "pw", "auth": {"type": "m.login.dummy"}},
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == "@erin:localhost"


async def test_register_without_username_picks_one(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{V3}/register", json={"auth": {"type": "m.login.dummy"}})
    assert response.status_code == 200
    assert response.json()["user_id"].startswith("@")


async def test_register_inhibit_login_returns_no_token(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        f"{V3}/register",
        json={
            "username": "frank",
            "password": "pw",
            "inhibit_login": True,
            "auth": {"type": "m.login.dummy"},
        },
    )
    assert response.status_code == 200
    assert response.json() == {"user_id": "@frank:localhost", "home_server": "localhost"}
    assert not hs.store.sessions
    assert (await client.post(f"{V3}/login", json=password_login("frank", "pw"))).status_code == 200


async def test_register_echoes_a_known_session_and_replaces_an_unknown_one(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post(f"{V3}/register", json={})).json()["session"]
    again = await client.post(f"{V3}/register", json={"auth": {"session": first}})
    assert again.status_code == 401
    assert again.json()["session"] == first
    unknown = await client.post(f"{V3}/register", json={"auth": {"session": "made-up"}})
    assert unknown.status_code == 401
    assert unknown.json()["session"] not in ("made-up", first)


async def test_register_session_is_used_up(client: httpx.AsyncClient) -> None:
    first = (await client.post(f"{V3}/register", json={})).json()
    auth = {"type": "m.login.dummy", "session": first["session"]}
    ok = await client.post(f"{V3}/register", json={"username": "gina", "auth": auth})
    assert ok.status_code == 200
    again = await client.post(f"{V3}/register", json={"username": "hank", "auth": auth})
    assert_error(again, 400, "M_UNKNOWN")


@pytest.mark.parametrize(
    ("body", "status", "errcode"),
    [
        ({"username": "alice", "auth": {"type": "m.login.dummy"}}, 400, "M_USER_IN_USE"),
        ({"username": "alice"}, 400, "M_USER_IN_USE"),
        ({"username": "Alice!", "auth": {"type": "m.login.dummy"}}, 400, "M_INVALID_USERNAME"),
        ({"username": "has space"}, 400, "M_INVALID_USERNAME"),
        ({"username": "alice2\n", "auth": {"type": "m.login.dummy"}}, 400, "M_INVALID_USERNAME"),
        ({"username": "", "auth": {"type": "m.login.dummy"}}, 400, "M_INVALID_USERNAME"),
        ({"username": "x" * 300, "auth": {"type": "m.login.dummy"}}, 400, "M_INVALID_USERNAME"),
        ({"username": 7, "auth": {"type": "m.login.dummy"}}, 400, "M_BAD_JSON"),
        ({"username": "ok", "password": ["pw"]}, 400, "M_BAD_JSON"),
        ({"username": "ok", "inhibit_login": "yes"}, 400, "M_BAD_JSON"),
        ({"username": "ok", "auth": "m.login.dummy"}, 400, "M_BAD_JSON"),
        ({"username": "ok", "auth": {"type": "m.login.password"}}, 400, "M_UNKNOWN"),
        ({"username": "ok", "auth": {"type": "m.login.dummy", "session": "nope"}}, 400, "M_UNKNOWN"),
        ({"username": "ok", "auth": {"type": "m.login.dummy", "session": ["x"]}}, 400, "M_BAD_JSON"),
        ({"username": "ok", "auth": {"type": "m.login.dummy", "session": {}}}, 400, "M_BAD_JSON"),
        ({"username": "ok", "auth": {"type": ["m.login.dummy"]}}, 400, "M_BAD_JSON"),
        ({"username": "ok", "auth": {"session": 5}}, 400, "M_BAD_JSON"),
        ([], 400, "M_BAD_JSON"),
    ],
)
async def test_register_refusals_change_nothing(
    hs: Homeserver,
    client: httpx.AsyncClient,
    alice: Account,
    body: object,
    status: int,
    errcode: str,
) -> None:
    before = snapshot(hs.store)
    response = await client.post(f"{V3}/register", json=body)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


async def test_register_as_guest_is_forbidden(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{V3}/register?kind=guest", json={})
    assert_error(response, 403, "M_GUEST_ACCESS_FORBIDDEN")


async def test_register_available(client: httpx.AsyncClient, alice: Account) -> None:
    free = await client.get(f"{V3}/register/available", params={"username": "zed"})
    assert free.json() == {"available": True}
    taken = await client.get(f"{V3}/register/available", params={"username": "alice"})
    assert_error(taken, 400, "M_USER_IN_USE")
    bad = await client.get(f"{V3}/register/available", params={"username": "A B"})
    assert_error(bad, 400, "M_INVALID_USERNAME")
    missing = await client.get(f"{V3}/register/available")
    assert_error(missing, 400, "M_MISSING_PARAM")


# -- logout and whoami ---------------------------------------------------------------


async def test_whoami(alice: Account) -> None:
    assert await alice.call("GET", "/account/whoami") == {
        "user_id": alice.user_id,
        "device_id": alice.device_id,
        "is_guest": False,
    }


async def test_logout_invalidates_only_that_token(client: httpx.AsyncClient, alice: Account) -> None:
    other = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    assert await alice.call("POST", "/logout") == {}
    response = await client.get(f"{V3}/account/whoami", headers=alice.headers)
    body = assert_error(response, 401, "M_UNKNOWN_TOKEN")
    assert body["soft_logout"] is False
    still = await client.get(
        f"{V3}/account/whoami", headers={"Authorization": f"Bearer {other['access_token']}"}
    )
    assert still.status_code == 200


async def test_logout_accepts_no_body(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post(f"{V3}/logout", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {}


async def test_logout_all_invalidates_every_token(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    other = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    assert await alice.call("POST", "/logout/all") == {}
    for token in (alice.access_token, other["access_token"]):
        response = await client.get(
            f"{V3}/account/whoami", headers={"Authorization": f"Bearer {token}"}
        )
        assert_error(response, 401, "M_UNKNOWN_TOKEN")
    assert (await bob.call("GET", "/account/whoami"))["user_id"] == bob.user_id


# -- carrying the access token -------------------------------------------------------


async def test_token_in_query_string(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get(
        f"{V3}/account/whoami", params={"access_token": alice.access_token}
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == alice.user_id


async def test_header_and_query_may_repeat_the_same_token(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.get(
        f"{V3}/account/whoami", params={"access_token": alice.access_token}, headers=alice.headers
    )
    assert response.status_code == 200


async def test_header_and_query_disagreeing_is_unknown_token(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    response = await client.get(
        f"{V3}/account/whoami", params={"access_token": bob.access_token}, headers=alice.headers
    )
    assert_error(response, 401, "M_UNKNOWN_TOKEN")


async def test_missing_token(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{V3}/account/whoami")
    assert_error(response, 401, "M_MISSING_TOKEN")


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "nonsense"]
)
async def test_bad_authorization_header(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get(f"{V3}/account/whoami", headers={"Authorization": header})
    assert_error(response, 401, "M_UNKNOWN_TOKEN")


async def test_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get(
        f"{V3}/account/whoami", headers={"Authorization": f"bearer {alice.access_token}"}
    )
    assert response.status_code == 200


async def test_unknown_token_in_query(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{V3}/account/whoami", params={"access_token": "nonsense"})
    assert_error(response, 401, "M_UNKNOWN_TOKEN")


async def test_registered_helper_account_is_usable(client: httpx.AsyncClient) -> None:
    account = await register(client, "ivan")
    assert (await account.call("GET", "/account/whoami"))["user_id"] == "@ivan:localhost"


async def test_logout_deletes_the_device_and_its_keys(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    """Spec, POST /logout: "The device associated with the access token is also deleted.
    Device keys for the device are deleted alongside the device." (Synapse does so.)"""
    other = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    keys = {
        "device_keys": {
            "user_id": alice.user_id,
            "device_id": alice.device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
            "keys": {f"curve25519:{alice.device_id}": "a", f"ed25519:{alice.device_id}": "b"},
            "signatures": {},
        }
    }
    await alice.call("POST", "/keys/upload", json=keys)
    query = {"device_keys": {alice.user_id: []}}
    assert alice.device_id in (await bob.call("POST", "/keys/query", json=query))["device_keys"][alice.user_id]
    await alice.call("POST", "/logout")
    other_headers = {"Authorization": f"Bearer {other['access_token']}"}
    devices = (await client.get(f"{V3}/devices", headers=other_headers)).json()["devices"]
    assert [d["device_id"] for d in devices] == [other["device_id"]]
    assert alice.device_id not in (await bob.call("POST", "/keys/query", json=query))["device_keys"].get(alice.user_id, {})
    await client.post(f"{V3}/logout/all", headers=other_headers)
    again = (await client.post(f"{V3}/login", json=password_login("alice"))).json()
    devices = (
        await client.get(f"{V3}/devices", headers={"Authorization": f"Bearer {again['access_token']}"})
    ).json()["devices"]
    assert [d["device_id"] for d in devices] == [again["device_id"]]
