"""Helpers for the encryption tests: real ed25519 keys (signedjson), devices, refusals."""

from __future__ import annotations

from typing import Any

import httpx
from signedjson.key import SigningKey, encode_verify_key_base64, generate_signing_key
from signedjson.sign import sign_json

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


def new_key() -> SigningKey:
    return generate_signing_key("")


def public(key: SigningKey) -> str:
    return str(encode_verify_key_base64(key.verify_key))


async def login(client: httpx.AsyncClient, user: str, device_id: str | None = None) -> Account:
    body: dict[str, Any] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": "secret",
        "initial_device_display_name": f"{user}'s other device",
    }
    if device_id is not None:
        body["device_id"] = device_id
    response = await client.post(f"{V3}/login", json=body)
    assert response.status_code == 200, response.text
    found = response.json()
    return Account(client, found["user_id"], found["access_token"], found["device_id"])


def device_keys(account: Account, key: SigningKey) -> dict[str, Any]:
    """The account's device keys, self-signed with ``key`` as its ed25519 key."""
    keys = {
        "user_id": account.user_id,
        "device_id": account.device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {
            f"ed25519:{account.device_id}": public(key),
            f"curve25519:{account.device_id}": public(new_key()),
        },
    }
    signed: dict[str, Any] = sign_json(keys, account.user_id, _named(key, account.device_id))
    return signed


def cross_signing_key(
    user_id: str, usage: str, key: SigningKey, signer: SigningKey | None = None
) -> dict[str, Any]:
    """A CrossSigningKey of ``user_id``, signed by ``signer`` (the master key) if given."""
    body = {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public(key)}": public(key)}}
    if signer is None:
        return body
    signed: dict[str, Any] = sign_json(body, user_id, _named(signer, public(signer)))
    return signed


def _named(key: SigningKey, version: str) -> SigningKey:
    key.version = version
    key.alg = "ed25519"
    return key


def sign(value: dict[str, Any], user_id: str, key: SigningKey, key_name: str) -> dict[str, Any]:
    """``value`` (a copy) with one more signature by ``user_id``'s ``ed25519:<key_name>``."""
    copied = {k: v for k, v in value.items() if k != "unsigned"}
    copied["signatures"] = {u: dict(s) for u, s in value.get("signatures", {}).items()}
    signed: dict[str, Any] = sign_json(copied, user_id, _named(key, key_name))
    return signed


async def refused(
    hs: Homeserver,
    account: Account,
    method: str,
    path: str,
    body: Any,
    status: int,
    errcode: str,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Make a request the server must refuse, and check it changed nothing."""
    before = snapshot(hs.store)
    response = await account.client.request(
        method, V3 + path, json=body, params=params, headers=account.headers
    )
    error = assert_error(response, status, errcode)
    assert snapshot(hs.store) == before
    return error
