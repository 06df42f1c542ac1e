"""Deleting devices needs the user's password (user-interactive auth), and removes their keys."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.api.e2ee_support import device_keys, login, new_key, refused
from tests.snapshot import snapshot
from tests.support import V3, Account

ALG = "signed_curve25519"


def password(session: str | None = None, secret: str = "secret", user: str = "alice") -> dict[str, Any]:
    auth: dict[str, Any] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": secret,
    }
    if session is not None:
        auth["session"] = session
    return auth


async def test_delete_without_passing_auth_deletes_nothing(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    phone = await login(client, "alice")
    url = f"{V3}/devices/{phone.device_id}"
    for body in ({}, {"auth": {}}, {"auth": {"session": "nope"}}, {"auth": password(secret="x")}):
        before = snapshot(hs.store)
        answer = await client.request("DELETE", url, json=body, headers=alice.headers)
        after = snapshot(hs.store)
        assert answer.status_code in (400, 401), answer.text
        assert after == before
    challenge = (await client.request("DELETE", url, json={}, headers=alice.headers)).json()
    assert challenge["flows"] == [{"stages": ["m.login.password"]}]
    assert set(challenge) == {"flows", "params", "session"}
    wrong = await client.request(
        "DELETE", url, json={"auth": password(challenge["session"], "wrong")}, headers=alice.headers
    )
    assert wrong.status_code == 401
    assert wrong.json()["errcode"] == "M_FORBIDDEN"
    assert wrong.json()["session"] == challenge["session"]
    dummy = await client.request(
        "DELETE", url, json={"auth": {"type": "m.login.dummy"}}, headers=alice.headers
    )
    assert dummy.status_code == 401  # not a stage that completes the password flow
    path = f"/devices/{phone.device_id}"
    await refused(hs, alice, "DELETE", path, {"auth": {"type": "m.login.bogus"}}, 400, "M_UNRECOGNIZED")
    await refused(hs, alice, "DELETE", f"/devices/{phone.device_id}", {"auth": password(user="bob")}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "DELETE", f"/devices/{phone.device_id}", {"auth": 1}, 400, "M_BAD_JSON")
    await refused(hs, alice, "DELETE", "/devices/NOSUCH", {"auth": password()}, 404, "M_NOT_FOUND")
    assert (await phone.call("GET", "/account/whoami"))["device_id"] == phone.device_id


async def test_delete_with_password_removes_the_device_and_its_keys(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    phone = await login(client, "alice")
    upload = {
        "device_keys": device_keys(phone, new_key()),
        "one_time_keys": {f"{ALG}:A": {"key": "a"}},
    }
    await phone.call("POST", "/keys/upload", json=upload)
    url = f"{V3}/devices/{phone.device_id}"
    session = (await client.request("DELETE", url, json={}, headers=alice.headers)).json()["session"]
    done = await client.request("DELETE", url, json={"auth": password(session)}, headers=alice.headers)
    assert done.status_code == 200, done.text
    assert (await phone.client.get(f"{V3}/account/whoami", headers=phone.headers)).status_code == 401
    devices = (await alice.call("GET", "/devices"))["devices"]
    assert [d["device_id"] for d in devices] == [alice.device_id]
    queried = await bob.call("POST", "/keys/query", json={"device_keys": {alice.user_id: []}})
    assert queried["device_keys"][alice.user_id] == {}
    claim = {"one_time_keys": {alice.user_id: {phone.device_id: ALG}}}
    assert (await bob.call("POST", "/keys/claim", json=claim))["one_time_keys"] == {}
    # A session belongs to its operation: it cannot delete another device.
    other = await client.request("DELETE", f"{V3}/devices/{alice.device_id}", json={}, headers=alice.headers)
    bound = other.json()["session"]
    moved = await client.post(
        f"{V3}/delete_devices",
        json={"devices": [alice.device_id], "auth": password(bound)},
        headers=alice.headers,
    )
    assert moved.status_code == 403


async def test_delete_devices_in_bulk(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    phone, tablet = await login(client, "alice"), await login(client, "alice")
    targets = [phone.device_id, tablet.device_id, "UNKNOWN"]
    asked = await client.post(f"{V3}/delete_devices", json={"devices": targets}, headers=alice.headers)
    assert asked.status_code == 401
    await refused(hs, alice, "POST", "/delete_devices", {"auth": password()}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "POST", "/delete_devices", {"devices": [1], "auth": password()}, 400, "M_BAD_JSON")
    await alice.call("POST", "/delete_devices", json={"devices": targets, "auth": password()})
    devices = (await alice.call("GET", "/devices"))["devices"]
    assert [d["device_id"] for d in devices] == [alice.device_id]


async def test_a_user_without_password_is_offered_the_dummy_stage(hs: Homeserver, client: httpx.AsyncClient) -> None:
    hs.store.create_user("@robot:localhost", None)
    session = hs.store.new_session("@robot:localhost", "BOT")
    headers = {"Authorization": f"Bearer {session.access_token}"}
    asked = await client.request("DELETE", f"{V3}/devices/BOT", json={}, headers=headers)
    assert asked.json()["flows"] == [{"stages": ["m.login.dummy"]}]
    done = await client.request("DELETE", f"{V3}/devices/BOT", json={"auth": {"type": "m.login.dummy"}}, headers=headers)
    assert done.status_code == 200
