"""Acting as any user through ``/_mock/act/*``: the same rules as the client API."""

from __future__ import annotations

import anyio
import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account, assert_error

pytestmark = pytest.mark.anyio


def account(client: httpx.AsyncClient, registered: dict[str, str]) -> Account:
    return Account(
        client, registered["user_id"], registered["access_token"], registered["device_id"]
    )


async def test_register_gives_a_working_token(control: Control, client: httpx.AsyncClient) -> None:
    body = await control.act("register", username="dave", password="pw", displayname="Dave")
    assert body["user_id"] == "@dave:localhost"
    dave = account(client, body)
    assert (await dave.call("GET", "/account/whoami"))["user_id"] == "@dave:localhost"
    profile = await dave.call("GET", "/profile/@dave:localhost")
    assert profile["displayname"] == "Dave"
    login = await client.post(
        "/_matrix/client/v3/login",
        json={
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "dave"},
            "password": "pw",
        },
    )
    assert login.status_code == 200, login.text


async def test_register_with_fixed_token_and_device(
    control: Control, client: httpx.AsyncClient
) -> None:
    body = await control.act(
        "register", user_id="@erin:localhost", access_token="erin-token", device_id="ERINPHONE"
    )
    assert body == {
        "user_id": "@erin:localhost",
        "access_token": "erin-token",
        "device_id": "ERINPHONE",
    }
    whoami = await client.get(
        "/_matrix/client/v3/account/whoami", headers={"Authorization": "Bearer erin-token"}
    )
    assert whoami.json() == {
        "user_id": "@erin:localhost",
        "device_id": "ERINPHONE",
        "is_guest": False,
    }


async def test_register_rejected_changes_nothing(
    hs: Homeserver, control: Control, client: httpx.AsyncClient
) -> None:
    await control.act("register", username="frank", access_token="taken")
    response = await client.post(
        "/_mock/act/register", json={"username": "grace", "access_token": "taken"}
    )
    assert_error(response, 400, "M_INVALID_PARAM")
    assert "@grace:localhost" not in hs.store.users
    assert_error(
        await client.post("/_mock/act/register", json={"username": "frank"}), 400, "M_USER_IN_USE"
    )
    assert_error(
        await client.post("/_mock/act/register", json={"username": "Bad Name"}),
        400,
        "M_INVALID_USERNAME",
    )
    assert_error(await client.post("/_mock/act/register", json={}), 400, "M_BAD_JSON")
    assert_error(
        await client.post("/_mock/act/register", json={"username": "x", "user_id": "@x:localhost"}),
        400,
        "M_BAD_JSON",
    )


async def test_register_without_login_and_then_login(
    control: Control, client: httpx.AsyncClient
) -> None:
    assert await control.act("register", username="heidi", login=False) == {
        "user_id": "@heidi:localhost"
    }
    body = await control.act("login", user_id="@heidi:localhost", device_id="D1")
    assert body["device_id"] == "D1"
    heidi = account(client, body)
    assert (await heidi.call("GET", "/account/whoami"))["device_id"] == "D1"


async def test_actions_need_a_known_user(control: Control, client: httpx.AsyncClient) -> None:
    response = await client.post("/_mock/act/create_room", json={"user_id": "@nobody:localhost"})
    assert_error(response, 404, "M_NOT_FOUND")
    assert_error(await client.post("/_mock/act/create_room", json={}), 400, "M_MISSING_PARAM")
    assert_error(await client.post("/_mock/act/send", content=b"[1]"), 400, "M_BAD_JSON")


async def test_create_room_send_and_state_reach_a_client(
    control: Control, alice: Account, bob: Account
) -> None:
    room_id = "!fixed:localhost"
    created = await control.act(
        "create_room", user_id=bob.user_id, room_id=room_id, preset="public_chat", name="Lobby"
    )
    assert created == {"room_id": room_id}
    await alice.join(room_id)
    sent = await control.act("send", user_id=bob.user_id, room_id=room_id, body="hello alice")
    custom = await control.act(
        "send",
        user_id=bob.user_id,
        room_id=room_id,
        type="m.room.message",
        content={"msgtype": "m.notice", "body": "notice"},
    )
    topic = await control.act(
        "state",
        user_id=bob.user_id,
        room_id=room_id,
        type="m.room.topic",
        content={"topic": "news"},
    )
    body = await alice.sync()
    room = body["rooms"]["join"][room_id]
    events = {e["event_id"]: e for e in room["timeline"]["events"]}
    assert events[sent["event_id"]]["sender"] == bob.user_id
    assert events[sent["event_id"]]["content"] == {"msgtype": "m.text", "body": "hello alice"}
    assert events[custom["event_id"]]["content"]["msgtype"] == "m.notice"
    assert events[topic["event_id"]]["content"] == {"topic": "news"}
    name = await alice.call("GET", f"/rooms/{room_id}/state/m.room.name")
    assert name == {"name": "Lobby"}


async def test_acting_user_meets_the_room_rules(
    control: Control, alice: Account, bob: Account
) -> None:
    room_id = await alice.create_room(preset="private_chat")
    response = await control.client.post(
        "/_mock/act/send", json={"user_id": bob.user_id, "room_id": room_id, "body": "let me in"}
    )
    assert_error(response, 403, "M_FORBIDDEN")
    response = await control.client.post(
        "/_mock/act/join", json={"user_id": bob.user_id, "room_id": room_id}
    )
    assert_error(response, 403, "M_FORBIDDEN")
    await control.act("invite", user_id=alice.user_id, room_id=room_id, target=bob.user_id)
    await control.act("join", user_id=bob.user_id, room_id=room_id)
    response = await control.client.post(
        "/_mock/act/state",
        json={
            "user_id": bob.user_id,
            "room_id": room_id,
            "type": "m.room.power_levels",
            "content": {},
        },
    )
    assert_error(response, 403, "M_FORBIDDEN")
    messages = await alice.messages(room_id, dir="b", limit=50)
    assert [e["sender"] for e in messages["chunk"] if e["type"] == "m.room.message"] == []


