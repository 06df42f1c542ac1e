"""Events as clients receive them: the client format and its variants.

One function per shape: today's client event (with or without ``room_id``),
the seed's ``event_map`` entry (no ``event_id``, no ``room_id``), stripped
state, and ephemeral/presence events. ``unsigned`` is computed here, at the
moment of serving: ``age`` from the server clock, and the transaction id
only for the device that sent the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mockserver.core.filters import project_fields
from mockserver.core.model import (
    AccountData,
    Event,
    JsonDict,
    Presence,
    Receipt,
    Session,
    ToDeviceMessage,
)


def _unsigned(event: Event, viewer: Session | None, now: int, txn_key: str) -> JsonDict:
    unsigned: JsonDict = {"age": max(0, now - event.origin_server_ts)}
    if (
        event.txn is not None
        and viewer is not None
        and event.txn[0] == viewer.user_id
        and event.txn[1] == viewer.device_id
    ):
        unsigned[txn_key] = event.txn[2]
    if event.prev_content is not None:
        unsigned["prev_content"] = event.prev_content
    if event.redacted_because is not None:
        unsigned["redacted_because"] = client_event(
            event.redacted_because, None, now, with_room_id=True
        )
    return unsigned


def client_event(
    event: Event,
    viewer: Session | None,
    now: int,
    *,
    with_room_id: bool = True,
    event_fields: Iterable[str] | None = None,
) -> JsonDict:
    """Today's ClientEvent (``with_room_id=False``: ClientEventWithoutRoomID)."""
    body: JsonDict = {
        "type": event.type,
        "sender": event.sender,
        "content": event.content,
        "event_id": event.event_id,
        "origin_server_ts": event.origin_server_ts,
        "unsigned": _unsigned(event, viewer, now, "transaction_id"),
    }
    if with_room_id:
        body["room_id"] = event.room_id
    if event.state_key is not None:
        body["state_key"] = event.state_key
    if event.type == "m.room.redaction" and "redacts" in event.content:
        body["redacts"] = event.content["redacts"]
    if event_fields is not None:
        return project_fields(body, event_fields)
    return body


def seed_event(
    event: Event, viewer: Session | None, now: int, event_fields: Iterable[str] | None = None
) -> JsonDict:
    """An ``event_map`` entry of the seed's sync: no ``event_id``, no ``room_id``."""
    body: JsonDict = {
        "type": event.type,
        "sender": event.sender,
        "content": event.content,
        "origin_server_ts": event.origin_server_ts,
        "unsigned": _unsigned(event, viewer, now, "txn_id"),
    }
    if event.state_key is not None:
        body["state_key"] = event.state_key
    if event_fields is not None:
        return project_fields(body, event_fields)
    return body


def stripped_event(event: Event) -> JsonDict:
    return {
        "type": event.type,
        "state_key": event.state_key,
        "content": event.content,
        "sender": event.sender,
    }


def presence_event(presence: Presence, now: int) -> JsonDict:
    content: JsonDict = {"presence": presence.presence}
    if presence.last_active_ts is not None:
        content["last_active_ago"] = max(0, now - presence.last_active_ts)
    if presence.currently_active is not None:
        content["currently_active"] = presence.currently_active
    if presence.status_msg is not None:
        content["status_msg"] = presence.status_msg
    return {"type": "m.presence", "sender": presence.user_id, "content": content}


def typing_event(user_ids: list[str]) -> JsonDict:
    return {"type": "m.typing", "content": {"user_ids": user_ids}}


def receipt_event(receipts: Iterable[Receipt]) -> JsonDict:
    content: dict[str, Any] = {}
    for receipt in receipts:
        entry: JsonDict = {"ts": receipt.ts}
        if receipt.thread_id is not None:
            entry["thread_id"] = receipt.thread_id
        by_type = content.setdefault(receipt.event_id, {}).setdefault(receipt.receipt_type, {})
        by_type[receipt.user_id] = entry
    return {"type": "m.receipt", "content": content}


def account_data_event(entry: AccountData) -> JsonDict:
    return {"type": entry.type, "content": entry.content}


def to_device_event(message: ToDeviceMessage) -> JsonDict:
    return {"type": message.type, "sender": message.sender, "content": message.content}
