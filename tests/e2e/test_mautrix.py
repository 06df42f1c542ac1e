"""mautrix-python's Client against mockserver over a real socket, as a bot would use it.

mautrix deserialises every event of a sync into its typed classes and logs
a warning for any it cannot parse, a failed sync request or a failed
handler; the test fails on any warning from mautrix's loggers, so mautrix
accepts every response served.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mautrix.api import Method, Path
from mautrix.client import Client
from mautrix.types import (
    EventType,
    Filter,
    MatrixUserIdentifier,
    Membership,
    MessageEvent,
    PaginationDirection,
    ReceiptEvent,
    ReceiptType,
    RoomEventFilter,
    RoomFilter,
    RoomID,
    StateEvent,
    StrippedStateEvent,
    TypingEvent,
    UserID,
)

from tests.e2e.conftest import Live
from tests.e2e.waiting import Changes


@pytest.fixture
async def clients(live: Live) -> AsyncIterator[list[Client]]:
    """Clients the test opens; their syncing stopped and sessions closed at the end."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.stop()
        await client.api.session.close()


async def test_mautrix_client_lifecycle(
    live: Live, clients: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mau")
    with anyio.fail_after(60):
        await _lifecycle(live, clients)
    complaints = [r.getMessage() for r in caplog.records if r.name.startswith("mau")]
    assert complaints == []
    live.audit.assert_clean()


async def _lifecycle(live: Live, clients: list[Client]) -> None:
    def client(mxid: str = "") -> Client:
        opened = Client(mxid=UserID(mxid), base_url=live.base_url)
        opened.ignore_initial_sync = False
        clients.append(opened)
        return opened

    # mautrix has no register call: a bot registers through the raw API, then logs in.
    registrar = client()
    for name in ("alice", "bob"):
        await registrar.api.request(
            Method.POST,
            Path.v3.register,
            {"username": name, "password": "secret", "auth": {"type": "m.login.dummy"},
             "inhibit_login": True},
        )
    alice = client("@alice:localhost")
    bob = client("@bob:localhost")
    for who in (alice, bob):
        login = await who.login(identifier=MatrixUserIdentifier(user=who.mxid), password="secret")
        assert login.user_id == who.mxid and who.api.token == login.access_token
        who.device_id = login.device_id
    assert (await bob.whoami()).user_id == bob.mxid

    # bob's sync loop: join on invite, collect messages, typing and membership.
    changes = Changes()
    messages: list[MessageEvent] = []
    typing: list[list[UserID]] = []
    memberships: list[tuple[RoomID, Membership]] = []

    async def on_member(event: StateEvent | StrippedStateEvent) -> None:
        if event.state_key == bob.mxid:
            memberships.append((event.room_id, event.content.membership))
            if event.content.membership == Membership.INVITE:
                await bob.join_room(event.room_id)
        changes.notify()

    async def on_message(event: MessageEvent) -> None:
        messages.append(event)
        changes.notify()

    async def on_typing(event: TypingEvent) -> None:
        typing.append(event.content.user_ids)
        changes.notify()

    bob.add_event_handler(EventType.ROOM_MEMBER, on_member)
    bob.add_event_handler(EventType.ROOM_MESSAGE, on_message)
    bob.add_event_handler(EventType.TYPING, on_typing)
    bob.start(Filter(room=RoomFilter(timeline=RoomEventFilter(limit=20))))

    room_id = await alice.create_room(name="Standup", topic="Daily at nine")
    await alice.invite_user(room_id, bob.mxid)
    await changes.until(lambda: (room_id, Membership.INVITE) in memberships)
    await changes.until(lambda: (room_id, Membership.JOIN) in memberships)

    sent = await alice.send_text(room_id, "Good morning")
    await changes.until(lambda: any(m.event_id == sent for m in messages))
    assert messages[-1].sender == alice.mxid and messages[-1].content.body == "Good morning"
    await alice.set_typing(room_id, timeout=30000)
    await changes.until(lambda: bool(typing) and alice.mxid in typing[-1])
    await alice.set_typing(room_id, timeout=0)
    await changes.until(lambda: typing[-1] == [])

    # bob reads the message; alice's own sync shows the receipt.
    await bob.set_fully_read_marker(room_id, sent, sent)
    receipts = await _receipts_in_next_syncs(alice, room_id)
    assert receipts.content[sent][ReceiptType.READ][bob.mxid].ts > 0
    bob.stop()

    # A filtered sync on a new device: limited, then paginate back to m.room.create.
    for i in range(12):
        await alice.send_text(room_id, f"#{i}")
    phone = client("@bob:localhost")
    await phone.login(identifier=MatrixUserIdentifier(user=phone.mxid), password="secret")
    filter_id = await phone.create_filter(
        Filter(room=RoomFilter(timeline=RoomEventFilter(limit=3)))
    )
    data = await phone.sync(filter_id=filter_id)
    timeline = data["rooms"]["join"][room_id]["timeline"]
    assert timeline["limited"] is True
    seen: list[MessageEvent] = []

    async def on_phone_message(event: MessageEvent) -> None:
        seen.append(event)

    phone.add_event_handler(EventType.ROOM_MESSAGE, on_phone_message, wait_sync=True)
    for task in phone.handle_sync(data):
        await task
    assert [m.content.body for m in seen] == ["#9", "#10", "#11"]
    older = await _paginate_back(phone, room_id, timeline["prev_batch"])
    assert older[-1].type == EventType.ROOM_CREATE
    bodies = [e.content.body for e in older if isinstance(e, MessageEvent)]
    assert bodies == [f"#{i}" for i in range(8, -1, -1)] + ["Good morning"]

    # bob leaves; his next sync lists the room under leave, ending with his leave.
    since = data["next_batch"]
    await bob.leave_room(room_id)
    left = await phone.sync(since=since, filter_id=filter_id)
    last = StateEvent.deserialize({**left["rooms"]["leave"][room_id]["timeline"]["events"][-1],
                                   "room_id": room_id})
    assert last.state_key == bob.mxid and last.content.membership == Membership.LEAVE


async def _receipts_in_next_syncs(client: Client, room_id: RoomID) -> ReceiptEvent:
    """Sync ``client`` (dispatching through mautrix) until a receipt arrives in the room."""
    found: list[ReceiptEvent] = []

    async def on_receipt(event: ReceiptEvent) -> None:
        if event.room_id == room_id:
            found.append(event)

    client.add_event_handler(EventType.RECEIPT, on_receipt, wait_sync=True)
    since = None
    while not found:
        data = await client.sync(since=since, timeout=30000)
        since = data["next_batch"]
        for task in client.handle_sync(data):
            await task
    return found[-1]


async def _paginate_back(client: Client, room_id: RoomID, start: str) -> list[Any]:
    """Every event before ``start``, newest first, following ``end`` until it runs out."""
    events: list[Any] = []
    token: str | None = start
    while token is not None:
        page = await client.get_messages(
            room_id, PaginationDirection.BACKWARD, from_token=token, limit=4
        )
        events += page.events
        token = page.end if page.events else None
    return events
