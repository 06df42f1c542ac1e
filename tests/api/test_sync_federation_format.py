"""A filter's ``event_format`` ``federation``: /sync serves its room events as PDUs, as
Synapse does (SyTest's "Can request federation format via the filter" checks the keys;
these check what the keys hold)."""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import pytest
from signedjson.key import get_verify_key
from signedjson.sign import verify_signed_json
from unpaddedbase64 import encode_base64

from mockserver.core.pdu import KEY_VERSION, signing_key
from mockserver.core.redaction import redacted_content
from tests.support import Account

pytestmark = pytest.mark.anyio

FEDERATION = {"event_format": "federation", "room": {"timeline": {"limit": 50}}}


async def pdus(account: Account, room_id: str, **definition: Any) -> list[dict[str, Any]]:
    body = await account.sync(filter=json.dumps({**FEDERATION, **definition}))
    room = body["rooms"]["join"][room_id]
    return room["state"]["events"] + room["timeline"]["events"]  # type: ignore[no-any-return]


async def test_events_chain_and_name_their_auth_events(alice: Account, bob: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await alice.send(room_id, "hello")
    events = await pdus(alice, room_id)
    ids = {(e["type"], e.get("state_key")): e["event_id"] for e in events}
    create = ids[("m.room.create", "")]
    assert events[0]["event_id"] == create and events[0]["prev_events"] == []
    assert events[0]["auth_events"] == []
    for before, event in zip(events, events[1:]):
        assert event["depth"] == before["depth"] + 1
        assert event["prev_events"] == [before["event_id"]]
        assert event["room_id"] == room_id
    bob_join, message = events[-2], events[-1]
    power, rules = ids[("m.room.power_levels", "")], ids[("m.room.join_rules", "")]
    # A first join: no member event of bob's before it, so create, power levels, join rules.
    assert set(bob_join["auth_events"]) == {create, power, rules}
    alice_member = ids[("m.room.member", alice.user_id)]
    assert set(message["auth_events"]) == {create, power, alice_member}


async def test_pdus_are_hashed_and_signed(alice: Account) -> None:
    room_id = await alice.create_room()
    await alice.send(room_id, "signed")
    key = signing_key("localhost")
    for event in await pdus(alice, room_id):
        assert event["origin"] == "localhost"  # room version 10
        unhashed = ("unsigned", "signatures", "hashes", "event_id")
        hashed = {k: v for k, v in event.items() if k not in unhashed}
        canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert event["hashes"]["sha256"] == encode_base64(sha256(canonical.encode()).digest())
        signed = {k: v for k, v in event.items() if k not in ("unsigned", "event_id")}
        signed["content"] = redacted_content(event["type"], event["content"])
        assert list(event["signatures"]["localhost"]) == [f"ed25519:{KEY_VERSION}"]
        verify_signed_json(signed, "localhost", get_verify_key(key))


async def test_client_format_is_the_default_and_fields_still_apply(alice: Account) -> None:
    room_id = await alice.create_room()
    await alice.send(room_id, "plain")
    body = await alice.sync()
    for event in body["rooms"]["join"][room_id]["timeline"]["events"]:
        assert not {"room_id", "prev_events", "auth_events", "hashes", "signatures"} & event.keys()
    projected = await pdus(alice, room_id, event_fields=["type", "depth"])
    assert all(event.keys() == {"type", "depth"} for event in projected)


async def test_left_rooms_and_state_after_are_pdus_too(alice: Account, bob: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await bob.leave(room_id)
    room_filter = {"timeline": {"limit": 1}, "include_leave": True}
    short = json.dumps({"event_format": "federation", "room": room_filter})
    left = (await bob.sync(filter=short))["rooms"]["leave"][room_id]
    for event in left["timeline"]["events"] + left["state"]["events"]:
        assert {"prev_events", "auth_events", "hashes", "signatures", "room_id"} <= event.keys()
    joined = (await alice.sync(filter=short, use_state_after="true"))["rooms"]["join"][room_id]
    assert joined["state_after"]["events"]
    assert all("hashes" in event for event in joined["state_after"]["events"])
