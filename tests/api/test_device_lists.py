"""Device lists: who is told (in /sync and GET /keys/changes) that someone's devices changed."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from mockserver.homeserver import Homeserver
from tests.api.e2ee_support import device_keys, login, new_key, refused
from tests.support import V3, Account, assert_error, register

LONG = 60_000


async def synced(account: Account) -> str:
    return (await account.sync())["next_batch"]  # type: ignore[no-any-return]


async def device_lists(account: Account, since: str) -> dict[str, Any]:
    return (await account.sync(since=since))["device_lists"]  # type: ignore[no-any-return]


async def changes(account: Account, since: str, upto: str) -> dict[str, Any]:
    return await account.call("GET", "/keys/changes", params={"from": since, "to": upto})  # type: ignore[no-any-return]


async def test_new_device_keys_reach_room_mates_and_own_devices_only(
    client: httpx.AsyncClient, alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    since = {a.user_id: await synced(a) for a in (alice, bob, carol)}
    assert (await device_lists(alice, since[alice.user_id])) == {"changed": [], "left": []}
    phone = await login(client, "bob")
    assert (await device_lists(alice, since[alice.user_id]))["changed"] == []
    await phone.call("POST", "/keys/upload", json={"device_keys": device_keys(phone, new_key())})
    assert (await device_lists(alice, since[alice.user_id]))["changed"] == [bob.user_id]
    assert (await device_lists(bob, since[bob.user_id]))["changed"] == [bob.user_id]
    assert (await device_lists(carol, since[carol.user_id]))["changed"] == []
    now = (await alice.sync(since=since[alice.user_id]))["next_batch"]
    assert await changes(alice, since[alice.user_id], now) == {"changed": [bob.user_id], "left": []}
    assert await changes(alice, now, now) == {"changed": [], "left": []}
    assert (await device_lists(alice, now)) == {"changed": [], "left": []}


async def test_same_keys_again_tell_no_one(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    keys = device_keys(bob, new_key())
    await bob.call("POST", "/keys/upload", json={"device_keys": keys})
    since = await synced(alice)
    await bob.call("POST", "/keys/upload", json={"device_keys": keys})
    assert (await device_lists(alice, since))["changed"] == []


async def test_joining_and_leaving_a_shared_room(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    since = await synced(alice)
    await bob.join(room)
    assert await device_lists(alice, since) == {"changed": [bob.user_id], "left": []}
    since = await synced(alice)
    await bob.leave(room)
    assert await device_lists(alice, since) == {"changed": [], "left": [bob.user_id]}
    now = await synced(alice)
    assert await changes(alice, since, now) == {"changed": [], "left": [bob.user_id]}


async def test_deleting_a_device_tells_room_mates(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    phone = await login(client, "bob")
    await phone.call("POST", "/keys/upload", json={"device_keys": device_keys(phone, new_key())})
    since = await synced(alice)
    auth = {"type": "m.login.password", "user": "bob", "password": "secret"}
    await bob.call("POST", "/delete_devices", json={"devices": [phone.device_id], "auth": auth})
    assert (await device_lists(alice, since))["changed"] == [bob.user_id]
    queried = await alice.call("POST", "/keys/query", json={"device_keys": {bob.user_id: []}})
    assert phone.device_id not in queried["device_keys"][bob.user_id]


async def test_a_parked_sync_wakes_for_a_device_list_change(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    since = await synced(alice)
    since = (await alice.sync(since=since))["next_batch"]
    answer: dict[str, Any] = {}

    async def wait() -> None:
        answer.update(await alice.sync(since=since, timeout=LONG))

    async with anyio.create_task_group() as tg:
        tg.start_soon(wait)
        with anyio.fail_after(30):
            await hs.notifier.until_total_parked(1)
            await bob.call("POST", "/keys/upload", json={"device_keys": device_keys(bob, new_key())})
    assert answer["device_lists"]["changed"] == [bob.user_id]


async def test_keys_changes_needs_both_tokens_and_known_ones(hs: Homeserver, alice: Account) -> None:
    now = await synced(alice)
    await refused(hs, alice, "GET", "/keys/changes", None, 400, "M_MISSING_PARAM")
    await refused(hs, alice, "GET", "/keys/changes", None, 400, "M_MISSING_PARAM", {"from": now})
    await refused(hs, alice, "GET", "/keys/changes", None, 400, "M_MISSING_PARAM", {"to": now})
    for bad in ("nonsense", "s9_9_9_9_9_9_999", "t1-2_3_4"):
        params = {"from": bad, "to": now}
        await refused(hs, alice, "GET", "/keys/changes", None, 400, "M_INVALID_PARAM", params)


async def test_six_part_token_still_parses(client: httpx.AsyncClient, alice: Account) -> None:
    now = await synced(alice)
    assert now.count("_") == 6
    old_style = now.rsplit("_", 1)[0]
    assert "device_lists" in await alice.sync(since=old_style)
    response = await client.get(
        f"{V3}/keys/changes", params={"from": old_style, "to": now}, headers=alice.headers
    )
    assert response.status_code == 200


async def test_a_user_sharing_no_room_is_not_told(client: httpx.AsyncClient, alice: Account) -> None:
    stranger = await register(client, "stranger")
    since = await synced(stranger)
    await alice.call("POST", "/keys/upload", json={"device_keys": device_keys(alice, new_key())})
    assert (await device_lists(stranger, since))["changed"] == []
    assert_error(
        await client.get(f"{V3}/keys/changes", params={"from": since}, headers=stranger.headers),
        400,
        "M_MISSING_PARAM",
    )
