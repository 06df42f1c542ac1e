"""Server-side key backups: versions, keys for all rooms / one room / one session, etag, count."""

from __future__ import annotations

from typing import Any

from mockserver.homeserver import Homeserver
from tests.api.e2ee_support import refused
from tests.support import Account

ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"
ROOM = "!room:localhost"


def session(index: int = 0, forwarded: int = 0, verified: bool = False, data: str = "x") -> dict[str, Any]:
    return {
        "first_message_index": index,
        "forwarded_count": forwarded,
        "is_verified": verified,
        "session_data": {"ciphertext": data, "ephemeral": "e", "mac": "m"},
    }


async def create(account: Account, public_key: str = "pub") -> str:
    body = {"algorithm": ALGORITHM, "auth_data": {"public_key": public_key}}
    return (await account.call("POST", "/room_keys/version", json=body))["version"]  # type: ignore[no-any-return]


async def test_no_backup_answers_not_found(hs: Homeserver, alice: Account) -> None:
    await refused(hs, alice, "GET", "/room_keys/version", None, 404, "M_NOT_FOUND")
    await refused(hs, alice, "GET", "/room_keys/version/1", None, 404, "M_NOT_FOUND")
    await refused(hs, alice, "GET", "/room_keys/keys", None, 404, "M_NOT_FOUND", {"version": "1"})
    body = {"rooms": {ROOM: {"sessions": {"s": session()}}}}
    await refused(hs, alice, "PUT", "/room_keys/keys", body, 404, "M_NOT_FOUND", {"version": "1"})


