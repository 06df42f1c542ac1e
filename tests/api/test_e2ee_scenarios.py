"""Encryption state in scenarios: exported, loaded back the same, refused when wrong, reset."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonschema
import pytest

from mockserver.homeserver import Homeserver
from mockserver.scenarios import ScenarioError
from tests.api.e2ee_support import cross_signing_key, device_keys, new_key, public, sign
from tests.scenario_docs import FIXTURES, client_for, frozen_homeserver, load_json
from tests.snapshot import snapshot
from tests.support import Account, register

SCHEMA = FIXTURES / "scenario.schema.json"
ALG = "signed_curve25519"
BACKUP = "m.megolm_backup.v1.curve25519-aes-sha2"
SESSION = {
    "first_message_index": 0,
    "forwarded_count": 0,
    "is_verified": True,
    "session_data": {"ciphertext": "c", "ephemeral": "e", "mac": "m"},
}


async def _build(client: httpx.AsyncClient) -> list[Account]:
    alice, bob = await register(client, "alice"), await register(client, "bob")
    device_key, master, self_signing = new_key(), new_key(), new_key()
    keys = device_keys(alice, device_key)
    upload = {
        "device_keys": keys,
        "one_time_keys": {f"{ALG}:A": {"key": "a"}},
        "fallback_keys": {f"{ALG}:F": {"key": "f", "fallback": True}},
    }
    await alice.call("POST", "/keys/upload", json=upload)
    await bob.call("POST", "/keys/upload", json={"fallback_keys": {f"{ALG}:G": {"key": "g"}}})
    claim = {"one_time_keys": {bob.user_id: {bob.device_id: ALG}}}
    await alice.call("POST", "/keys/claim", json=claim)  # bob's fallback key is now used
    body = {
        "master_key": cross_signing_key(alice.user_id, "master", master),
        "self_signing_key": cross_signing_key(alice.user_id, "self_signing", self_signing, master),
    }
    await alice.call("POST", "/keys/device_signing/upload", json=body)
    signed = sign(keys, alice.user_id, self_signing, public(self_signing))
    signatures = {alice.user_id: {alice.device_id: signed}}
    assert await alice.call("POST", "/keys/signatures/upload", json=signatures) == {"failures": {}}
    version_body = {"algorithm": BACKUP, "auth_data": {"public_key": "p"}}
    await alice.call("POST", "/room_keys/version", json=version_body)
    version = (await alice.call("POST", "/room_keys/version", json=version_body))["version"]
    await alice.call(
        "PUT", "/room_keys/keys/!r:localhost/s", params={"version": version}, json=SESSION
    )
    return [alice, bob]


async def _answers(accounts: list[Account]) -> list[Any]:
    alice, bob = accounts
    everyone = {"device_keys": {alice.user_id: [], bob.user_id: []}}
    return [
        await alice.call("POST", "/keys/query", json=everyone),
        await bob.call("POST", "/keys/query", json=everyone),
        (await bob.sync())["device_unused_fallback_key_types"],
        (await alice.sync())["device_unused_fallback_key_types"],
        await alice.call("GET", "/room_keys/version"),
        await alice.call("GET", "/room_keys/keys", params={"version": "2"}),
        await alice.call("GET", "/room_keys/version/1"),
    ]


async def test_encryption_state_survives_export_and_load() -> None:
    original = frozen_homeserver()
    async with client_for(original) as client:
        accounts = await _build(client)
        exported = (await client.get("/_mock/export")).json()
        expected = await _answers(accounts)
    schema = jsonschema.Draft202012Validator(load_json(SCHEMA))
    assert [e.message for e in schema.iter_errors(exported)] == []
    assert [e.message for e in schema.iter_errors(_world())] == []
    alice_entry = next(u for u in exported["users"] if u["user_id"] == "@alice:localhost")
    assert set(alice_entry) >= {"cross_signing", "signatures", "key_backup"}
    assert expected[2] == [] and expected[3] == [ALG]
    copied = frozen_homeserver(at=original.clock.now_ms(), seed="another seed")
    copied.load_fixture(copy.deepcopy(exported), "export.json")
    async with client_for(copied) as client:
        assert (await client.get("/_mock/export")).json() == exported
        moved = [Account(client, a.user_id, a.access_token, a.device_id) for a in accounts]
        assert await _answers(moved) == expected
        # A reset to the loaded scenario brings it back; an empty one forgets all of it.
        assert (await client.post("/_mock/reset", json={})).status_code == 200
        assert (await client.get("/_mock/export")).json() == exported
        assert (await client.post("/_mock/reset", json={"fixtures": False})).status_code == 200
    assert copied.store.key_backups.users == {}
    assert copied.store.cross_signing.keys == {}
    assert copied.store.device_lists.entries == []


def _world() -> dict[str, Any]:
    master, self_signing = new_key(), new_key()
    return {
        "users": [
            {
                "user_id": "@alice:localhost",
                "devices": [
                    {
                        "device_id": "LAPTOP",
                        "access_token": "alice-token",
                        "fallback_keys": {f"{ALG}:F": {"key": "f"}},
                        "used_fallback_keys": [f"{ALG}:F"],
                    }
                ],
                "cross_signing": {
                    "master_key": cross_signing_key("@alice:localhost", "master", master),
                    "self_signing_key": cross_signing_key(
                        "@alice:localhost", "self_signing", self_signing, master
                    ),
                },
                "key_backup": [
                    {
                        "version": "3",
                        "algorithm": BACKUP,
                        "auth_data": {},
                        "rooms": {"!r:localhost": {"sessions": {"s": SESSION}}},
                    }
                ],
            }
        ]
    }


async def test_a_scenario_sets_up_keys_and_backups(hs: Homeserver, client: httpx.AsyncClient) -> None:
    hs.load_fixture(_world(), "world.json")
    alice = Account(client, "@alice:localhost", "alice-token", "LAPTOP")
    assert (await alice.sync())["device_unused_fallback_key_types"] == []
    assert (await alice.call("GET", "/room_keys/version"))["count"] == 1
    version = {"algorithm": BACKUP, "auth_data": {}}
    assert (await alice.call("POST", "/room_keys/version", json=version))["version"] == "4"
    queried = await alice.call("POST", "/keys/query", json={"device_keys": {alice.user_id: []}})
    assert alice.user_id in queried["self_signing_keys"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda u: u["devices"][0].update(keys={"user_id": "@bob:localhost"}), "devices[0].keys"),
        (lambda u: u["devices"][0].pop("device_id"), "devices[0]"),
        (lambda u: u["devices"][0].update(used_fallback_keys=["nope"]), "used_fallback_keys[0]"),
        (lambda u: u["devices"][0].update(one_time_keys={"nocolon": {}}), "one_time_keys"),
        (
            lambda u: u["cross_signing"].update(
                self_signing_key=cross_signing_key(u["user_id"], "self_signing", new_key())
            ),
            "cross_signing",
        ),
        (lambda u: u["cross_signing"].update(other={}), "cross_signing.other"),
        (lambda u: u["key_backup"][0].update(version="01"), "key_backup[0].version"),
        (lambda u: u["key_backup"].append(dict(u["key_backup"][0])), "key_backup[1].version"),
        (lambda u: u["key_backup"][0]["rooms"].update(x={"sessions": {"s": {}}}), "rooms"),
        (lambda u: u.update(signatures={"@a:localhost": {"K": {"ed25519:K": 1}}}), "signatures"),
    ],
)
def test_wrong_encryption_state_is_refused_with_its_path(
    hs: Homeserver, change: Any, where: str
) -> None:
    document = _world()
    change(document["users"][0])
    before = snapshot(hs.store)
    with pytest.raises(ScenarioError) as caught:
        hs.load_fixture(document, "bad.json")
    assert where in str(caught.value)
    assert snapshot(hs.store) == before
