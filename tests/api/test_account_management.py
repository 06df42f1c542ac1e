"""Password change and deactivation behind user-interactive auth (in process and over a socket)."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


def password_auth(account: Account, session: str, password: str = "secret") -> dict[str, Any]:
    return {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": account.user_id},
        "password": password,
        "session": session,
    }


async def login(client: httpx.AsyncClient, user: str, password: str) -> httpx.Response:
    body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user}, "password": password}
    return await client.post(f"{V3}/login", json=body)


async def test_change_password_asks_for_the_old_one_then_logs_out_other_devices(
    client: httpx.AsyncClient, alice: Account
) -> None:
    other = (await login(client, "alice", "secret")).json()["access_token"]
    first = await alice.call("POST", "/account/password", json={"new_password": "n3w"}, expect=401)
    assert first["flows"] == [{"stages": ["m.login.password"]}] and first["params"] == {}
    done = await alice.call(
        "POST", "/account/password", json={"new_password": "n3w", "auth": password_auth(alice, first["session"])}
    )
    assert done == {}
    assert (await login(client, "alice", "secret")).status_code == 403
    assert (await login(client, "alice", "n3w")).status_code == 200
    gone = await client.get(f"{V3}/account/whoami", headers={"Authorization": f"Bearer {other}"})
    assert_error(gone, 401, "M_UNKNOWN_TOKEN")
    assert (await alice.call("GET", "/account/whoami"))["user_id"] == alice.user_id


async def test_change_password_can_keep_other_devices(client: httpx.AsyncClient, alice: Account) -> None:
    other = (await login(client, "alice", "secret")).json()["access_token"]
    first = await alice.call("POST", "/account/password", json={"new_password": "n3w"}, expect=401)
    body = {"new_password": "n3w", "logout_devices": False, "auth": password_auth(alice, first["session"])}
    await alice.call("POST", "/account/password", json=body)
    kept = await client.get(f"{V3}/account/whoami", headers={"Authorization": f"Bearer {other}"})
    assert kept.status_code == 200


async def test_a_wrong_password_is_refused_with_the_session_to_retry(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account
) -> None:
    first = await alice.call("POST", "/account/deactivate", json={}, expect=401)
    users_before = snapshot(hs.store)["users"]
    wrong = await client.post(
        f"{V3}/account/deactivate",
        json={"auth": password_auth(alice, first["session"], "nope")},
        headers=alice.headers,
    )
    body = assert_error(wrong, 401, "M_FORBIDDEN")
    assert body["session"] == first["session"] and body["flows"] == first["flows"]
    assert snapshot(hs.store)["users"] == users_before
    # The same session, now with the right password, completes.
    await alice.call("POST", "/account/deactivate", json={"auth": password_auth(alice, first["session"])})


async def test_a_session_cannot_be_reused_for_another_operation_or_user(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    first = await alice.call("POST", "/account/deactivate", json={}, expect=401)
    other_op = await client.post(
        f"{V3}/account/password",
        json={"new_password": "x", "auth": password_auth(alice, first["session"])},
        headers=alice.headers,
    )
    assert_error(other_op, 403, "M_FORBIDDEN")
    as_bob = await client.post(
        f"{V3}/account/deactivate", json={"auth": password_auth(alice, first["session"])}, headers=bob.headers
    )
    assert_error(as_bob, 403, "M_FORBIDDEN")
    unknown_stage = await client.post(
        f"{V3}/account/deactivate", json={"auth": {"type": "m.login.sso"}}, headers=alice.headers
    )
    assert_error(unknown_stage, 400, "M_UNRECOGNIZED")
    dummy = await client.post(
        f"{V3}/account/deactivate",
        json={"auth": {"type": "m.login.dummy", "session": first["session"]}},
        headers=alice.headers,
    )
    assert dummy.status_code == 401 and dummy.json()["completed"] == ["m.login.dummy"]


async def test_bad_bodies_are_refused_before_any_auth(client: httpx.AsyncClient, alice: Account) -> None:
    assert_error(await client.post(f"{V3}/account/password", json={}, headers=alice.headers), 400, "M_MISSING_PARAM")
    bad = await client.post(f"{V3}/account/deactivate", json={"erase": "yes"}, headers=alice.headers)
    assert_error(bad, 400, "M_BAD_JSON")


async def test_deactivation_leaves_rooms_and_locks_the_account(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await bob.create_room(preset="public_chat")
    invited_to = await bob.create_room()
    await alice.join(room)
    await bob.invite(invited_to, alice.user_id)
    await alice.call("POST", "/pushers/set", json={
        "kind": "http", "app_id": "a", "app_display_name": "A", "device_display_name": "D",
        "pushkey": "k", "lang": "en", "data": {"url": "https://p.example/_matrix/push/v1/notify"},
    })
    first = await alice.call("POST", "/account/deactivate", json={"erase": True}, expect=401)
    done = await alice.call(
        "POST", "/account/deactivate", json={"erase": True, "auth": password_auth(alice, first["session"])}
    )
    assert done == {"id_server_unbind_result": "no-support"}
    assert_error(await client.get(f"{V3}/account/whoami", headers=alice.headers), 401, "M_UNKNOWN_TOKEN")
    assert_error(await login(client, "alice", "secret"), 403, "M_USER_DEACTIVATED")
    members = await bob.call("GET", f"/rooms/{room}/members")
    memberships = {e["state_key"]: e["content"]["membership"] for e in members["chunk"]}
    assert memberships[alice.user_id] == "leave"
    invited = await bob.call("GET", f"/rooms/{invited_to}/members")
    assert {e["state_key"]: e["content"]["membership"] for e in invited["chunk"]}[alice.user_id] == "leave"
    assert (await client.get(f"{V3}/profile/{alice.user_id}")).json() == {}
    taken = await client.get(f"{V3}/register/available", params={"username": "alice"})
    assert_error(taken, 400, "M_USER_IN_USE")
    assert hs.store.pushers.of(alice.user_id) == []


async def test_register_after_deactivation_is_refused(client: httpx.AsyncClient, alice: Account) -> None:
    first = await alice.call("POST", "/account/deactivate", json={}, expect=401)
    await alice.call("POST", "/account/deactivate", json={"auth": password_auth(alice, first["session"])})
    again = await client.post(
        f"{V3}/register", json={"username": "alice", "password": "x", "auth": {"type": "m.login.dummy"}}
    )
    assert_error(again, 400, "M_USER_IN_USE")


async def test_a_deactivated_account_exports_and_loads_back(client: httpx.AsyncClient, hs: Homeserver) -> None:
    hs.load_fixture({"users": [{"user_id": "@old:localhost", "password": None, "deactivated": True}]}, "old.json")
    assert_error(await login(client, "old", "x"), 403, "M_USER_DEACTIVATED")
    exported = (await client.get("/_mock/export")).json()
    assert exported["users"][0]["deactivated"] is True
