"""Today's ``/sync`` (r0, v3) through HTTP: every section and parameter.

Every successful response here is also checked against the spec's schema
by the ``client`` fixture (see ``tests/matrix_schemas.py``).
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.support import V3, Account, assert_error, register

R0 = "/_matrix/client/r0"
STATE_AFTER = "org.matrix.msc4222.state_after"


def joined(body: dict[str, Any], room_id: str) -> dict[str, Any]:
    return body["rooms"]["join"][room_id]  # type: ignore[no-any-return]


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_id"] for e in events]


def keys(events: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(e["type"], e["state_key"]) for e in events}


def inline(definition: dict[str, Any]) -> str:
    return json.dumps(definition)


def limit(n: int) -> str:
    return inline({"room": {"timeline": {"limit": n}}})


# -- the response's frame -----------------------------------------------------------------


async def test_initial_sync_has_every_top_level_section(alice: Account) -> None:
    body = await alice.sync()
    assert set(body["rooms"]) == {"join", "invite", "leave", "knock"}
    for section in ("presence", "account_data", "to_device"):
        assert isinstance(body[section]["events"], list)
    assert body["device_one_time_keys_count"] == {"signed_curve25519": 0}
    assert body["device_unused_fallback_key_types"] == []
    assert "device_lists" not in body  # incremental syncs only


async def test_r0_and_v3_serve_the_same_sync(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room(name="Both")
    v3 = await alice.sync()
    r0 = await alice.sync(prefix=R0)
    assert v3["next_batch"] == r0["next_batch"]
    assert joined(v3, room)["timeline"]["events"] == joined(r0, room)["timeline"]["events"]


async def test_room_events_have_no_room_id_and_state_events_a_state_key(alice: Account) -> None:
    room = await alice.create_room(name="Shape")
    await alice.send(room, "hi")
    entry = joined(await alice.sync(filter=limit(3)), room)
    for event in entry["timeline"]["events"] + entry["state"]["events"]:
        assert "room_id" not in event
        assert event["event_id"].startswith("$")
    assert all("state_key" in e for e in entry["state"]["events"])
    assert "state_key" not in entry["timeline"]["events"][-1]


# -- state at the start of the timeline ----------------------------------------------------


async def test_initial_state_is_the_state_before_the_timeline(alice: Account) -> None:
    room = await alice.create_room(name="Old name")
    await alice.put_state(room, "m.room.topic", {"topic": "t"})
    for i in range(5):
        await alice.send(room, f"m{i}")
    rename = await alice.put_state(room, "m.room.name", {"name": "New name"})
    last = await alice.send(room, "after rename")
    entry = joined(await alice.sync(filter=limit(2)), room)
    assert ids(entry["timeline"]["events"]) == [rename, last]
    assert entry["timeline"]["limited"] is True
    state = {(e["type"], e["state_key"]): e for e in entry["state"]["events"]}
    # The name as it was before the window: the client applies the rename from the timeline.
    assert state[("m.room.name", "")]["content"] == {"name": "Old name"}
    assert {("m.room.create", ""), ("m.room.topic", ""), ("m.room.member", alice.user_id)} <= set(
        state
    )
    assert not set(ids(entry["state"]["events"])) & set(ids(entry["timeline"]["events"]))


async def test_initial_state_is_empty_when_the_whole_room_fits_the_timeline(
    alice: Account,
) -> None:
    room = await alice.create_room()
    entry = joined(await alice.sync(filter=limit(50)), room)
    assert entry["state"]["events"] == []
    assert entry["timeline"]["events"][0]["type"] == "m.room.create"
    assert entry["timeline"]["limited"] is False


async def test_incremental_state_is_empty_unless_limited(alice: Account) -> None:
    room = await alice.create_room()
    first = await alice.sync()
    topic = await alice.put_state(room, "m.room.topic", {"topic": "new"})
    entry = joined(await alice.sync(since=first["next_batch"]), room)
    assert entry["state"]["events"] == []
    assert ids(entry["timeline"]["events"]) == [topic]
    assert entry["timeline"]["limited"] is False


async def test_limited_incremental_state_is_the_delta_up_to_the_window(alice: Account) -> None:
    room = await alice.create_room()
    first = await alice.sync()
    topic = await alice.put_state(room, "m.room.topic", {"topic": "during the gap"})
    for i in range(4):
        await alice.send(room, f"m{i}")
    entry = joined(await alice.sync(since=first["next_batch"], filter=limit(2)), room)
    assert entry["timeline"]["limited"] is True
    assert ids(entry["state"]["events"]) == [topic]


async def test_newly_joined_room_gets_full_state(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat", name="Lobby")
    for i in range(4):
        await alice.send(room, f"m{i}")
    first = await bob.sync()
    await bob.join(room)
    entry = joined(await bob.sync(since=first["next_batch"], filter=limit(1)), room)
    assert entry["timeline"]["events"][0]["state_key"] == bob.user_id
    assert entry["timeline"]["limited"] is True
    assert {("m.room.create", ""), ("m.room.name", ""), ("m.room.member", alice.user_id)} <= keys(
        entry["state"]["events"]
    )


# -- state_after ---------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["use_state_after", "org.matrix.msc4222.use_state_after"])
async def test_state_after_replaces_state_under_both_names(alice: Account, flag: str) -> None:
    room = await alice.create_room(name="Old")
    rename = await alice.put_state(room, "m.room.name", {"name": "New"})
    entry = joined(await alice.sync(filter=limit(1), **{flag: "true"}), room)
    assert "state" not in entry
    assert entry["state_after"] == entry[STATE_AFTER]
    state = {(e["type"], e["state_key"]): e for e in entry["state_after"]["events"]}
    assert state[("m.room.name", "")]["event_id"] == rename  # state at the END of the timeline
    assert ("m.room.create", "") in state


async def test_incremental_state_after_includes_timeline_state_and_may_be_empty(
    alice: Account,
) -> None:
    room = await alice.create_room()
    first = await alice.sync(use_state_after="true")
    topic = await alice.put_state(room, "m.room.topic", {"topic": "t"})
    second = await alice.sync(since=first["next_batch"], use_state_after="true")
    assert ids(joined(second, room)["state_after"]["events"]) == [topic]
    await alice.send(room, "no state change")
    third = await alice.sync(since=second["next_batch"], use_state_after="true")
    assert joined(third, room)["state_after"] == {"events": []}
    assert joined(third, room)[STATE_AFTER] == {"events": []}


async def test_state_after_false_keeps_state(alice: Account) -> None:
    room = await alice.create_room()
    entry = joined(await alice.sync(use_state_after="false"), room)
    assert "state" in entry and "state_after" not in entry and STATE_AFTER not in entry


async def test_left_room_carries_state_after(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    await alice.kick(room, bob.user_id)
    entry = (await bob.sync(since=first["next_batch"], use_state_after="true"))["rooms"]["leave"][
        room
    ]
    assert "state" not in entry
    member = [e for e in entry["state_after"]["events"] if e["state_key"] == bob.user_id]
    assert member[0]["content"]["membership"] == "leave"


async def test_rejected_invite_state_after_holds_the_leave(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.invite(room, bob.user_id)
    first = await bob.sync()
    await bob.leave(room)
    entry = (await bob.sync(since=first["next_batch"], use_state_after="true"))["rooms"]["leave"][
        room
    ]
    assert [e["content"]["membership"] for e in entry["state_after"]["events"]] == ["leave"]


# -- full_state ----------------------------------------------------------------------------


async def test_full_state_sends_every_room_with_full_state_and_never_waits(
    hs: Homeserver, alice: Account
) -> None:
    room = await alice.create_room(name="Quiet")
    first = await alice.sync()
    hs.store.clock.freeze()
    with anyio.fail_after(5):
        body = await alice.sync(since=first["next_batch"], full_state="true", timeout=60000)
    entry = joined(body, room)
    assert entry["timeline"]["events"] == []
    assert ("m.room.name", "") in keys(entry["state"]["events"])


# -- ephemeral: typing and receipts ---------------------------------------------------------


async def test_typing_appears_in_ephemeral_and_clears(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    await alice.typing(room, True)
    second = await bob.sync(since=first["next_batch"])
    typing = [e for e in joined(second, room)["ephemeral"]["events"] if e["type"] == "m.typing"]
    assert typing == [{"type": "m.typing", "content": {"user_ids": [alice.user_id]}}]
    await alice.typing(room, False)
    third = await bob.sync(since=second["next_batch"])
    typing = [e for e in joined(third, room)["ephemeral"]["events"] if e["type"] == "m.typing"]
    assert typing == [{"type": "m.typing", "content": {"user_ids": []}}]


async def test_receipts_appear_in_ephemeral_private_ones_only_to_their_owner(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    message = await alice.send(room, "read me")
    first = await alice.sync()
    await bob.call("POST", f"/rooms/{room}/receipt/m.read/{message}", json={})
    await alice.call("POST", f"/rooms/{room}/receipt/m.read.private/{message}", json={})
    seen = await alice.sync(since=first["next_batch"])
    receipts = [e for e in joined(seen, room)["ephemeral"]["events"] if e["type"] == "m.receipt"]
    content = receipts[0]["content"][message]
    assert set(content["m.read"]) == {bob.user_id}
    assert set(content["m.read.private"]) == {alice.user_id}
    bobs = await bob.sync()
    receipts = [e for e in joined(bobs, room)["ephemeral"]["events"] if e["type"] == "m.receipt"]
    assert "m.read.private" not in receipts[0]["content"][message]


async def test_read_markers_set_receipt_and_fully_read(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    message = await alice.send(room, "hello")
    first = await bob.sync()
    await bob.call(
        "POST",
        f"/rooms/{room}/read_markers",
        json={"m.fully_read": message, "m.read": message},
    )
    entry = joined(await bob.sync(since=first["next_batch"]), room)
    assert entry["account_data"]["events"] == [
        {"type": "m.fully_read", "content": {"event_id": message}}
    ]
    receipts = [e for e in entry["ephemeral"]["events"] if e["type"] == "m.receipt"]
    assert bob.user_id in receipts[0]["content"][message]["m.read"]
    assert entry["unread_notifications"] == {"notification_count": 0, "highlight_count": 0}


# -- unread notifications ---------------------------------------------------------------------


async def test_unread_counts_follow_messages_and_receipts(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await alice.send(room, "one")
    await alice.send(room, {"msgtype": "m.text", "body": "hey bob", "m.mentions": {
        "user_ids": [bob.user_id]}})
    last = await alice.send(room, "three")
    body = await bob.sync()
    assert joined(body, room)["unread_notifications"] == {
        "notification_count": 3,
        "highlight_count": 1,
    }
    await bob.call("POST", f"/rooms/{room}/receipt/m.read/{last}", json={})
    entry = joined(await bob.sync(since=body["next_batch"]), room)
    assert entry["unread_notifications"] == {"notification_count": 0, "highlight_count": 0}


async def test_messages_before_joining_are_not_unread(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    for i in range(3):
        await alice.send(room, f"history {i}")
    await bob.join(room)
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Bob"})
    await alice.send(room, "welcome")
    counts = joined(await bob.sync(), room)["unread_notifications"]
    assert counts == {"notification_count": 1, "highlight_count": 0}


async def test_highlights_follow_user_ids_and_current_display_names(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Zed"})
    await alice.send(room, "ping Zed")  # highlights bob
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Quux"})
    await alice.send(room, "ping Zed")  # no longer bob's name
    await alice.send(room, "hi Quux")  # highlights bob
    await alice.send(room, f"{bob.user_id} look")  # highlights bob
    await carol.join(room)
    await alice.send(room, "welcome carol")  # highlights carol, who joined since
    await bob.send(room, "Quux here")  # bob's own: never his highlight
    bob_counts = joined(await bob.sync(), room)["unread_notifications"]
    assert bob_counts == {"notification_count": 5, "highlight_count": 3}
    carol_counts = joined(await carol.sync(), room)["unread_notifications"]
    assert carol_counts == {"notification_count": 2, "highlight_count": 1}


async def test_highlights_follow_synapses_default_mention_rules(
    alice: Account, bob: Account, carol: Account
) -> None:
    """Display names and localparts as whole words in any case; with ``m.mentions`` (spec
    v1.7) only the users it names; ``@room`` and ``"room": true`` only from a sender whose
    power level reaches ``notifications.room``."""
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    await bob.call("PUT", f"/profile/{bob.user_id}/displayname", json={"displayname": "Me"})
    mentions = {"msgtype": "m.text"}
    sent = [
        ("Message for everyone", set()),  # "Me" is no word of it
        ("hello ME", {"bob"}),  # any case
        ("is BOB here?", {"bob"}),  # the localpart as a word
        ("carolina", set()),
        ({**mentions, "body": "me and carol", "m.mentions": {}}, set()),  # intentional: none
        ({**mentions, "body": "psst", "m.mentions": {"user_ids": [carol.user_id]}}, {"carol"}),
        ("@room wake up", {"bob", "carol"}),  # alice created the room: power 100
        ({**mentions, "body": "all", "m.mentions": {"room": True}}, {"bob", "carol"}),
    ]
    for body, _ in sent:
        await alice.send(room, body)
    await carol.send(room, "@room from carol")  # power 0: no room mention
    await carol.send(room, {**mentions, "body": "x", "m.mentions": {"room": True}})
    bob_counts = joined(await bob.sync(), room)["unread_notifications"]
    carol_counts = joined(await carol.sync(), room)["unread_notifications"]
    assert bob_counts["highlight_count"] == sum("bob" in who for _, who in sent)
    assert carol_counts["highlight_count"] == sum("carol" in who for _, who in sent)


async def test_own_messages_do_not_count_as_unread(alice: Account) -> None:
    room = await alice.create_room()
    await alice.send(room, "mine")
    counts = joined(await alice.sync(), room)["unread_notifications"]
    assert counts == {"notification_count": 0, "highlight_count": 0}


async def test_an_unread_change_alone_does_not_send_the_room(
    alice: Account, bob: Account
) -> None:
    """As Synapse ("the notification count does not count"), and SyTest 06state.pl's
    "A change to displayname should not result in a full state sync": a room whose only
    news is its unread counts is left out; the counts come with its next entry."""
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    message = await alice.send(room, "one")
    no_receipts = inline({"room": {"ephemeral": {"not_types": ["m.receipt"]}}})
    first = await bob.sync(filter=no_receipts)
    assert joined(first, room)["unread_notifications"]["notification_count"] == 1
    await bob.call("POST", f"/rooms/{room}/receipt/m.read/{message}", json={})
    quiet = await bob.sync(since=first["next_batch"], filter=no_receipts)
    assert room not in quiet.get("rooms", {}).get("join", {})
    await bob.send(room, "two")  # his own message: no new unread
    entry = joined(await bob.sync(since=quiet["next_batch"], filter=no_receipts), room)
    assert entry["unread_notifications"]["notification_count"] == 0


# -- account data ------------------------------------------------------------------------------


async def test_account_data_global_and_per_room(alice: Account) -> None:
    room = await alice.create_room()
    await alice.call("PUT", f"/user/{alice.user_id}/account_data/org.example.config", json={"a": 1})
    await alice.call(
        "PUT", f"/user/{alice.user_id}/rooms/{room}/account_data/org.example.room", json={"b": 2}
    )
    await alice.call("PUT", f"/user/{alice.user_id}/rooms/{room}/tags/u.work", json={"order": 0.5})
    body = await alice.sync()
    assert body["account_data"]["events"] == [{"type": "org.example.config", "content": {"a": 1}}]
    assert joined(body, room)["account_data"]["events"] == [
        {"type": "org.example.room", "content": {"b": 2}},
        {"type": "m.tag", "content": {"tags": {"u.work": {"order": 0.5}}}},
    ]
    await alice.call("PUT", f"/user/{alice.user_id}/account_data/org.example.config", json={"a": 2})
    later = await alice.sync(since=body["next_batch"])
    assert later["account_data"]["events"] == [{"type": "org.example.config", "content": {"a": 2}}]
    assert room not in later["rooms"]["join"]  # only the global type changed


async def test_account_data_filter(alice: Account) -> None:
    await alice.call("PUT", f"/user/{alice.user_id}/account_data/keep.me", json={})
    await alice.call("PUT", f"/user/{alice.user_id}/account_data/drop.me", json={})
    body = await alice.sync(filter=inline({"account_data": {"types": ["keep.*"]}}))
    assert [e["type"] for e in body["account_data"]["events"]] == ["keep.me"]


# -- summary -----------------------------------------------------------------------------------


async def test_summary_on_initial_and_after_membership_changes(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await alice.invite(room, carol.user_id)
    body = await alice.sync()
    assert joined(body, room)["summary"] == {
        "m.heroes": [bob.user_id, carol.user_id],
        "m.joined_member_count": 2,
        "m.invited_member_count": 1,
    }
    await alice.send(room, "no member change")
    quiet = await alice.sync(since=body["next_batch"])
    assert joined(quiet, room)["summary"] == {}
    await carol.join(room)
    changed = await alice.sync(since=quiet["next_batch"])
    # Whole once a membership moved it, as Synapse recomputes it (SyTest 16room-summary.pl).
    assert joined(changed, room)["summary"] == {
        "m.heroes": [bob.user_id, carol.user_id],
        "m.joined_member_count": 3,
        "m.invited_member_count": 0,
    }


async def test_summary_sends_new_heroes_when_members_swap(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    body = await alice.sync()
    await bob.leave(room)
    await carol.join(room)
    entry = joined(await alice.sync(since=body["next_batch"]), room)
    assert entry["summary"] == {
        "m.heroes": [carol.user_id],
        "m.joined_member_count": 2,
        "m.invited_member_count": 0,
    }


async def test_heroes_fall_back_to_members_who_left(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.leave(room)
    assert joined(await alice.sync(), room)["summary"]["m.heroes"] == [bob.user_id]


# -- invites -----------------------------------------------------------------------------------


async def test_invite_state_has_create_name_and_the_invite(alice: Account, bob: Account) -> None:
    room = await alice.create_room(name="Party", topic="cake")
    first = await bob.sync()
    await alice.invite(room, bob.user_id)
    second = await bob.sync(since=first["next_batch"])
    events = second["rooms"]["invite"][room]["invite_state"]["events"]
    assert [e["type"] for e in events[:1]] == ["m.room.create"]
    by_type = {e["type"]: e for e in events}
    assert by_type["m.room.name"]["content"] == {"name": "Party"}
    assert by_type["m.room.topic"]["content"] == {"topic": "cake"}
    invite = events[-1]
    assert invite["type"] == "m.room.member" and invite["state_key"] == bob.user_id
    assert invite["content"]["membership"] == "invite"
    assert invite["sender"] == alice.user_id
    assert room not in second["rooms"]["join"]
    await alice.send(room, "bob does not see this")
    third = await bob.sync(since=second["next_batch"])
    assert room not in third["rooms"]["invite"]
    assert room in (await bob.sync())["rooms"]["invite"]  # initial: while the invite stands


async def test_joining_an_invite_moves_the_room_to_join(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    await alice.invite(room, bob.user_id)
    first = await bob.sync()
    await bob.join(room)
    second = await bob.sync(since=first["next_batch"])
    assert room in second["rooms"]["join"] and room not in second["rooms"]["invite"]


# -- leaves, kicks and bans ---------------------------------------------------------------------


async def test_own_leave_appears_once_with_the_leave_last(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    await alice.send(room, "before")
    await bob.leave(room)
    await alice.send(room, "after: bob never sees this")
    second = await bob.sync(since=first["next_batch"])
    entry = second["rooms"]["leave"][room]
    timeline = entry["timeline"]["events"]
    assert [e["content"].get("body") for e in timeline[:1]] == ["before"]
    assert timeline[-1]["state_key"] == bob.user_id
    assert timeline[-1]["content"]["membership"] == "leave"
    assert set(entry) == {"state", "timeline", "account_data"}
    third = await bob.sync(since=second["next_batch"])
    assert room not in third["rooms"]["leave"]


async def test_initial_sync_shows_own_leaves_only_with_include_leave(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.leave(room)
    assert room not in (await bob.sync())["rooms"]["leave"]
    body = await bob.sync(filter=inline({"room": {"include_leave": True}}))
    assert body["rooms"]["leave"][room]["timeline"]["events"][-1]["state_key"] == bob.user_id


@pytest.mark.parametrize("action", ["kick", "ban"])
async def test_kicks_and_bans_always_appear(alice: Account, bob: Account, action: str) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await getattr(alice, action)(room, bob.user_id)
    entry = (await bob.sync())["rooms"]["leave"][room]
    last = entry["timeline"]["events"][-1]
    assert last["sender"] == alice.user_id
    assert last["content"]["membership"] == ("leave" if action == "kick" else "ban")


# -- presence ------------------------------------------------------------------------------------


async def test_set_presence_marks_the_syncing_user(alice: Account) -> None:
    body = await alice.sync(set_presence="unavailable")
    mine = [e for e in body["presence"]["events"] if e["sender"] == alice.user_id]
    assert mine[0]["content"]["presence"] == "unavailable"
    body = await alice.sync(set_presence="offline")
    mine = [e for e in body["presence"]["events"] if e["sender"] == alice.user_id]
    assert mine[0]["content"]["presence"] == "unavailable"  # offline leaves it untouched


async def test_presence_of_room_members_is_delivered(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await alice.sync()
    await bob.call("PUT", f"/presence/{bob.user_id}/status", json={
        "presence": "online", "status_msg": "lunch"})
    body = await alice.sync(since=first["next_batch"], set_presence="offline")
    events = [e for e in body["presence"]["events"] if e["sender"] == bob.user_id]
    assert events[-1]["content"]["status_msg"] == "lunch"


async def test_presence_of_strangers_is_not_delivered(alice: Account, bob: Account) -> None:
    first = await alice.sync()
    await bob.sync(set_presence="online")
    body = await alice.sync(since=first["next_batch"])
    assert [e["sender"] for e in body["presence"]["events"]] == []


# -- to-device and end-to-end encryption ----------------------------------------------------------


async def test_to_device_messages_reach_the_device_once(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    first = await bob.sync()
    await alice.call(
        "PUT",
        "/sendToDevice/m.test/txn1",
        json={"messages": {bob.user_id: {bob.device_id: {"hello": "device"}}}},
    )
    second = await bob.sync(since=first["next_batch"])
    assert second["to_device"]["events"] == [
        {"type": "m.test", "sender": alice.user_id, "content": {"hello": "device"}}
    ]
    third = await bob.sync(since=second["next_batch"])
    assert third["to_device"]["events"] == []


async def test_to_device_wildcard_reaches_every_device(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    login = await client.post(
        f"{V3}/login",
        json={"type": "m.login.password", "user": "bob", "password": "secret"},
    )
    other = Account(client, bob.user_id, login.json()["access_token"], login.json()["device_id"])
    await alice.call(
        "PUT", "/sendToDevice/m.test/t2", json={"messages": {bob.user_id: {"*": {"n": 1}}}}
    )
    for device in (bob, other):
        assert [e["content"] for e in (await device.sync())["to_device"]["events"]] == [{"n": 1}]


async def test_one_time_key_counts_follow_uploads(alice: Account) -> None:
    await alice.call(
        "POST",
        "/keys/upload",
        json={
            "one_time_keys": {"signed_curve25519:AAA": {"key": "x"}, "signed_curve25519:BBB": {}},
            "fallback_keys": {"signed_curve25519:CCC": {"key": "y", "fallback": True}},
        },
    )
    body = await alice.sync()
    assert body["device_one_time_keys_count"] == {"signed_curve25519": 2}
    assert body["device_unused_fallback_key_types"] == ["signed_curve25519"]


async def test_device_lists_track_users_sharing_rooms(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    first = await alice.sync()
    await bob.join(room)
    second = await alice.sync(since=first["next_batch"])
    assert second["device_lists"] == {"changed": [bob.user_id], "left": []}
    await bob.leave(room)
    third = await alice.sync(since=second["next_batch"])
    assert third["device_lists"] == {"changed": [], "left": [bob.user_id]}
    other = await carol.create_room(preset="public_chat")
    await bob.join(other)
    carol_first = await carol.sync()
    await carol.join(room)  # carol joins a room with alice: she learns alice's devices
    body = await carol.sync(since=carol_first["next_batch"])
    assert body["device_lists"]["changed"] == [alice.user_id]


# -- filters -------------------------------------------------------------------------------------


async def test_filter_by_id_and_inline_agree(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room()
    for i in range(5):
        await alice.send(room, f"m{i}")
    definition = {"room": {"timeline": {"limit": 2, "types": ["m.room.message"]}}}
    filter_id = await alice.upload_filter(definition)
    by_id = joined(await alice.sync(filter=filter_id), room)
    by_json = joined(await alice.sync(filter=inline(definition)), room)
    assert by_id["timeline"] == by_json["timeline"]
    assert [e["content"]["body"] for e in by_id["timeline"]["events"]] == ["m3", "m4"]


async def test_bad_filters_are_rejected(client: httpx.AsyncClient, alice: Account) -> None:
    for value, errcode in (("{not json", "M_NOT_JSON"), ("42", "M_INVALID_PARAM"),
                           ('{"room": {"timeline": {"limit": -1}}}', "M_BAD_JSON")):
        response = await client.get(
            f"{V3}/sync", params={"filter": value}, headers=alice.headers
        )
        assert_error(response, 400, errcode)


async def test_rooms_filter_removes_rooms_from_every_section(
    alice: Account, bob: Account
) -> None:
    kept = await alice.create_room()
    dropped = await alice.create_room()
    other = await bob.create_room()
    await bob.invite(other, alice.user_id)
    body = await alice.sync(filter=inline({"room": {"rooms": [kept]}}))
    assert list(body["rooms"]["join"]) == [kept]
    assert body["rooms"]["invite"] == {}
    assert dropped not in body["rooms"]["join"]


async def test_lazy_load_members_sends_only_the_members_needed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # Unnamed: only a room without a name or alias names heroes, whose members then come too.
    room = await alice.create_room(preset="public_chat")
    others = [await register(client, f"user{i}") for i in range(6)]
    for other in others:
        await other.join(room)
    for i in range(3):
        await alice.send(room, f"m{i}")
    syncer = others[-1]
    lazy = inline({"room": {"timeline": {"limit": 3},
                            "state": {"lazy_load_members": True,
                                      "include_redundant_members": True}}})
    entry = joined(await syncer.sync(filter=lazy), room)
    members = {e["state_key"] for e in entry["state"]["events"] if e["type"] == "m.room.member"}
    # The window's sender, the syncing user and the five heroes; not user4.
    heroes = entry["summary"]["m.heroes"]
    assert heroes == [alice.user_id] + [o.user_id for o in others[:4]]
    assert members == {syncer.user_id, *heroes}
    assert ("m.room.join_rules", "") in keys(entry["state"]["events"])
    everyone = {
        e["state_key"]
        for e in joined(await syncer.sync(filter=limit(3)), room)["state"]["events"]
        if e["type"] == "m.room.member"
    }
    assert everyone == {alice.user_id, *(o.user_id for o in others)}


async def test_lazy_loading_limited_sync_sends_members_who_changed_in_the_gap(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    lazy = inline({"room": {"timeline": {"limit": 2}, "state": {"lazy_load_members": True}}})
    first = await alice.sync(filter=lazy)
    await carol.join(room)
    for i in range(3):
        await alice.send(room, f"m{i}")
    entry = joined(await alice.sync(since=first["next_batch"], filter=lazy), room)
    assert entry["timeline"]["limited"] is True
    members = {e["state_key"] for e in entry["state"]["events"] if e["type"] == "m.room.member"}
    assert carol.user_id in members and bob.user_id not in members


async def test_contains_url_filter(alice: Account) -> None:
    room = await alice.create_room()
    await alice.send(room, "text")
    image = await alice.send(room, {"msgtype": "m.image", "body": "cat.png", "url": "mxc://x/y"})
    only_urls = inline({"room": {"timeline": {"contains_url": True}}})
    assert ids(joined(await alice.sync(filter=only_urls), room)["timeline"]["events"]) == [image]
    no_urls = inline({"room": {"timeline": {"contains_url": False, "types": ["m.room.message"]}}})
    events = joined(await alice.sync(filter=no_urls), room)["timeline"]["events"]
    assert [e["content"]["body"] for e in events] == ["text"]


async def test_event_fields_keep_only_the_fields_asked_for(alice: Account) -> None:
    room = await alice.create_room()
    await alice.send(room, "only the body")
    wanted = inline({"event_fields": ["type", "content.body"],
                     "room": {"timeline": {"limit": 1}}})
    events = joined(await alice.sync(filter=wanted), room)["timeline"]["events"]
    assert events == [{"type": "m.room.message", "content": {"body": "only the body"}}]


# -- transaction ids -----------------------------------------------------------------------------


async def test_transaction_id_only_for_the_sending_device(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    event_id = await alice.send(room, "mine", txn_id="my-txn")
    login = await client.post(
        f"{V3}/login", json={"type": "m.login.password", "user": "alice", "password": "secret"}
    )
    laptop = Account(client, alice.user_id, login.json()["access_token"],
                     login.json()["device_id"])

    def unsigned(body: dict[str, Any]) -> dict[str, Any]:
        event = next(e for e in joined(body, room)["timeline"]["events"]
                     if e["event_id"] == event_id)
        return event["unsigned"]  # type: ignore[no-any-return]

    assert unsigned(await alice.sync())["transaction_id"] == "my-txn"
    assert "transaction_id" not in unsigned(await laptop.sync())
    assert "transaction_id" not in unsigned(await bob.sync())


# -- redactions ----------------------------------------------------------------------------------


async def test_redacted_message_is_stripped_in_sync_and_messages(alice: Account) -> None:
    room = await alice.create_room()
    secret = await alice.send(room, "secret")
    first = await alice.sync()
    await alice.call("PUT", f"/rooms/{room}/redact/{secret}/r1", json={"reason": "oops"})
    for body in (await alice.sync(), await alice.sync(since=first["next_batch"])):
        events = joined(body, room)["timeline"]["events"]
        redaction = next(e for e in events if e["type"] == "m.room.redaction")
        assert redaction["redacts"] == secret and redaction["content"]["redacts"] == secret
    events = joined(await alice.sync(), room)["timeline"]["events"]
    stripped = next(e for e in events if e["event_id"] == secret)
    assert stripped["content"] == {}
    assert stripped["unsigned"]["redacted_because"]["content"]["reason"] == "oops"
    chunk = (await alice.messages(room, dir="b"))["chunk"]
    assert next(e for e in chunk if e["event_id"] == secret)["content"] == {}


async def test_redacted_state_is_stripped_in_room_state_and_sync_state(alice: Account) -> None:
    room = await alice.create_room()
    topic = await alice.put_state(room, "m.room.topic", {"topic": "secret"})
    for _ in range(3):
        await alice.send(room, "filler")
    await alice.call("PUT", f"/rooms/{room}/redact/{topic}/r1", json={})
    current = await alice.call("GET", f"/rooms/{room}/state")
    assert next(e for e in current if e["event_id"] == topic)["content"] == {}
    assert await alice.call("GET", f"/rooms/{room}/state/m.room.topic") == {}
    state = joined(await alice.sync(filter=limit(4)), room)["state"]["events"]
    redacted = next(e for e in state if e["event_id"] == topic)
    assert redacted["content"] == {}
    assert "redacted_because" in redacted["unsigned"]


async def test_redaction_hides_old_content_from_the_next_state_event(alice: Account) -> None:
    room = await alice.create_room()
    await alice.put_state(room, "m.room.topic", {"topic": "first"})
    secret = await alice.put_state(room, "m.room.topic", {"topic": "secret"})
    public = await alice.put_state(room, "m.room.topic", {"topic": "public"})
    await alice.call("PUT", f"/rooms/{room}/redact/{secret}/r1", json={})
    events = joined(await alice.sync(filter=limit(50)), room)["timeline"]["events"]
    by_id = {e["event_id"]: e for e in events}
    assert by_id[public]["unsigned"]["prev_content"] == {}
    assert "prev_content" not in by_id[secret]["unsigned"]
    assert "secret" not in json.dumps(events)
    chunk = (await alice.messages(room, dir="b"))["chunk"]
    assert "secret" not in json.dumps(chunk)


# -- long-poll -----------------------------------------------------------------------------------


async def test_long_poll_wakes_on_a_message(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    results: dict[str, Any] = {}

    async def park() -> None:
        results["body"] = await bob.sync(since=first["next_batch"], timeout=30000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(bob.user_id)
            event_id = await alice.send(room, "wake up")
    assert ids(joined(results["body"], room)["timeline"]["events"]) == [event_id]


async def test_long_poll_wakes_on_typing_and_to_device(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.sync()
    results: dict[str, Any] = {}

    async def park(name: str, since: str) -> None:
        results[name] = await bob.sync(since=since, timeout=30000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park, "typing", first["next_batch"])
            await hs.notifier.until_parked(bob.user_id)
            await alice.typing(room)
    typing = results["typing"]
    assert joined(typing, room)["ephemeral"]["events"][0]["type"] == "m.typing"
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park, "to_device", typing["next_batch"])
            await hs.notifier.until_parked(bob.user_id)
            await alice.call("PUT", "/sendToDevice/m.ping/t1",
                             json={"messages": {bob.user_id: {bob.device_id: {}}}})
    assert results["to_device"]["to_device"]["events"][0]["type"] == "m.ping"


async def test_long_poll_times_out_empty_on_the_server_clock(
    hs: Homeserver, alice: Account
) -> None:
    await alice.create_room()
    first = await alice.sync(set_presence="offline")
    hs.store.clock.freeze()
    results: dict[str, Any] = {}

    async def park() -> None:
        results["body"] = await alice.sync(
            since=first["next_batch"], timeout=30000, set_presence="offline"
        )

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            hs.store.clock.advance(30000)
    body = results["body"]
    assert body["next_batch"] == first["next_batch"]
    assert body["rooms"] == {"join": {}, "invite": {}, "leave": {}, "knock": {}}
    assert body["device_lists"] == {"changed": [], "left": []}


# -- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"full_state": "yes"},
        {"use_state_after": "1"},
        {"set_presence": "busy"},
        {"timeout": "soon"},
        {"since": "not-a-token"},
        {"from": "s0_0_0"},
    ],
)
async def test_bad_parameters_are_invalid_param(
    client: httpx.AsyncClient, alice: Account, params: dict[str, str]
) -> None:
    response = await client.get(f"{V3}/sync", params=params, headers=alice.headers)
    assert_error(response, 400, "M_INVALID_PARAM")


async def test_unknown_parameters_are_ignored(alice: Account) -> None:
    body = await alice.sync(_cacheBuster="123", **{"org.example.unknown": "x"})
    assert "next_batch" in body


async def test_sync_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"{V3}/sync"), 401, "M_MISSING_TOKEN")
    assert_error(await client.get(f"{R0}/sync", params={"access_token": "nope"}), 401,
                 "M_UNKNOWN_TOKEN")


async def test_register_helper_account_is_usable_over_r0(client: httpx.AsyncClient) -> None:
    dave = await register(client, "dave")
    room = await dave.create_room()
    assert room in (await dave.sync(prefix=R0))["rooms"]["join"]


@pytest.mark.parametrize("state_after", ["false", "true"])
async def test_state_set_after_a_filtered_window_is_not_lost(
    alice: Account, state_after: str
) -> None:
    room = await alice.create_room(name="Before")
    only_messages = inline({"room": {"timeline": {"types": ["m.room.message"]}}})
    first = await alice.sync(filter=only_messages, use_state_after=state_after)
    message = await alice.send(room, "last message")
    rename = await alice.put_state(room, "m.room.name", {"name": "After"})
    entry = joined(
        await alice.sync(since=first["next_batch"], filter=only_messages,
                         use_state_after=state_after),
        room,
    )
    assert ids(entry["timeline"]["events"]) == [message]
    state = entry["state_after" if state_after == "true" else "state"]["events"]
    assert ids(state) == [rename]
    initial = joined(await alice.sync(filter=only_messages, use_state_after=state_after), room)
    names = [e for e in initial["state_after" if state_after == "true" else "state"]["events"]
             if e["type"] == "m.room.name"]
    assert ids(names) == [rename]


# -- incremental syncs look only where something happened ----------------------------------


async def test_incremental_sync_reports_each_room_that_changed_however_many_changes_since(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    """The store's log of touched rooms (core/store/activity.py) lets an incremental sync
    skip the rest; a token older than the log, or with more commits since than the user
    has rooms, falls back to every room. Both ways report the same rooms."""
    rooms = [await alice.create_room(preset="public_chat") for _ in range(4)]
    for room in rooms:
        await bob.join(room)
    earlier = await bob.send(rooms[2], "earlier")
    since = (await alice.sync())["next_batch"]
    # Few commits since: a message, a typing change and a receipt, in three rooms.
    message = await bob.send(rooms[0], "one")
    await bob.typing(rooms[1])
    await bob.call("POST", f"/rooms/{rooms[2]}/receipt/m.read/{earlier}", json={})
    body = await alice.sync(since=since)
    assert set(body["rooms"]["join"]) == {rooms[0], rooms[1], rooms[2]}
    receipts = joined(body, rooms[2])["ephemeral"]["events"]
    assert [e["type"] for e in receipts] == ["m.receipt"]
    assert ids(joined(body, rooms[0])["timeline"]["events"]) == [message]
    # Many commits since (more than alice has rooms), then one in another room.
    later = body["next_batch"]
    for n in range(6):
        await bob.send(rooms[3], f"many {n}")
    await bob.typing(rooms[1], False)
    body = await alice.sync(since=later)
    assert set(body["rooms"]["join"]) == {rooms[3], rooms[1]}
    assert len(joined(body, rooms[3])["timeline"]["events"]) == 6
    # A log that no longer reaches back to the token.
    hs.store.activity.LIMIT = 2
    last = body["next_batch"]
    await bob.send(rooms[2], "after")
    for _ in range(3):
        await bob.typing(rooms[0])
        await bob.typing(rooms[0], False)
    body = await alice.sync(since=last)
    assert set(body["rooms"]["join"]) == {rooms[2], rooms[0]}


async def test_lists_served_again_keep_each_viewers_transaction_ids_and_redactions(
    alice: Account, bob: Account
) -> None:
    """A list of events served again is put together from what was kept of it
    (mockserver/api/encoded.py): the sender's device still sees its transaction id and
    no one else does, a redaction shows at once, ages are the answer's own."""
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = await alice.send(room, "mine", txn_id="alice-txn")

    def event(body: dict[str, Any]) -> dict[str, Any]:
        found = [e for e in joined(body, room)["timeline"]["events"] if e["event_id"] == sent]
        assert len(found) == 1
        return found[0]

    for _ in range(2):  # the second round is served from what the first one kept
        assert event(await alice.sync())["unsigned"]["transaction_id"] == "alice-txn"
        assert "transaction_id" not in event(await bob.sync())["unsigned"]
    await alice.call("PUT", f"/rooms/{room}/redact/{sent}/r1", json={"reason": "oops"})
    for account in (alice, bob, alice):
        redacted = event(await account.sync())
        assert redacted["content"] == {}
        assert redacted["unsigned"]["redacted_because"]["content"]["reason"] == "oops"
        assert redacted["unsigned"]["age"] >= 0


async def test_a_state_list_served_again_shows_a_redaction_inside_it(
    alice: Account, bob: Account
) -> None:
    """The same state entries, one of them redacted since: not the list kept before."""
    room = await alice.create_room(preset="public_chat", topic="secret plans")
    await bob.join(room)
    await alice.put_state(room, "m.room.name", {"name": "Later"})
    await alice.send(room, "the timeline's one event: the state holds every entry")

    def topic(body: dict[str, Any]) -> dict[str, Any]:
        state = joined(body, room)["state"]["events"]
        return next(e for e in state if e["type"] == "m.room.topic")

    for _ in range(2):
        assert topic(await bob.sync(filter=limit(1)))["content"]["topic"] == "secret plans"
    topic_id = topic(await bob.sync(filter=limit(1)))["event_id"]
    await alice.call("PUT", f"/rooms/{room}/redact/{topic_id}/r1", json={})
    assert topic(await bob.sync(filter=limit(1)))["content"] == {}
