"""An event as a federation PDU: the fields a homeserver's copy of an event carries
beyond what clients see (``prev_events``, ``auth_events``, ``depth``, ``hashes``,
``signatures``, and ``origin`` before room version 11).

Synapse serves these to a client whose filter asks for ``event_format`` ``federation``
(its events as they are stored). mockserver's rooms are linear, so an event's
``prev_events`` is the one event before it; its ``auth_events`` are chosen as the spec's
"auth events selection" says, from the state before it; it is hashed and signed as the
server-server API says, with an ed25519 key derived from the server name (mockserver
publishes no server keys: the key only makes the signatures real ones).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from hashlib import sha256

import orjson
from signedjson.key import decode_signing_key_base64
from signedjson.sign import sign_json
from unpaddedbase64 import encode_base64

from mockserver.core.model import Event, JsonDict, StateKey
from mockserver.core.redaction import redacted_content
from mockserver.core.room import Room

KEY_VERSION = "mock"
#: Room versions whose PDUs carry ``origin``, and a redaction's ``redacts`` at the top
#: level (version 11 dropped the one and moved the other into ``content``).
BEFORE_11 = frozenset(str(n) for n in range(1, 11))
#: What a redaction keeps of a PDU (the top-level keys of the room version 1-10 rules).
_KEPT_KEYS = (
    "event_id",
    "type",
    "room_id",
    "sender",
    "state_key",
    "content",
    "hashes",
    "signatures",
    "depth",
    "prev_events",
    "auth_events",
    "origin",
    "origin_server_ts",
)


@cache
def signing_key(server_name: str) -> Any:
    """The server's ed25519 signing key: the same for one server name, every run."""
    seed = sha256(b"mockserver server key " + server_name.encode()).digest()
    return decode_signing_key_base64("ed25519", KEY_VERSION, encode_base64(seed))


def auth_event_keys(event: Event) -> list[StateKey]:
    """The state entries an event's ``auth_events`` come from (the spec's selection)."""
    if event.type == "m.room.create":
        return []
    keys: list[StateKey] = [
        ("m.room.create", ""),
        ("m.room.power_levels", ""),
        ("m.room.member", event.sender),
    ]
    if event.type == "m.room.member" and event.state_key is not None:
        keys.append(("m.room.member", event.state_key))
        membership = event.content.get("membership")
        if membership in ("join", "invite", "knock"):
            keys.append(("m.room.join_rules", ""))
        invite = event.content.get("third_party_invite")
        signed = invite.get("signed") if isinstance(invite, dict) else None
        token = signed.get("token") if isinstance(signed, dict) else None
        if membership == "invite" and isinstance(token, str):
            keys.append(("m.room.third_party_invite", token))
        via = event.content.get("join_authorised_via_users_server")
        if membership == "join" and isinstance(via, str):
            keys.append(("m.room.member", via))
    return list(dict.fromkeys(keys))


def pdu_fields(room: Room, event: Event, server_name: str) -> JsonDict:
    """``event`` as a PDU, without ``unsigned`` (the caller adds what clients get)."""
    before = event.depth - 1
    auth = (room.state_event_at(key, before) for key in auth_event_keys(event))
    pdu: JsonDict = {
        "event_id": event.event_id,
        "room_id": event.room_id,
        "type": event.type,
        "sender": event.sender,
        "content": event.content,
        "origin_server_ts": event.origin_server_ts,
        "depth": event.depth,
        "prev_events": [room.event_at(before).event_id] if before > 0 else [],
        "auth_events": [found.event_id for found in auth if found is not None],
    }
    if event.state_key is not None:
        pdu["state_key"] = event.state_key
    create = room.state_event_at(("m.room.create", ""), room.depth)
    version = str(create.content.get("room_version", "1")) if create is not None else "1"
    if version in BEFORE_11:
        pdu["origin"] = server_name
        if event.type == "m.room.redaction" and "redacts" in event.content:
            pdu["redacts"] = event.content["redacts"]
    unhashed = {key: value for key, value in pdu.items() if key != "event_id"}
    digest = sha256(orjson.dumps(unhashed, option=orjson.OPT_SORT_KEYS)).digest()
    pdu["hashes"] = {"sha256": encode_base64(digest)}
    redacted = {key: pdu[key] for key in _KEPT_KEYS if key in pdu and key != "event_id"}
    redacted["content"] = redacted_content(event.type, event.content)
    pdu["signatures"] = sign_json(redacted, server_name, signing_key(server_name))["signatures"]
    return pdu
