"""Cross-signing with real ed25519 keys: upload, replace behind UIA, signatures, query."""

from __future__ import annotations

from typing import Any

import httpx
from signedjson.key import SigningKey

from mockserver.homeserver import Homeserver
from tests.api.e2ee_support import (
    cross_signing_key,
    device_keys,
    new_key,
    public,
    refused,
    sign,
)
from tests.snapshot import snapshot
from tests.support import V3, Account

PASSWORD_AUTH = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "alice"}}


class Identity:
    """A user's three cross-signing keys (private halves kept by the test, as a client would)."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.master, self.self_signing, self.user_signing = new_key(), new_key(), new_key()

    def body(self) -> dict[str, Any]:
        return {
            "master_key": cross_signing_key(self.user_id, "master", self.master),
            "self_signing_key": cross_signing_key(
                self.user_id, "self_signing", self.self_signing, self.master
            ),
            "user_signing_key": cross_signing_key(
                self.user_id, "user_signing", self.user_signing, self.master
            ),
        }


async def set_up(account: Account, device_key: SigningKey) -> tuple[Identity, dict[str, Any]]:
    keys = device_keys(account, device_key)
    await account.call("POST", "/keys/upload", json={"device_keys": keys})
    identity = Identity(account.user_id)
    assert await account.call("POST", "/keys/device_signing/upload", json=identity.body()) == {}
    return identity, keys


async def query(account: Account, *users: str) -> dict[str, Any]:
    body = {"device_keys": {user: [] for user in users}}
    return await account.call("POST", "/keys/query", json=body)  # type: ignore[no-any-return]


async def test_first_upload_needs_no_auth_and_query_shows_keys(alice: Account, bob: Account) -> None:
    identity, _ = await set_up(alice, new_key())
    own = await query(alice, alice.user_id)
    master = own["master_keys"][alice.user_id]
    assert master["keys"] == {f"ed25519:{public(identity.master)}": public(identity.master)}
    assert own["self_signing_keys"][alice.user_id]["usage"] == ["self_signing"]
    assert own["user_signing_keys"][alice.user_id]["usage"] == ["user_signing"]
    other = await query(bob, alice.user_id)
    assert other["master_keys"][alice.user_id] == master
    assert alice.user_id in other["self_signing_keys"]
    assert other["user_signing_keys"] == {}
    # The same keys again are not a replacement: no auth asked.
    assert await alice.call("POST", "/keys/device_signing/upload", json=identity.body()) == {}


async def test_replacing_keys_needs_the_password(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    old, _ = await set_up(alice, new_key())
    new = Identity(alice.user_id)
    url = f"{V3}/keys/device_signing/upload"
    asked = await client.post(url, json=new.body(), headers=alice.headers)
    assert asked.status_code == 401
    challenge = asked.json()
    assert challenge["flows"] == [{"stages": ["m.login.password"]}]
    wrong = {**PASSWORD_AUTH, "password": "nope", "session": challenge["session"]}
    denied = await client.post(url, json={**new.body(), "auth": wrong}, headers=alice.headers)
    assert denied.status_code == 401 and denied.json()["errcode"] == "M_FORBIDDEN"
    assert (await query(alice, alice.user_id))["master_keys"][alice.user_id]["keys"] == {
        f"ed25519:{public(old.master)}": public(old.master)
    }
    right = {**PASSWORD_AUTH, "password": "secret", "session": challenge["session"]}
    done = await client.post(url, json={**new.body(), "auth": right}, headers=alice.headers)
    assert done.status_code == 200, done.text
    master = (await query(alice, alice.user_id))["master_keys"][alice.user_id]
    assert master["keys"] == {f"ed25519:{public(new.master)}": public(new.master)}


async def test_bad_cross_signing_keys_are_refused(hs: Homeserver, alice: Account) -> None:
    identity = Identity(alice.user_id)
    path = "/keys/device_signing/upload"
    unsigned = {
        **identity.body(),
        "self_signing_key": cross_signing_key(alice.user_id, "self_signing", identity.self_signing),
    }
    await refused(hs, alice, "POST", path, unsigned, 400, "M_INVALID_SIGNATURE")
    wrong_usage = {"master_key": cross_signing_key(alice.user_id, "self_signing", identity.master)}
    await refused(hs, alice, "POST", path, wrong_usage, 400, "M_INVALID_PARAM")
    foreign = {"master_key": cross_signing_key("@bob:localhost", "master", identity.master)}
    await refused(hs, alice, "POST", path, foreign, 400, "M_INVALID_PARAM")
    no_master = {"self_signing_key": identity.body()["self_signing_key"]}
    await refused(hs, alice, "POST", path, no_master, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "POST", path, {"master_key": "x"}, 400, "M_BAD_JSON")


async def test_signatures_upload_signs_devices_and_master_keys(alice: Account, bob: Account) -> None:
    device_key = new_key()
    identity, keys = await set_up(alice, device_key)
    bob_identity, _ = await set_up(bob, new_key())
    master = (await query(alice, alice.user_id))["master_keys"][alice.user_id]
    bob_master = (await query(alice, bob.user_id))["master_keys"][bob.user_id]
    body = {
        alice.user_id: {
            alice.device_id: sign(
                keys, alice.user_id, identity.self_signing, public(identity.self_signing)
            ),
            public(identity.master): sign(master, alice.user_id, device_key, alice.device_id),
        },
        bob.user_id: {
            public(bob_identity.master): sign(
                bob_master, alice.user_id, identity.user_signing, public(identity.user_signing)
            ),
        },
    }
    assert await alice.call("POST", "/keys/signatures/upload", json=body) == {"failures": {}}
    seen_by_bob = await query(bob, alice.user_id, bob.user_id)
    device = seen_by_bob["device_keys"][alice.user_id][alice.device_id]
    assert f"ed25519:{public(identity.self_signing)}" in device["signatures"][alice.user_id]
    assert f"ed25519:{alice.device_id}" in device["signatures"][alice.user_id]
    shown_master = seen_by_bob["master_keys"][alice.user_id]
    assert f"ed25519:{alice.device_id}" in shown_master["signatures"][alice.user_id]
    # alice's signature of bob's master key is hers alone to see.
    assert alice.user_id not in seen_by_bob["master_keys"][bob.user_id].get("signatures", {})
    seen_by_alice = await query(alice, bob.user_id)
    assert f"ed25519:{public(identity.user_signing)}" in (
        seen_by_alice["master_keys"][bob.user_id]["signatures"][alice.user_id]
    )


async def test_bad_signatures_are_reported_as_failures(hs: Homeserver, alice: Account) -> None:
    identity, keys = await set_up(alice, new_key())
    forged = sign(keys, alice.user_id, new_key(), public(identity.self_signing))
    ssk_name = public(identity.self_signing)
    changed = sign({**keys, "algorithms": ["x"]}, alice.user_id, identity.self_signing, ssk_name)
    body = {
        alice.user_id: {alice.device_id: forged, "NOSUCHDEVICE": forged},
        "@bob:localhost": {"somekey": forged},
    }
    before = snapshot(hs.store)
    answer = await alice.call("POST", "/keys/signatures/upload", json=body)
    failures = answer["failures"]
    assert failures[alice.user_id][alice.device_id]["errcode"] == "M_INVALID_SIGNATURE"
    assert failures[alice.user_id]["NOSUCHDEVICE"]["errcode"] == "M_NOT_FOUND"
    assert failures["@bob:localhost"]["somekey"]["errcode"] == "M_NOT_FOUND"
    body = {alice.user_id: {alice.device_id: changed}}
    answer = await alice.call("POST", "/keys/signatures/upload", json=body)
    assert answer["failures"][alice.user_id][alice.device_id]["errcode"] == "M_INVALID_PARAM"
    assert snapshot(hs.store) == before
    await refused(hs, alice, "POST", "/keys/signatures/upload", {alice.user_id: 1}, 400, "M_BAD_JSON")


async def test_master_key_change_reaches_room_mates(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    since = (await bob.sync())["next_batch"]
    await set_up(alice, new_key())
    assert (await bob.sync(since=since))["device_lists"]["changed"] == [alice.user_id]