async def test_versions_are_created_read_updated_and_deleted(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    first = await create(alice)
    current = await alice.call("GET", "/room_keys/version")
    assert current == {
        "algorithm": ALGORITHM,
        "auth_data": {"public_key": "pub"},
        "count": 0,
        "etag": "0",
        "version": first,
    }
    await refused(hs, bob, "GET", "/room_keys/version", None, 404, "M_NOT_FOUND")
    update = {"algorithm": ALGORITHM, "auth_data": {"public_key": "pub2"}, "version": first}
    assert await alice.call("PUT", f"/room_keys/version/{first}", json=update) == {}
    assert (await alice.call("GET", f"/room_keys/version/{first}"))["auth_data"] == {"public_key": "pub2"}
    mismatch = {**update, "version": "99"}
    await refused(hs, alice, "PUT", f"/room_keys/version/{first}", mismatch, 400, "M_INVALID_PARAM")
    other_algorithm = {**update, "algorithm": "org.example"}
    path = f"/room_keys/version/{first}"
    await refused(hs, alice, "PUT", path, other_algorithm, 400, "M_INVALID_PARAM")
    await refused(hs, alice, "POST", "/room_keys/version", {"auth_data": {}}, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "POST", "/room_keys/version", {"algorithm": ALGORITHM, "auth_data": 1}, 400, "M_BAD_JSON")
    second = await create(alice)
    assert int(second) > int(first)
    assert (await alice.call("GET", "/room_keys/version"))["version"] == second
    assert await alice.call("DELETE", f"/room_keys/version/{second}") == {}
    assert (await alice.call("GET", "/room_keys/version"))["version"] == first
    await refused(hs, alice, "GET", f"/room_keys/version/{second}", None, 404, "M_NOT_FOUND")
    await refused(hs, alice, "DELETE", f"/room_keys/version/{second}", None, 404, "M_NOT_FOUND")
    assert int(await create(alice)) > int(second)  # numbers are never reused


async def test_keys_for_all_rooms_one_room_and_one_session(hs: Homeserver, alice: Account) -> None:
    version = await create(alice)
    q = {"version": version}
    put = await alice.call(
        "PUT", "/room_keys/keys", params=q, json={"rooms": {ROOM: {"sessions": {"a": session()}}}}
    )
    assert put == {"etag": "1", "count": 1}
    put = await alice.call("PUT", f"/room_keys/keys/{ROOM}", params=q, json={"sessions": {"b": session()}})
    assert put == {"etag": "2", "count": 2}
    put = await alice.call("PUT", "/room_keys/keys/!other:localhost/c", params=q, json=session())
    assert put == {"etag": "3", "count": 3}
    everything = await alice.call("GET", "/room_keys/keys", params=q)
    assert set(everything["rooms"]) == {ROOM, "!other:localhost"}
    assert set(everything["rooms"][ROOM]["sessions"]) == {"a", "b"}
    assert await alice.call("GET", f"/room_keys/keys/{ROOM}/a", params=q) == session()
    assert await alice.call("GET", "/room_keys/keys/!empty:localhost", params=q) == {"sessions": {}}
    path = f"/room_keys/keys/{ROOM}/zzz"
    await refused(hs, alice, "GET", path, None, 404, "M_NOT_FOUND", q)
    info = await alice.call("GET", "/room_keys/version")
    assert (info["count"], info["etag"]) == (3, "3")
    assert await alice.call("DELETE", f"/room_keys/keys/{ROOM}/a", params=q) == {"etag": "4", "count": 2}
    assert await alice.call("DELETE", f"/room_keys/keys/{ROOM}", params=q) == {"etag": "5", "count": 1}
    assert await alice.call("DELETE", "/room_keys/keys", params=q) == {"etag": "6", "count": 0}
    assert await alice.call("GET", "/room_keys/keys", params=q) == {"rooms": {}}


async def test_a_stored_session_is_replaced_only_by_a_better_one(alice: Account) -> None:
    version = await create(alice)
    q = {"version": version}
    path = f"/room_keys/keys/{ROOM}/s"

    async def offer(data: dict[str, Any]) -> dict[str, Any]:
        await alice.call("PUT", path, params=q, json=data)
        return await alice.call("GET", path, params=q)  # type: ignore[no-any-return]

    assert (await offer(session(index=5, forwarded=2, data="first")))["session_data"]["ciphertext"] == "first"
    # Worse or equal: kept.
    assert (await offer(session(index=6, data="later index")))["session_data"]["ciphertext"] == "first"
    assert (await offer(session(index=5, forwarded=2, data="tie")))["session_data"]["ciphertext"] == "first"
    # Lower forwarded count at the same index: replaced.
    assert (await offer(session(index=5, forwarded=1, data="fewer hops")))["session_data"]["ciphertext"] == "fewer hops"
    # Lower index: replaced.
    assert (await offer(session(index=2, forwarded=9, data="earlier")))["session_data"]["ciphertext"] == "earlier"
    # Verified beats unverified whatever the index; unverified never beats verified.
    assert (await offer(session(index=9, verified=True, data="verified")))["session_data"]["ciphertext"] == "verified"
    assert (await offer(session(index=0, data="unverified")))["session_data"]["ciphertext"] == "verified"
    info = await alice.call("GET", "/room_keys/version")
    assert (info["count"], info["etag"]) == (1, "4")  # only the four replacements moved it


async def test_writing_to_an_old_version_is_refused(hs: Homeserver, alice: Account) -> None:
    old = await create(alice)
    new = await create(alice)
    body = {"rooms": {ROOM: {"sessions": {"s": session()}}}}
    error = await refused(hs, alice, "PUT", "/room_keys/keys", body, 403, "M_WRONG_ROOM_KEYS_VERSION", {"version": old})
    assert error["current_version"] == new
    # Reading an old version is fine.
    assert await alice.call("GET", "/room_keys/keys", params={"version": old}) == {"rooms": {}}


async def test_bad_key_bodies_are_refused(hs: Homeserver, alice: Account) -> None:
    version = await create(alice)
    q = {"version": version}
    await refused(hs, alice, "PUT", "/room_keys/keys", {"rooms": {}}, 400, "M_MISSING_PARAM")
    for bad in (
        {"rooms": {ROOM: {"sessions": {"s": {**session(), "is_verified": "yes"}}}}},
        {"rooms": {ROOM: {"sessions": {"s": {**session(), "first_message_index": -1}}}}},
        {"rooms": {ROOM: {"sessions": {"s": {"session_data": {}}}}}},
        {"rooms": {ROOM: {"sessions": []}}},
        {"rooms": {ROOM: "x"}},
        {"rooms": []},
    ):
        await refused(hs, alice, "PUT", "/room_keys/keys", bad, 400, "M_BAD_JSON", q)
    await refused(hs, alice, "PUT", f"/room_keys/keys/{ROOM}/s", {"session_data": 1}, 400, "M_BAD_JSON", q)
