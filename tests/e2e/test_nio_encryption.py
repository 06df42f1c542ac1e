"""matrix-nio with vodozemac, encrypting for real over a socket: two users, then a device
bob adds later, which alice learns of from device_lists and shares the room key with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    RegisterResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from tests.e2e.conftest import Live

CONFIG = AsyncClientConfig(store_sync_tokens=False, encryption_enabled=True)
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@pytest.fixture
async def opened() -> AsyncIterator[list[AsyncClient]]:
    clients: list[AsyncClient] = []
    yield clients
    for client in clients:
        await client.close()


async def keys_traffic(client: AsyncClient) -> None:
    """Whatever key requests nio asks for after a sync: upload, query, claim."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())


async def settle(client: AsyncClient, timeout: int = 0) -> None:
    synced = await client.sync(timeout=timeout)
    assert isinstance(synced, SyncResponse), synced
    await keys_traffic(client)


async def until(client: AsyncClient, condition: Callable[[], bool], what: str) -> None:
    """Long-poll until ``condition`` holds (the server answers as soon as anything moves)."""
    try:
        with anyio.fail_after(60):
            await keys_traffic(client)
            while not condition():
                await settle(client, timeout=10_000)
    except TimeoutError:
        raise AssertionError(f"timed out waiting until {what}") from None


def decrypted(client: AsyncClient, room_id: str) -> Callable[[], list[str]]:
    """The bodies of the messages ``client`` has decrypted in the room, as they arrive."""
    bodies: list[str] = []

    async def on_message(room: object, event: RoomMessageText) -> None:
        if getattr(room, "room_id", None) == room_id and event.decrypted:
            bodies.append(event.body)

    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    return lambda: bodies


async def test_nio_encrypts_for_a_device_added_later(
    live: Live, opened: list[AsyncClient], tmp_path: Path
) -> None:
    def client(name: str, user: str = "") -> AsyncClient:
        store = tmp_path / name
        store.mkdir()
        made = AsyncClient(live.base_url, user, store_path=str(store), config=CONFIG)
        opened.append(made)
        return made

    alice, bob = client("alice"), client("bob")
    assert isinstance(await alice.register("alice", "secret", "alice's laptop"), RegisterResponse)
    assert isinstance(await bob.register("bob", "secret", "bob's phone"), RegisterResponse)
    for account in (alice, bob):
        await settle(account)
    created = await alice.room_create(invite=[bob.user_id], initial_state=[ENCRYPTION])
    assert isinstance(created, RoomCreateResponse)
    room_id = created.room_id
    await until(bob, lambda: room_id in bob.invited_rooms, "bob is invited")
    await bob.join(room_id)
    await until(
        alice,
        lambda: room_id in alice.rooms and bob.user_id in alice.rooms[room_id].users,
        "alice sees bob join",
    )
    await until(
        alice,
        lambda: bob.device_id in alice.device_store[bob.user_id],
        "alice knows bob's phone",
    )
    bob_read = decrypted(bob, room_id)

    first = await alice.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "first"},
        ignore_unverified_devices=True,
    )
    assert isinstance(first, RoomSendResponse), first
    await until(bob, lambda: "first" in bob_read(), "bob's phone decrypts the first message")

    # bob logs in a tablet, which uploads its keys; alice learns of it from device_lists.
    tablet = client("tablet", bob.user_id)
    assert isinstance(await tablet.login("secret", device_name="bob's tablet"), LoginResponse)
    await settle(tablet)
    tablet_read = decrypted(tablet, room_id)
    await until(
        alice,
        lambda: tablet.device_id in alice.device_store[bob.user_id],
        "alice's device list of bob has the tablet",
    )
    second = await alice.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "second"},
        ignore_unverified_devices=True,
    )
    assert isinstance(second, RoomSendResponse), second
    await until(tablet, lambda: "second" in tablet_read(), "bob's tablet decrypts the second message")
    await until(bob, lambda: "second" in bob_read(), "bob's phone decrypts the second message")
    assert "first" not in tablet_read()  # sent before the tablet existed
    live.audit.assert_clean()
