"""Events as clients receive them: the client format and its variants.

One function per shape: today's client event (with or without ``room_id``),
the seed's ``event_map`` entry (no ``event_id``, no ``room_id``), stripped
state, and ephemeral/presence events. ``unsigned`` is computed here, at the
moment of serving: ``age`` from the server clock, the transaction id only
for the device that sent the event, and the bundled aggregations
(``m.relations``) when the caller passes the room's
:class:`~mockserver.core.store.relations.Aggregator` for the viewer.
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
from mockserver.core.pdu import pdu_fields
from mockserver.core.room import Room
from mockserver.core.store.relations import REFERENCE, REPLACE, THREAD, Aggregator, Bundle


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
    aggregator: Aggregator | None = None,
) -> JsonDict:
    """Today's ClientEvent (``with_room_id=False``: ClientEventWithoutRoomID), with its
    bundled aggregations when ``aggregator`` is given."""
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
        body = project_fields(body, event_fields)
    if aggregator is not None:
        _bundle(body, event, aggregator, now, with_room_id)
    return body


def _bundle(
    body: JsonDict, event: Event, aggregator: Aggregator, now: int, with_room_id: bool
) -> None:
    """Add ``unsigned.m.relations`` (after any ``event_fields``, as Synapse does).

    The events inside are served as the event itself is, without the
    viewer's transaction ids, so a bundle is the same for every device.
    """
    bundle = aggregator.of(event)
    if bundle is not None:
        body.setdefault("unsigned", {})["m.relations"] = relations_body(
            bundle, aggregator, now, with_room_id
        )


def relations_body(
    bundle: Bundle, aggregator: Aggregator, now: int, with_room_id: bool = True
) -> JsonDict:
    """A bundle as ``m.relations``: ``m.thread``, ``m.replace``, ``m.reference``."""
    relations: JsonDict = {}
    if bundle.thread is not None:
        relations[THREAD] = {
            "latest_event": client_event(
                bundle.thread.latest_event,
                None,
                now,
                with_room_id=with_room_id,
                aggregator=aggregator,
            ),
            "count": bundle.thread.count,
            "current_user_participated": bundle.thread.current_user_participated,
        }
    if bundle.replace is not None:
        relations[REPLACE] = client_event(bundle.replace, None, now, with_room_id=with_room_id)
    if bundle.references:
        relations[REFERENCE] = {"chunk": [{"event_id": i} for i in bundle.references]}
    return relations


def federation_event(
    event: Event,
    room: Room,
    viewer: Session | None,
    now: int,
    server_name: str,
    *,
    event_fields: Iterable[str] | None = None,
    aggregator: Aggregator | None = None,
) -> JsonDict:
    """The event as a PDU (a filter's ``event_format`` ``federation``, as Synapse serves
    it): :func:`~mockserver.core.pdu.pdu_fields` and the ``unsigned`` clients get."""
    body: JsonDict = {
        **pdu_fields(room, event, server_name),
        "unsigned": _unsigned(event, viewer, now, "transaction_id"),
    }
    if event_fields is not None:
        body = project_fields(body, event_fields)
    if aggregator is not None:
        _bundle(body, event, aggregator, now, True)
    return body


def seed_event(
    event: Event,
    viewer: Session | None,
    now: int,
    event_fields: Iterable[str] | None = None,
    aggregator: Aggregator | None = None,
) -> JsonDict:
    """An ``event_map`` entry of the seed's sync: no ``event_id``, no ``room_id`` (the
    events bundled inside it have their ``event_id``: nothing else names them)."""
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
        body = project_fields(body, event_fields)
    if aggregator is not None:
        _bundle(body, event, aggregator, now, False)
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
