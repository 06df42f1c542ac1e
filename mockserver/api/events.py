"""Sending and reading events: send, state, redact, and single events."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.format import client_event
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import not_found
from mockserver.core.store import TxnKey
from mockserver.core.visibility import may_see


def txn_key(call: Call, scope: str) -> TxnKey:
    assert call.session is not None
    return TxnKey(call.user_id, call.session.device_id, scope, call.path["txn_id"])


@endpoint("/rooms/{room_id}/send/{event_type}/{txn_id}", "PUT")
async def put_room_send(call: Call) -> Reply:
    room_id = room_id_param(call)
    content = await call.json()
    event_type = call.path["event_type"]
    event = call.store.send_event(
        call.user_id,
        room_id,
        event_type,
        content,
        txn=TxnKey.for_send(call.user_id, call.device_id, room_id, event_type, call.path["txn_id"]),
    )
    return {"event_id": event.event_id}


@endpoint("/rooms/{room_id}/send/{event_type}", "POST")
async def post_room_send(call: Call) -> Reply:
    room_id = room_id_param(call)
    content = await call.json()
    event = call.store.send_event(call.user_id, room_id, call.path["event_type"], content)
    return {"event_id": event.event_id}


async def _put_state(call: Call, state_key: str) -> Reply:
    room_id = room_id_param(call)
    content = await call.json()
    event = call.store.send_event(
        call.user_id, room_id, call.path["event_type"], content, state_key=state_key
    )
    return {"event_id": event.event_id}


async def _get_state(call: Call, state_key: str) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    depth = store.reading(call.user_id, room_id).depth
    event = store.room(room_id).state_event_at((call.path["event_type"], state_key), depth)
    if event is None:
        raise not_found("Event not found.")
    if call.query.get("format") == "event":
        return client_event(event, call.session, store.now())
    return event.content


@endpoint("/rooms/{room_id}/state/{event_type}/{state_key}", "PUT")
async def put_state(call: Call) -> Reply:
    return await _put_state(call, call.path["state_key"])


@endpoint("/rooms/{room_id}/state/{event_type}", "PUT")
async def put_state_empty_key(call: Call) -> Reply:
    return await _put_state(call, "")


@endpoint("/rooms/{room_id}/state/{event_type}/", "PUT")
async def put_state_empty_key_slash(call: Call) -> Reply:
    return await _put_state(call, "")


@endpoint("/rooms/{room_id}/state/{event_type}/{state_key}", "GET")
async def get_state_event(call: Call) -> Reply:
    return await _get_state(call, call.path["state_key"])


@endpoint("/rooms/{room_id}/state/{event_type}", "GET")
async def get_state_event_empty_key(call: Call) -> Reply:
    return await _get_state(call, "")


@endpoint("/rooms/{room_id}/state/{event_type}/", "GET")
async def get_state_event_empty_key_slash(call: Call) -> Reply:
    return await _get_state(call, "")


@endpoint("/rooms/{room_id}/state", "GET")
async def get_room_state(call: Call) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    depth = store.reading(call.user_id, room_id).depth
    now = store.now()
    state = store.room(room_id).state_at(depth).values()
    return [client_event(e, call.session, now) for e in sorted(state, key=lambda e: e.depth)]


@endpoint("/rooms/{room_id}/event/{event_id}", "GET")
async def get_room_event(call: Call) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    reading = store.reading(call.user_id, room_id)
    depth = reading.depth
    event = store.event(call.path["event_id"])
    if (
        event is None
        or event.room_id != room_id
        or event.depth > depth
        or not may_see(store.room(room_id), call.user_id, event, reading.member_depth)
    ):
        raise not_found("Event not found.")
    bundles = store.aggregator(call.user_id, store.room(room_id), depth)
    return client_event(event, call.session, store.now(), aggregator=bundles)


async def _redact(call: Call, txn: TxnKey | None) -> Reply:
    room_id = room_id_param(call)
    body = await call.json()
    reason = params.field(body, "reason", str)
    event = call.store.redact(call.user_id, room_id, call.path["event_id"], reason=reason, txn=txn)
    return {"event_id": event.event_id}


@endpoint("/rooms/{room_id}/redact/{event_id}/{txn_id}", "PUT")
async def put_redact(call: Call) -> Reply:
    return await _redact(call, txn_key(call, f"redact/{call.path['room_id']}"))


@endpoint("/rooms/{room_id}/redact/{event_id}", "POST")
async def post_redact(call: Call) -> Reply:
    return await _redact(call, None)


routes = [
    put_room_send,
    post_room_send,
    put_state,
    put_state_empty_key,
    put_state_empty_key_slash,
    get_state_event,
    get_state_event_empty_key,
    get_state_event_empty_key_slash,
    get_room_state,
    get_room_event,
    put_redact,
    post_redact,
]
