"""The endpoints SDKs call around the core: discovery, account data, aliases, devices, keys, receipts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def refused(
    hs: Homeserver, account: Account, method: str, path: str, body: Any, status: int, errcode: str
) -> None:
    before = snapshot(hs.store)
    response = await account.client.request(method, V3 + path, json=body, headers=account.headers)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


# -- discovery -----------------------------------------------------------------------------


async def test_well_known(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/matrix/client")
    assert response.json() == {"m.homeserver": {"base_url": "http://127.0.0.1:8008"}}


async def test_capabilities(alice: Account) -> None:
    body = await alice.call("GET", "/capabilities")
    versions = body["capabilities"]["m.room_versions"]
    assert versions["default"] == "10"
    assert versions["available"]["10"] == "stable"


@pytest.mark.parametrize("path", ["/pushrules/", "/pushrules"])
async def test_push_rules_with_and_without_slash(alice: Account, path: str) -> None:
    body = await alice.call("GET", path)
    assert set(body["global"]) == {"override", "content", "room", "sender", "underride", "postcontent"}


# -- account data ---------------------------------------------------------------------------


async def test_global_and_room_account_data(alice: Account) -> None:
    room = await alice.create_room()
    base = f"/user/{alice.user_id}"
    assert await alice.call("PUT", f"{base}/account_data/org.example.a", json={"x": 1}) == {}
    assert await alice.call("GET", f"{base}/account_data/org.example.a") == {"x": 1}
    path = f"{base}/rooms/{room}/account_data/org.example.b"
    assert await alice.call("PUT", path, json={"y": 2}) == {}
    assert await alice.call("GET", path) == {"y": 2}
    body = await alice.sync()
    assert {"type": "org.example.a", "content": {"x": 1}} in body["account_data"]["events"]
    room_data = body["rooms"]["join"][room]["account_data"]["events"]
    assert {"type": "org.example.b", "content": {"y": 2}} in room_data


async def test_account_data_refusals(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    own = f"/user/{alice.user_id}"
    await refused(hs, alice, "PUT", f"/user/{bob.user_id}/account_data/x", {}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "GET", f"/user/{bob.user_id}/account_data/x", None, 403, "M_FORBIDDEN")
    await refused(hs, alice, "GET", f"{own}/account_data/unset", None, 404, "M_NOT_FOUND")
    await refused(hs, alice, "PUT", f"{own}/account_data/x", [], 400, "M_BAD_JSON")
    await refused(hs, alice, "PUT", f"{own}/account_data/m.fully_read", {}, 400, "M_BAD_JSON")
    await refused(
        hs, alice, "PUT", f"{own}/account_data/x", {"a": "x" * 70000}, 413, "M_TOO_LARGE"
    )
    await refused(
        hs, alice, "PUT", f"{own}/rooms/!unknown:localhost/account_data/x", {}, 403, "M_FORBIDDEN"
    )
    await refused(hs, alice, "PUT", f"{own}/rooms/bad/account_data/x", {}, 400, "M_INVALID_PARAM")
    await refused(hs, alice, "GET", f"{own}/rooms/{room}/account_data/x", None, 404, "M_NOT_FOUND")


async def test_tags(hs: Homeserver, alice: Account) -> None:
    room = await alice.create_room()
    base = f"/user/{alice.user_id}/rooms/{room}/tags"
    assert await alice.call("GET", base) == {"tags": {}}
    await alice.call("PUT", f"{base}/u.work", json={"order": 0.5})
    await alice.call("PUT", f"{base}/m.favourite", json={})
    assert await alice.call("GET", base) == {"tags": {"u.work": {"order": 0.5}, "m.favourite": {}}}
    await alice.call("DELETE", f"{base}/u.work")
    assert await alice.call("GET", base) == {"tags": {"m.favourite": {}}}
    await refused(hs, alice, "PUT", f"{base}/u.bad", {"order": "first"}, 400, "M_BAD_JSON")


# -- aliases and the directory ---------------------------------------------------------


async def test_aliases(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    alias = "/directory/room/%23side:localhost"
    assert await alice.call("PUT", alias, json={"room_id": room}) == {}
    assert await bob.call("GET", alias) == {"room_id": room, "servers": ["localhost"]}
    await refused(hs, alice, "PUT", alias, {"room_id": room}, 400, "M_ROOM_IN_USE")
    await refused(hs, alice, "PUT", "/directory/room/%23x:elsewhere", {"room_id": room}, 400, "M_INVALID_PARAM")
    await refused(hs, alice, "PUT", "/directory/room/%23y:localhost", {"room_id": "!no:localhost"}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "PUT", "/directory/room/%23y:localhost", {}, 400, "M_MISSING_PARAM")
    await refused(hs, bob, "DELETE", alias, None, 403, "M_FORBIDDEN")
    assert await alice.call("DELETE", alias) == {}
    await refused(hs, alice, "GET", alias, None, 404, "M_NOT_FOUND")


async def test_room_directory_visibility(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    path = f"/directory/list/room/{room}"
    public = await alice.client.get(V3 + path)  # no token needed
    assert public.json() == {"visibility": "private"}
    await alice.call("PUT", path, json={"visibility": "public"})
    assert (await alice.call("GET", path)) == {"visibility": "public"}
    listed = await bob.call("GET", "/publicRooms")
    assert [entry["room_id"] for entry in listed["chunk"]] == [room]
    assert listed["chunk"][0]["num_joined_members"] == 1
    await refused(hs, bob, "PUT", path, {"visibility": "private"}, 403, "M_FORBIDDEN")
    await refused(hs, alice, "PUT", path, {"visibility": "hidden"}, 400, "M_BAD_JSON")


# -- devices -----------------------------------------------------------------------------------


async def test_devices(client: httpx.AsyncClient, alice: Account) -> None:
    devices = await alice.call("GET", "/devices")
    assert [d["device_id"] for d in devices["devices"]] == [alice.device_id]
    await alice.call("PUT", f"/devices/{alice.device_id}", json={"display_name": "Laptop"})
    assert (await alice.call("GET", f"/devices/{alice.device_id}"))["display_name"] == "Laptop"
    missing = await client.get(f"{V3}/devices/NOPE", headers=alice.headers)
    assert_error(missing, 404, "M_NOT_FOUND")
    first = await client.request("DELETE", f"{V3}/devices/{alice.device_id}", json={}, headers=alice.headers)
    assert first.status_code == 401
    assert first.json()["flows"] == [{"stages": ["m.login.dummy"]}]
    done = await client.request(
        "DELETE",
        f"{V3}/devices/{alice.device_id}",
        json={"auth": {"type": "m.login.dummy", "session": first.json()["session"]}},
        headers=alice.headers,
    )
    assert done.status_code == 200
    gone = await client.get(f"{V3}/account/whoami", headers=alice.headers)
    assert_error(gone, 401, "M_UNKNOWN_TOKEN")


# -- keys and to-device --------------------------------------------------------------------


async def test_keys_upload_query_claim(alice: Account, bob: Account) -> None:
    device_keys = {"user_id": alice.user_id, "device_id": alice.device_id, "keys": {"ed25519:X": "k"}}
    uploaded = await alice.call(
        "POST",
        "/keys/upload",
        json={"device_keys": device_keys, "one_time_keys": {"signed_curve25519:AAA": {"key": "o"}}},
    )
    assert uploaded == {"one_time_key_counts": {"signed_curve25519": 1}}
    queried = await bob.call("POST", "/keys/query", json={"device_keys": {alice.user_id: []}})
    assert queried["device_keys"][alice.user_id][alice.device_id] == device_keys
    claimed = await bob.call(
        "POST", "/keys/claim",
        json={"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}},
    )
    assert claimed["one_time_keys"][alice.user_id][alice.device_id] == {
        "signed_curve25519:AAA": {"key": "o"}
    }
    counts = await alice.call("POST", "/keys/upload", json={})
    assert counts == {"one_time_key_counts": {"signed_curve25519": 0}}


async def test_send_to_device_reaches_sync_once(alice: Account, bob: Account) -> None:
    first = await bob.sync()
    body = {"messages": {bob.user_id: {bob.device_id: {"hello": "there"}}}}
    await alice.call("PUT", "/sendToDevice/org.example.ping/t1", json=body)
    await alice.call("PUT", "/sendToDevice/org.example.ping/t1", json=body)
    later = await bob.sync(since=first["next_batch"])
    events = later["to_device"]["events"]
    assert events == [{"type": "org.example.ping", "sender": alice.user_id, "content": {"hello": "there"}}]


# -- receipts and read markers -------------------------------------------------------------


async def test_receipts_and_read_markers(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    event_id = await alice.send(room, "read me")
    assert await bob.call("POST", f"/rooms/{room}/receipt/m.read/{event_id}", json={}) == {}
    body = {"m.fully_read": event_id, "m.read.private": event_id}
    assert await bob.call("POST", f"/rooms/{room}/read_markers", json=body) == {}
    fully_read = await bob.call("GET", f"/user/{bob.user_id}/rooms/{room}/account_data/m.fully_read")
    assert fully_read == {"event_id": event_id}
    await refused(hs, bob, "POST", f"/rooms/{room}/receipt/m.read/$nope", {}, 404, "M_NOT_FOUND")
    await refused(hs, bob, "POST", f"/rooms/{room}/receipt/m.unknown/{event_id}", {}, 400, "M_INVALID_PARAM")
    await refused(hs, bob, "POST", f"/rooms/{room}/read_markers", {}, 400, "M_BAD_JSON")
    outsider = await alice.create_room()
    await refused(hs, bob, "POST", f"/rooms/{outsider}/receipt/m.read/{event_id}", {}, 403, "M_FORBIDDEN")
