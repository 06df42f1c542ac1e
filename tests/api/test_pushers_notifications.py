"""``/pushrules``, ``/pushers`` and ``/notifications`` over HTTP (in process and over a socket)."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error

HTTP_PUSHER: dict[str, Any] = {
    "kind": "http",
    "app_id": "org.example.app",
    "app_display_name": "Example",
    "device_display_name": "Phone",
    "pushkey": "key-1",
    "lang": "en",
    "data": {"url": "https://push.example/_matrix/push/v1/notify", "format": "event_id_only"},
}


async def test_push_rules_are_synapses_default_set(alice: Account) -> None:
    body = await alice.call("GET", "/pushrules/")
    assert set(body["global"]) == {"override", "content", "room", "sender", "underride", "postcontent"}
    override = [rule["rule_id"] for rule in body["global"]["override"]]
    assert ".m.rule.room.server_acl" in override and ".m.rule.is_user_mention" in override
    invite = next(r for r in body["global"]["override"] if r["rule_id"] == ".m.rule.invite_for_me")
    assert {"kind": "event_match", "key": "state_key", "pattern": alice.user_id} in invite["conditions"]
    assert (await alice.call("GET", "/pushrules/global/")) == body["global"]


async def test_set_list_replace_and_delete_a_pusher(alice: Account, bob: Account) -> None:
    assert await alice.call("GET", "/pushers") == {"pushers": []}
    assert await alice.call("POST", "/pushers/set", json=HTTP_PUSHER) == {}
    listed = await alice.call("GET", "/pushers")
    assert listed == {"pushers": [{**HTTP_PUSHER, "profile_tag": ""}]}
    # The same app_id and pushkey again replaces it.
    await alice.call("POST", "/pushers/set", json={**HTTP_PUSHER, "lang": "fr"})
    assert [p["lang"] for p in (await alice.call("GET", "/pushers"))["pushers"]] == ["fr"]
    # Another user taking the pushkey (append false) takes it from alice.
    await bob.call("POST", "/pushers/set", json=HTTP_PUSHER)
    assert (await alice.call("GET", "/pushers"))["pushers"] == []
    await bob.call("POST", "/pushers/set", json={"kind": None, "app_id": "org.example.app", "pushkey": "key-1"})
    assert (await bob.call("GET", "/pushers"))["pushers"] == []


async def test_append_keeps_other_users_pushers(alice: Account, bob: Account) -> None:
    await alice.call("POST", "/pushers/set", json=HTTP_PUSHER)
    await bob.call("POST", "/pushers/set", json={**HTTP_PUSHER, "append": True})
    assert len((await alice.call("GET", "/pushers"))["pushers"]) == 1


async def test_bad_pushers_are_refused_and_change_nothing(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account
) -> None:
    before = snapshot(hs.store)
    cases: list[tuple[dict[str, Any], str]] = [
        ({k: v for k, v in HTTP_PUSHER.items() if k != "lang"}, "M_MISSING_PARAM"),
        ({**HTTP_PUSHER, "data": {}}, "M_MISSING_PARAM"),
        ({**HTTP_PUSHER, "data": {"url": "https://push.example/other"}}, "M_MISSING_PARAM"),
        ({**HTTP_PUSHER, "kind": "sms"}, "M_MISSING_PARAM"),
        ({**HTTP_PUSHER, "kind": "email", "pushkey": "a@example.org"}, "M_THREEPID_NOT_FOUND"),
        ({**HTTP_PUSHER, "app_id": 5}, "M_BAD_JSON"),
        ({**HTTP_PUSHER, "data": []}, "M_BAD_JSON"),
    ]
    for body, errcode in cases:
        response = await client.post(f"{V3}/pushers/set", json=body, headers=alice.headers)
        assert_error(response, 400, errcode)
    assert snapshot(hs.store) == before


async def test_notifications_follow_the_push_rules(alice: Account, bob: Account, carol: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    plain = await bob.send(room, "just chatting")
    mention = await bob.send(room, "hey alice, look")
    await bob.send(room, {"msgtype": "m.notice", "body": "a bot notice"})
    await alice.send(room, "my own message")
    await bob.send(room, {"body": "*", "msgtype": "m.text", "m.relates_to": {"rel_type": "m.replace", "event_id": plain}})
    body = await alice.call("GET", "/notifications")
    events = [n["event"]["event_id"] for n in body["notifications"]]
    assert events == [mention, plain]
    first = body["notifications"][0]
    assert first["room_id"] == room and first["read"] is False
    assert {"set_tweak": "highlight"} in first["actions"]
    assert first["ts"] == first["event"]["origin_server_ts"]
    highlights = await alice.call("GET", "/notifications", params={"only": "highlight"})
    assert [n["event"]["event_id"] for n in highlights["notifications"]] == [mention]


async def test_notifications_page_with_from_and_know_what_is_read(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = [await bob.send(room, f"message {i}") for i in range(5)]
    await alice.call("POST", f"/rooms/{room}/receipt/m.read/{sent[1]}", json={})
    first = await alice.call("GET", "/notifications", params={"limit": 2})
    assert [n["event"]["event_id"] for n in first["notifications"]] == [sent[4], sent[3]]
    second = await alice.call("GET", "/notifications", params={"limit": 2, "from": first["next_token"]})
    assert [n["event"]["event_id"] for n in second["notifications"]] == [sent[2], sent[1]]
    assert [n["read"] for n in second["notifications"]] == [False, True]
    third = await alice.call("GET", "/notifications", params={"limit": 2, "from": second["next_token"]})
    assert [n["event"]["event_id"] for n in third["notifications"]] == [sent[0]]
    last = await alice.call("GET", "/notifications", params={"from": third["next_token"]})
    assert last == {"notifications": []}


async def test_invite_notifies_the_invitee_only(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.invite(room, bob.user_id)
    notes = (await bob.call("GET", "/notifications"))["notifications"]
    assert [(n["event"]["type"], n["event"]["state_key"]) for n in notes] == [("m.room.member", bob.user_id)]
    assert (await alice.call("GET", "/notifications"))["notifications"] == []


async def test_messages_from_before_joining_do_not_notify(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await alice.send(room, "before bob")
    await bob.join(room)
    after = await alice.send(room, "after bob")
    notes = (await bob.call("GET", "/notifications"))["notifications"]
    assert [n["event"]["event_id"] for n in notes] == [after]


async def test_bad_notification_queries(client: httpx.AsyncClient, alice: Account) -> None:
    for params in ({"from": "abc"}, {"limit": "x"}, {"limit": "0"}):
        response = await client.get(f"{V3}/notifications", params=params, headers=alice.headers)
        assert_error(response, 400, "M_INVALID_PARAM")


async def test_pushers_from_a_scenario_export_and_reset(client: httpx.AsyncClient, hs: Homeserver) -> None:
    document = {"users": [{"user_id": "@ann:localhost", "access_token": "ann", "pushers": [HTTP_PUSHER]}]}
    hs.load_fixture(document, "pushers.json")
    listed = await client.get(f"{V3}/pushers", headers={"Authorization": "Bearer ann"})
    assert listed.json() == {"pushers": [{**HTTP_PUSHER, "profile_tag": ""}]}
    exported = (await client.get("/_mock/export")).json()
    assert exported["users"][0]["pushers"] == [{**HTTP_PUSHER, "profile_tag": ""}]
    await client.post("/_mock/reset", json={"fixtures": False})
    assert hs.store.pushers.of("@ann:localhost") == []


async def test_a_scenario_with_a_bad_pusher_is_refused(client: httpx.AsyncClient, hs: Homeserver) -> None:
    document = {"users": [{"user_id": "@ann:localhost", "pushers": [{**HTTP_PUSHER, "data": {}}]}]}
    response = await client.post("/_mock/fixtures", json=document)
    assert response.status_code == 400, response.text
    assert "users[0].pushers[0]" in response.json()["error"]
    assert "@ann:localhost" not in hs.store.users