async def test_membership_actions(
    control: Control, alice: Account, bob: Account, carol: Account
) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await control.act("invite", user_id=alice.user_id, room_id=room_id, target=carol.user_id)
    invited = await carol.sync()
    assert room_id in invited["rooms"]["invite"]
    await control.act("join", user_id=bob.user_id, room_id=room_id)
    await control.act(
        "kick", user_id=alice.user_id, room_id=room_id, target=bob.user_id, reason="out"
    )
    member = await alice.call("GET", f"/rooms/{room_id}/state/m.room.member/{bob.user_id}")
    assert member == {"membership": "leave", "reason": "out"}
    await control.act("ban", user_id=alice.user_id, room_id=room_id, target=bob.user_id)
    assert (await alice.call("GET", f"/rooms/{room_id}/state/m.room.member/{bob.user_id}"))[
        "membership"
    ] == "ban"
    await control.act("unban", user_id=alice.user_id, room_id=room_id, target=bob.user_id)
    response = await control.client.post(
        "/_mock/act/unban",
        json={"user_id": alice.user_id, "room_id": room_id, "target": bob.user_id},
    )
    assert_error(response, 403, "M_FORBIDDEN")
    await control.act("join", user_id=carol.user_id, room_id=room_id)
    await control.act("leave", user_id=carol.user_id, room_id=room_id)
    joined = await alice.call("GET", f"/rooms/{room_id}/joined_members")
    assert list(joined["joined"]) == [alice.user_id]


async def test_typing_presence_and_receipts(control: Control, alice: Account, bob: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await control.act("join", user_id=bob.user_id, room_id=room_id)
    event_id = await alice.send(room_id, "read me")
    first = await alice.sync()
    await control.act("typing", user_id=bob.user_id, room_id=room_id, timeout=10_000)
    await control.act("presence", user_id=bob.user_id, presence="unavailable", status_msg="brb")
    await control.act("receipt", user_id=bob.user_id, room_id=room_id, event_id=event_id)
    body = await alice.sync(since=first["next_batch"])
    ephemeral = body["rooms"]["join"][room_id]["ephemeral"]["events"]
    by_type = {e["type"]: e["content"] for e in ephemeral}
    assert by_type["m.typing"] == {"user_ids": [bob.user_id]}
    assert bob.user_id in by_type["m.receipt"][event_id]["m.read"]
    presence = {e["sender"]: e["content"] for e in body["presence"]["events"]}
    assert presence[bob.user_id]["presence"] == "unavailable"
    assert presence[bob.user_id]["status_msg"] == "brb"


async def test_redact_and_profile(control: Control, alice: Account, bob: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await control.act("join", user_id=bob.user_id, room_id=room_id)
    sent = await control.act("send", user_id=bob.user_id, room_id=room_id, body="oops")
    await control.act("redact", user_id=bob.user_id, room_id=room_id, event_id=sent["event_id"])
    event = await alice.call("GET", f"/rooms/{room_id}/event/{sent['event_id']}")
    assert event["content"] == {}
    await control.act("profile", user_id=bob.user_id, displayname="Bobby")
    member = await alice.call("GET", f"/rooms/{room_id}/state/m.room.member/{bob.user_id}")
    assert member["displayname"] == "Bobby"


@pytest.mark.parametrize(
    ("action", "body", "errcode"),
    [
        ("send", {"room_id": "not-a-room", "body": "x"}, "M_INVALID_PARAM"),
        ("send", {"room_id": "!r:localhost"}, "M_BAD_JSON"),
        ("send", {"room_id": "!r:localhost", "body": "x", "content": {}}, "M_BAD_JSON"),
        ("state", {"room_id": "!r:localhost", "type": "m.room.topic"}, "M_MISSING_PARAM"),
        ("invite", {"room_id": "!r:localhost", "target": "bob"}, "M_INVALID_PARAM"),
        ("receipt", {"room_id": "!r:localhost", "event_id": "nope"}, "M_INVALID_PARAM"),
        ("typing", {"room_id": "!r:localhost", "typing": "yes"}, "M_BAD_JSON"),
        ("presence", {"presence": "asleep"}, "M_INVALID_PARAM"),
        ("profile", {}, "M_BAD_JSON"),
    ],
)
async def test_bad_bodies_are_matrix_errors(
    control: Control, alice: Account, action: str, body: dict[str, object], errcode: str
) -> None:
    response = await control.client.post(
        f"/_mock/act/{action}", json={"user_id": alice.user_id, **body}
    )
    assert_error(response, 400, errcode)


async def test_acting_wakes_a_parked_long_poll(
    hs: Homeserver, control: Control, alice: Account, bob: Account
) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await control.act("join", user_id=bob.user_id, room_id=room_id)
    first = await alice.sync()
    results = {}

    async def park() -> None:
        results["body"] = await alice.sync(since=first["next_batch"], timeout=30_000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            sent = await control.act("send", user_id=bob.user_id, room_id=room_id, body="wake")
    events = results["body"]["rooms"]["join"][room_id]["timeline"]["events"]
    assert [e["event_id"] for e in events] == [sent["event_id"]]
