"""Sending and reading events: send with transaction ids, state by type and key, members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error

TEXT = {"msgtype": "m.text", "body": "hello"}


async def login_again(client: httpx.AsyncClient, account: Account) -> Account:
    response = await client.post(
        f"{V3}/login",
        json={"type": "m.login.password", "user": account.user_id, "password": "secret"},
    )
    body = response.json()
    return Account(client, body["user_id"], body["access_token"], body["device_id"])


# -- send and transaction ids ---------------------------------------------------------


async def test_send_returns_an_event_that_reads_back(alice: Account) -> None:
    room = await alice.create_room()
    event_id = await alice.send(room, TEXT, txn_id="m1")
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["content"] == TEXT
    assert event["sender"] == alice.user_id
    assert event["room_id"] == room
    assert event["unsigned"]["transaction_id"] == "m1"


async def test_same_txn_same_device_is_the_same_event(hs: Homeserver, alice: Account) -> None:
    room = await alice.create_room()
    first = await alice.send(room, TEXT, txn_id="dup")
    before = snapshot(hs.store)
    again = await alice.send(room, {"msgtype": "m.text", "body": "different"}, txn_id="dup")
    assert again == first
    assert snapshot(hs.store) == before


async def test_same_txn_from_a_new_login_is_a_new_event(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    first = await alice.send(room, TEXT, txn_id="dup")
    phone = await login_again(client, alice)
    second = await phone.send(room, TEXT, txn_id="dup")
    assert second != first
    page = await alice.messages(room, dir="b", limit=2)
    assert [e["event_id"] for e in page["chunk"]] == [second, first]
    own = {e["event_id"]: e["unsigned"].get("transaction_id") for e in page["chunk"]}
    assert own == {first: "dup", second: None}


async def test_same_txn_in_another_room_or_type_is_a_new_event(alice: Account) -> None:
    room = await alice.create_room()
    other = await alice.create_room()
    first = await alice.send(room, TEXT, txn_id="same")
    assert await alice.send(other, TEXT, txn_id="same") != first
    assert await alice.send(room, {"x": 1}, event_type="org.example", txn_id="same") != first


async def test_other_users_never_see_the_transaction_id(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    event_id = await alice.send(room, TEXT, txn_id="secret-txn")
    event = await bob.call("GET", f"/rooms/{room}/event/{event_id}")
    assert "transaction_id" not in event["unsigned"]


async def test_post_send_without_txn(alice: Account) -> None:
    room = await alice.create_room()
    body = await alice.call("POST", f"/rooms/{room}/send/m.room.message", json=TEXT)
    assert body["event_id"].startswith("$")


async def test_txn_ids_with_slashes_and_custom_types(alice: Account) -> None:
    room = await alice.create_room()
    event_id = await alice.send(room, {"a": 1}, event_type="org.example%2Fthing", txn_id="a%2Fb")
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["type"] == "org.example/thing"
    assert event["unsigned"]["transaction_id"] == "a/b"


@pytest.mark.parametrize(
    ("room", "body", "status", "errcode"),
    [
        ("!unknown:localhost", TEXT, 403, "M_FORBIDDEN"),
        ("bad", TEXT, 400, "M_INVALID_PARAM"),
        (None, [1, 2], 400, "M_BAD_JSON"),
        (None, {"body": "x" * 70000}, 413, "M_TOO_LARGE"),
    ],
)
async def test_send_refusals(
    hs: Homeserver, alice: Account, room: str | None, body: Any, status: int, errcode: str
) -> None:
    room = room or await alice.create_room()
    before = snapshot(hs.store)
    response = await alice.client.put(
        f"{V3}/rooms/{room}/send/m.room.message/t1", json=body, headers=alice.headers
    )
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


async def test_refused_send_does_not_use_up_the_txn(hs: Homeserver, alice: Account) -> None:
    room = await alice.create_room()
    big = await alice.client.put(
        f"{V3}/rooms/{room}/send/m.room.message/retry",
        json={"body": "x" * 70000},
        headers=alice.headers,
    )
    assert big.status_code == 413
    event_id = await alice.send(room, TEXT, txn_id="retry")
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["content"] == TEXT


# -- state ---------------------------------------------------------------------------------


async def test_put_and_get_state_by_type_and_key(alice: Account) -> None:
    room = await alice.create_room()
    event_id = await alice.put_state(room, "org.example.flag", {"on": True}, state_key="k1")
    assert await alice.call("GET", f"/rooms/{room}/state/org.example.flag/k1") == {"on": True}
    full = await alice.call(
        "GET", f"/rooms/{room}/state/org.example.flag/k1", params={"format": "event"}
    )
    assert full["event_id"] == event_id
    assert full["state_key"] == "k1"
    assert full["room_id"] == room
    missing = await alice.client.get(
        f"{V3}/rooms/{room}/state/org.example.flag/k2", headers=alice.headers
    )
    assert_error(missing, 404, "M_NOT_FOUND")


@pytest.mark.parametrize("put_path", ["/state/m.room.topic", "/state/m.room.topic/"])
@pytest.mark.parametrize("get_path", ["/state/m.room.topic", "/state/m.room.topic/"])
async def test_empty_state_key_with_and_without_trailing_slash(
    alice: Account, put_path: str, get_path: str
) -> None:
    room = await alice.create_room()
    await alice.call("PUT", f"/rooms/{room}{put_path}", json={"topic": "t"})
    assert await alice.call("GET", f"/rooms/{room}{get_path}") == {"topic": "t"}


async def test_replacing_state_keeps_prev_content(alice: Account) -> None:
    room = await alice.create_room(topic="old")
    await alice.put_state(room, "m.room.topic", {"topic": "new"})
    event = await alice.call("GET", f"/rooms/{room}/state/m.room.topic", params={"format": "event"})
    assert event["content"] == {"topic": "new"}
    assert event["unsigned"]["prev_content"] == {"topic": "old"}


async def test_percent_encoded_slash_stays_inside_a_state_key(alice: Account) -> None:
    room = await alice.create_room()
    await alice.call("PUT", f"/rooms/{room}/state/org.example/a%2Fb", json={"v": "slash"})
    await alice.call("PUT", f"/rooms/{room}/state/org.example/a", json={"v": "plain"})
    assert await alice.call("GET", f"/rooms/{room}/state/org.example/a%2Fb") == {"v": "slash"}
    assert await alice.call("GET", f"/rooms/{room}/state/org.example/a") == {"v": "plain"}
    state = await alice.call("GET", f"/rooms/{room}/state")
    keys = {e["state_key"] for e in state if e["type"] == "org.example"}
    assert keys == {"a/b", "a"}
    unencoded = await alice.client.get(
        f"{V3}/rooms/{room}/state/org.example/a/b", headers=alice.headers
    )
    assert_error(unencoded, 404, "M_UNRECOGNIZED")


async def test_percent_encoded_ids_in_paths(client: httpx.AsyncClient, alice: Account) -> None:
    room = await alice.create_room()
    encoded_room = room.replace("!", "%21").replace(":", "%3A")
    encoded_user = alice.user_id.replace("@", "%40").replace(":", "%3A")
    state = await alice.call("GET", f"/rooms/{encoded_room}/state/m.room.member/{encoded_user}")
    assert state["membership"] == "join"


async def test_state_key_that_is_a_user_id(alice: Account) -> None:
    room = await alice.create_room()
    member = await alice.call("GET", f"/rooms/{room}/state/m.room.member/{alice.user_id}")
    assert member == {"membership": "join", "displayname": "alice"}


async def test_room_state_lists_every_current_entry(alice: Account) -> None:
    room = await alice.create_room(name="one")
    await alice.put_state(room, "m.room.name", {"name": "two"})
    state = await alice.call("GET", f"/rooms/{room}/state")
    names = [e for e in state if e["type"] == "m.room.name"]
    assert len(names) == 1
    assert names[0]["content"] == {"name": "two"}
    assert all(e["room_id"] == room and "state_key" in e for e in state)
    assert {e["type"] for e in state} >= {
        "m.room.create",
        "m.room.member",
        "m.room.power_levels",
        "m.room.join_rules",
        "m.room.history_visibility",
    }


async def test_state_reads_need_membership(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat", topic="secret")
    paths = ("/state", "/state/m.room.topic", "/state/m.room.topic/", "/members")
    for path in paths:
        response = await bob.client.get(f"{V3}/rooms/{room}{path}", headers=bob.headers)
        assert_error(response, 403, "M_FORBIDDEN")
    await alice.invite(room, bob.user_id)
    for path in paths:
        response = await bob.client.get(f"{V3}/rooms/{room}{path}", headers=bob.headers)
        assert_error(response, 403, "M_FORBIDDEN")
    unknown = await bob.client.get(f"{V3}/rooms/!unknown:localhost/state", headers=bob.headers)
    assert_error(unknown, 403, "M_FORBIDDEN")


async def test_a_user_who_left_sees_state_as_of_leaving(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat", topic="before")
    await bob.join(room)
    await bob.leave(room)
    await alice.put_state(room, "m.room.topic", {"topic": "after"})
    assert await bob.call("GET", f"/rooms/{room}/state/m.room.topic") == {"topic": "before"}
    state = await bob.call("GET", f"/rooms/{room}/state")
    topic = next(e for e in state if e["type"] == "m.room.topic")
    assert topic["content"] == {"topic": "before"}


@pytest.mark.parametrize(
    ("path", "body", "status", "errcode"),
    [
        ("/state/m.room.topic", [], 400, "M_BAD_JSON"),
        ("/state/m.room.topic", {"topic": "x" * 70000}, 413, "M_TOO_LARGE"),
        ("/state/m.room.member/@bob:localhost", {"membership": 5}, 400, "M_BAD_JSON"),
        ("/state/m.room.member/bob", {"membership": "invite"}, 400, "M_INVALID_PARAM"),
        ("/state/m.room.canonical_alias", {"alias": "#nowhere:localhost"}, 400, "M_BAD_ALIAS"),
        ("/state/m.room.create", {"room_version": "1"}, 403, "M_FORBIDDEN"),
    ],
)
async def test_state_put_refusals(
    hs: Homeserver, alice: Account, bob: Account, path: str, body: Any, status: int, errcode: str
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await alice.client.put(f"{V3}/rooms/{room}{path}", json=body, headers=alice.headers)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


# -- members and joined rooms ----------------------------------------------------------


async def test_members_filters(alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await alice.invite(room, carol.user_id)
    everyone = await alice.call("GET", f"/rooms/{room}/members")
    by_user = {e["state_key"]: e["content"]["membership"] for e in everyone["chunk"]}
    assert by_user == {alice.user_id: "join", bob.user_id: "join", carol.user_id: "invite"}
    joined = await alice.call("GET", f"/rooms/{room}/members", params={"membership": "join"})
    assert {e["state_key"] for e in joined["chunk"]} == {alice.user_id, bob.user_id}
    not_joined = await alice.call(
        "GET", f"/rooms/{room}/members", params={"not_membership": "join"}
    )
    assert [e["state_key"] for e in not_joined["chunk"]] == [carol.user_id]


async def test_members_at_an_earlier_position(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    page = await alice.messages(room, dir="b", limit=1)
    at = page["start"]
    await bob.join(room)
    earlier = await alice.call("GET", f"/rooms/{room}/members", params={"at": at})
    assert [e["state_key"] for e in earlier["chunk"]] == [alice.user_id]
    now = await alice.call("GET", f"/rooms/{room}/members")
    assert len(now["chunk"]) == 2


@pytest.mark.parametrize("at", ["garbage", "s999_0_0", "t999-999_0_0", "t1-999_0_0"])
async def test_members_bad_at_token(alice: Account, at: str) -> None:
    room = await alice.create_room()
    response = await alice.client.get(
        f"{V3}/rooms/{room}/members", params={"at": at}, headers=alice.headers
    )
    assert_error(response, 400, "M_INVALID_PARAM")


async def test_joined_rooms_follows_membership(alice: Account, bob: Account) -> None:
    first = await alice.create_room(preset="public_chat")
    second = await alice.create_room(preset="public_chat")
    assert await bob.call("GET", "/joined_rooms") == {"joined_rooms": []}
    await bob.join(first)
    await bob.join(second)
    assert set((await bob.call("GET", "/joined_rooms"))["joined_rooms"]) == {first, second}
    await bob.leave(first)
    assert await bob.call("GET", "/joined_rooms") == {"joined_rooms": [second]}


async def test_create_event_cannot_be_sent_as_a_message(hs: Homeserver, alice: Account) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await alice.client.put(
        f"{V3}/rooms/{room}/send/m.room.create/c1", json={}, headers=alice.headers
    )
    assert_error(response, 403, "M_FORBIDDEN")
    assert snapshot(hs.store) == before


async def test_get_event_rules(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    event_id = await alice.send(room, TEXT)
    outsider = await bob.client.get(f"{V3}/rooms/{room}/event/{event_id}", headers=bob.headers)
    assert_error(outsider, 403, "M_FORBIDDEN")
    other_room = await alice.create_room()
    wrong_room = await alice.client.get(
        f"{V3}/rooms/{other_room}/event/{event_id}", headers=alice.headers
    )
    assert_error(wrong_room, 404, "M_NOT_FOUND")
    unknown = await alice.client.get(f"{V3}/rooms/{room}/event/$nope", headers=alice.headers)
    assert_error(unknown, 404, "M_NOT_FOUND")


async def test_redact(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    event_id = await bob.send(room, TEXT)
    body = await bob.call("PUT", f"/rooms/{room}/redact/{event_id}/r1", json={"reason": "oops"})
    again = await bob.call("PUT", f"/rooms/{room}/redact/{event_id}/r1", json={})
    assert again == body
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["content"] == {}
    assert event["unsigned"]["redacted_because"]["event_id"] == body["event_id"]
    mine = await alice.send(room, TEXT)
    refused = await bob.client.post(
        f"{V3}/rooms/{room}/redact/{mine}", json={}, headers=bob.headers
    )
    assert_error(refused, 403, "M_FORBIDDEN")
