"""matrix-nio's AsyncClient against mockserver over a real socket, as an app would use it.

nio validates every response body with its own JSON schemas and turns a
body it rejects into an ``ErrorResponse``; each call here asserts the
response class it expects, so nio's parsing accepts everything served.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DevicesResponse,
    InviteMemberEvent,
    JoinResponse,
    JoinedMembersResponse,
    LoginResponse,
    MatrixRoom,
    MessageDirection,
    ProfileGetResponse,
    ReceiptEvent,
    RegisterResponse,
    RoomContextResponse,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomGetStateResponse,
    RoomInviteResponse,
    RoomKnockResponse,
    RoomLeaveResponse,
    RoomMemberEvent,
    RoomMessageText,
    RoomMessagesResponse,
    RoomPutStateResponse,
    RoomReadMarkersResponse,
    RoomSendResponse,
    RoomTypingResponse,
    SpaceGetHierarchyResponse,
    SyncResponse,
    TypingNoticeEvent,
    UploadFilterResponse,
    WhoamiResponse,
)

from tests.e2e.conftest import Live
from tests.e2e.waiting import Changes

CONFIG = AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)


@pytest.fixture
async def clients(live: Live) -> AsyncIterator[list[AsyncClient]]:
    """Clients the test opens; all closed at the end."""
    opened: list[AsyncClient] = []
    yield opened
    for client in opened:
        await client.close()


async def test_nio_client_lifecycle(live: Live, clients: list[AsyncClient]) -> None:
    with anyio.fail_after(60):
        await _lifecycle(live, clients)
    live.audit.assert_clean()


async def _lifecycle(live: Live, clients: list[AsyncClient]) -> None:
    def client(user: str = "") -> AsyncClient:
        opened = AsyncClient(live.base_url, user, config=CONFIG)
        clients.append(opened)
        return opened

    # Register alice; register bob from a throwaway client, then log in as bob.
    alice = client()
    assert isinstance(await alice.register("alice", "secret", "alice's laptop"), RegisterResponse)
    assert isinstance(await client().register("bob", "secret"), RegisterResponse)
    bob = client("@bob:localhost")
    assert isinstance(await bob.login("secret", device_name="bob's desktop"), LoginResponse)
    whoami = await bob.whoami()
    assert isinstance(whoami, WhoamiResponse) and whoami.user_id == "@bob:localhost"
    devices = await alice.devices()
    assert isinstance(devices, DevicesResponse)
    assert [d.display_name for d in devices.devices] == ["alice's laptop"]
    assert isinstance(await bob.get_profile(), ProfileGetResponse)

    # alice creates a room and invites bob, who sees the invite in his sync.
    created = await alice.room_create(name="Lunch", topic="Where shall we go?")
    assert isinstance(created, RoomCreateResponse)
    room_id = created.room_id
    assert isinstance(await bob.sync(), SyncResponse)
    assert isinstance(await alice.room_invite(room_id, bob.user_id), RoomInviteResponse)
    synced = await bob.sync(timeout=30000)
    assert isinstance(synced, SyncResponse)
    invite = synced.rooms.invite[room_id]
    assert any(
        isinstance(e, InviteMemberEvent) and e.membership == "invite" and e.state_key == bob.user_id
        for e in invite.invite_state
    )
    assert bob.invited_rooms[room_id].name == "Lunch"
    assert isinstance(await bob.join(room_id), JoinResponse)

    # bob's sync loop receives alice's messages and her typing.
    changes = Changes()
    texts: list[RoomMessageText] = []
    typing: list[list[str]] = []

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        texts.append(event)
        changes.notify()

    async def on_typing(room: MatrixRoom, event: TypingNoticeEvent) -> None:
        typing.append(event.users)
        changes.notify()

    bob.add_event_callback(on_text, RoomMessageText)
    bob.add_ephemeral_callback(on_typing, TypingNoticeEvent)
    bob.add_response_callback(changes.notify, SyncResponse)  # type: ignore[arg-type]
    async with anyio.create_task_group() as loop:
        loop.start_soon(lambda: bob.sync_forever(timeout=30000))
        await changes.until(lambda: room_id in bob.rooms)
        assert bob.rooms[room_id].topic == "Where shall we go?"
        sent = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Pizza?"}
        )
        assert isinstance(sent, RoomSendResponse)
        await changes.until(lambda: any(t.event_id == sent.event_id for t in texts))
        assert texts[-1].sender == alice.user_id and texts[-1].body == "Pizza?"
        assert isinstance(await alice.room_typing(room_id, True, 30000), RoomTypingResponse)
        await changes.until(lambda: alice.user_id in (typing[-1] if typing else []))
        assert isinstance(await alice.room_typing(room_id, False), RoomTypingResponse)
        await changes.until(lambda: typing[-1] == [])
        assert bob.rooms[room_id].unread_notifications == 1

        # bob reads the message; alice sees his receipt, bob's unread count drops.
        read = await bob.room_read_markers(room_id, sent.event_id, sent.event_id)
        assert isinstance(read, RoomReadMarkersResponse)
        await changes.until(lambda: bob.rooms[room_id].unread_notifications == 0)
        loop.cancel_scope.cancel()
    receipts = await _next_receipts(alice, room_id)
    assert any(r.user_id == bob.user_id and r.event_id == sent.event_id for r in receipts)

    # Other read calls nio validates with its schemas.
    assert isinstance(await alice.joined_members(room_id), JoinedMembersResponse)
    assert isinstance(await alice.room_get_state(room_id), RoomGetStateResponse)
    context = await alice.room_context(room_id, sent.event_id, limit=4)
    assert isinstance(context, RoomContextResponse)

    # A new device of bob syncs with a small timeline limit: limited, then paginate back.
    for i in range(12):
        assert isinstance(await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": f"#{i}"}
        ), RoomSendResponse)
    phone = client("@bob:localhost")
    assert isinstance(await phone.login("secret", device_name="bob's phone"), LoginResponse)
    uploaded = await phone.upload_filter(room={"timeline": {"limit": 3}})
    assert isinstance(uploaded, UploadFilterResponse)
    initial = await phone.sync(sync_filter=uploaded.filter_id, full_state=True)
    assert isinstance(initial, SyncResponse)
    timeline = initial.rooms.join[room_id].timeline
    assert timeline.limited is True and len(timeline.events) == 3
    assert [e.body for e in timeline.events] == ["#9", "#10", "#11"]
    older = await _paginate_back(phone, room_id, timeline.prev_batch)
    assert isinstance(older[-1], RoomCreateEvent)
    bodies = [e.body for e in older if isinstance(e, RoomMessageText)]
    assert bodies == [f"#{i}" for i in range(8, -1, -1)] + ["Pizza?"]

    # bob leaves; his next sync shows the room under leave, ending with his leave.
    assert isinstance(await bob.room_leave(room_id), RoomLeaveResponse)
    left = await bob.sync(timeout=30000)
    assert isinstance(left, SyncResponse)
    last = left.rooms.leave[room_id].timeline.events[-1]
    assert isinstance(last, RoomMemberEvent)
    assert last.membership == "leave" and last.state_key == bob.user_id


async def _next_receipts(client: AsyncClient, room_id: str) -> list[Any]:
    """Receipts in ``room_id`` from syncs of ``client`` until some arrive."""
    while True:
        response = await client.sync(timeout=30000)
        assert isinstance(response, SyncResponse)
        room = response.rooms.join.get(room_id)
        found = [
            receipt
            for event in (room.ephemeral if room is not None else [])
            if isinstance(event, ReceiptEvent)
            for receipt in event.receipts
        ]
        if found:
            return found


async def _paginate_back(client: AsyncClient, room_id: str, start: str) -> list[Any]:
    """Every event before ``start``, newest first, following ``end`` until it runs out."""
    events: list[Any] = []
    token: str | None = start
    while token is not None:
        page = await client.room_messages(room_id, token, direction=MessageDirection.back, limit=4)
        assert isinstance(page, RoomMessagesResponse)
        events += page.chunk
        token = page.end if page.chunk else None
    return events


# -- issue 17's calls: knocking, the space hierarchy, a profile without a token --------


async def _registered(live: Live, clients: list[AsyncClient], name: str) -> AsyncClient:
    client = AsyncClient(live.base_url, config=CONFIG)
    clients.append(client)
    assert isinstance(await client.register(name, "secret"), RegisterResponse)
    return client


async def test_nio_knocks_and_walks_a_space(live: Live, clients: list[AsyncClient]) -> None:
    with anyio.fail_after(60):
        alice = await _registered(live, clients, "alice")
        bob = await _registered(live, clients, "bob")
        space = await alice.room_create(name="Space", space=True)
        assert isinstance(space, RoomCreateResponse)
        door = await alice.room_create(name="Door")
        assert isinstance(door, RoomCreateResponse)
        assert isinstance(await alice.room_enable_knocking(door.room_id), RoomPutStateResponse)
        child = await alice.room_put_state(
            space.room_id, "m.space.child", {"via": ["localhost"]}, state_key=door.room_id
        )
        assert isinstance(child, RoomPutStateResponse)

        tree = await alice.space_get_hierarchy(space.room_id, max_depth=1)
        assert isinstance(tree, SpaceGetHierarchyResponse), tree
        assert [room["name"] for room in tree.rooms] == ["Space", "Door"]

        assert isinstance(await bob.room_knock(door.room_id, reason="hello"), RoomKnockResponse)
        synced = await bob.sync(timeout=0, full_state=True)
        assert isinstance(synced, SyncResponse), synced

        anonymous = AsyncClient(live.base_url, config=CONFIG)
        clients.append(anonymous)
        profile = await anonymous.get_profile("@alice:localhost")
        assert isinstance(profile, ProfileGetResponse) and profile.displayname == "alice"
    live.audit.assert_clean()
