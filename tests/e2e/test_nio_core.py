"""matrix-nio drives the core endpoints over a real socket (it validates every response)."""

from __future__ import annotations


import nio

from mockserver.server import ThreadedServer


async def test_nio_register_login_create_send_and_read_back(server: ThreadedServer) -> None:
    first = nio.AsyncClient(server.base_url, "alice")
    phone = nio.AsyncClient(server.base_url, "@alice:localhost")
    try:
        registered = await first.register("alice", "secret")
        assert isinstance(registered, nio.RegisterResponse), registered
        assert registered.user_id == "@alice:localhost"

        taken = await first.register("alice", "secret")
        assert isinstance(taken, nio.ErrorResponse)
        assert taken.status_code == "M_USER_IN_USE"

        wrong = await phone.login("not the password")
        assert isinstance(wrong, nio.LoginError)
        assert wrong.status_code == "M_FORBIDDEN"
        login = await phone.login("secret", device_name="phone")
        assert isinstance(login, nio.LoginResponse), login
        assert login.device_id != registered.device_id

        created = await phone.room_create(name="nio room", topic="testing")
        assert isinstance(created, nio.RoomCreateResponse), created

        sent = await phone.room_send(
            created.room_id, "m.room.message", {"msgtype": "m.text", "body": "hello from nio"}
        )
        assert isinstance(sent, nio.RoomSendResponse), sent

        messages = await phone.room_messages(created.room_id, start="", limit=5)
        assert isinstance(messages, nio.RoomMessagesResponse), messages
        texts = [e for e in messages.chunk if isinstance(e, nio.RoomMessageText)]
        assert [(e.event_id, e.body) for e in texts] == [(sent.event_id, "hello from nio")]
        assert messages.end

        older = await phone.room_messages(created.room_id, start=messages.end, limit=50)
        assert isinstance(older, nio.RoomMessagesResponse), older
        assert any(isinstance(e, nio.RoomCreateEvent) for e in older.chunk)
    finally:
        await first.close()
        await phone.close()
