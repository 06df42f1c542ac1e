"""Typing, receipts and read markers."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.rooms import room_id_param, user_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import bad_json, forbidden, invalid_param


@endpoint("/rooms/{room_id}/typing/{user_id}", "PUT")
async def put_typing(call: Call) -> Reply:
    room_id = room_id_param(call)
    if user_id_param(call) != call.user_id:
        raise forbidden("Cannot set typing of another user")
    body = await call.json()
    typing = params.required(body, "typing", bool)
    timeout = params.field(body, "timeout", int)
    call.store.set_typing(call.user_id, room_id, typing, timeout)
    return {}


@endpoint("/rooms/{room_id}/receipt/{receipt_type}/{event_id}", "POST")
async def post_receipt(call: Call) -> Reply:
    room_id = room_id_param(call)
    body = await call.json()
    receipt_type = call.path["receipt_type"]
    event_id = call.path["event_id"]
    thread_id = body.get("thread_id")
    if "thread_id" in body:
        if not isinstance(thread_id, str) or not thread_id:
            raise invalid_param("thread_id field must be a non-empty string")
        if receipt_type == "m.fully_read":
            raise invalid_param("thread_id is not compatible with m.fully_read receipts.")
    if receipt_type == "m.fully_read":
        _fully_read(call, room_id, event_id)
    elif receipt_type in ("m.read", "m.read.private"):
        call.store.set_receipt(call.user_id, room_id, receipt_type, event_id, thread_id=thread_id)
    else:
        raise invalid_param(f"Unknown receipt type {receipt_type!r}")
    return {}


def _fully_read(call: Call, room_id: str, event_id: str) -> None:
    store = call.store
    store.visible_depth(call.user_id, room_id)
    store.room_event(room_id, event_id)
    store.set_account_data(call.user_id, room_id, "m.fully_read", {"event_id": event_id})


@endpoint("/rooms/{room_id}/read_markers", "POST")
async def post_read_markers(call: Call) -> Reply:
    room_id = room_id_param(call)
    body = await call.json()
    markers = {
        key: params.field(body, key, str) for key in ("m.fully_read", "m.read", "m.read.private")
    }
    if all(value is None for value in markers.values()):
        raise bad_json("Expected at least one of m.fully_read, m.read, m.read.private")
    store = call.store
    if store.membership(call.user_id, room_id) != "join":
        raise forbidden(f"User {call.user_id} is not in room {room_id}")
    for event_id in markers.values():
        if event_id is not None:
            store.room_event(room_id, event_id)
    for receipt_type in ("m.read", "m.read.private"):
        event_id = markers[receipt_type]
        if event_id is not None:
            store.set_receipt(call.user_id, room_id, receipt_type, event_id)
    fully_read = markers["m.fully_read"]
    if fully_read is not None:
        _fully_read(call, room_id, fully_read)
    return {}


routes = [put_typing, post_receipt, post_read_markers]
