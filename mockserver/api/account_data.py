"""Account data, global and per room, and room tags (stored as ``m.tag``).

Account data is not event content: its bodies may hold any JSON number
(a tag's ``order`` is a fraction in the spec), but not nest too deep.
"""

from __future__ import annotations

from mockserver.api.rooms import room_id_param, user_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import bad_json, forbidden
from mockserver.core.store import MAX_EVENT_BYTES, event_size

SERVER_MANAGED = frozenset({"m.fully_read", "m.push_rules"})


def _own_user(call: Call) -> str:
    user_id = user_id_param(call)
    if user_id != call.user_id:
        raise forbidden("Cannot access account data of another user")
    return user_id


def _room_of_user(call: Call, user_id: str) -> str:
    """The path's room, if ``user_id`` has (or had) a membership in it; else 403.

    A room the user never had to do with is refused like one that does not
    exist, so the answer never tells whether it does.
    """
    room_id = room_id_param(call)
    if call.store.membership(user_id, room_id) is None:
        raise forbidden(f"User {user_id} not in room {room_id}")
    return room_id


def _writable(data_type: str) -> str:
    if data_type in SERVER_MANAGED:
        raise bad_json(f"Cannot set {data_type} through this API")
    return data_type


@endpoint("/user/{user_id}/account_data/{type}", "GET")
async def get_account_data(call: Call) -> Reply:
    return call.store.get_account_data(_own_user(call), None, call.path["type"])


@endpoint("/user/{user_id}/account_data/{type}", "PUT")
async def put_account_data(call: Call) -> Reply:
    user_id = _own_user(call)
    content = await call.json(canonical=False)
    call.store.set_account_data(user_id, None, _writable(call.path["type"]), content)
    return {}


@endpoint("/user/{user_id}/rooms/{room_id}/account_data/{type}", "GET")
async def get_room_account_data(call: Call) -> Reply:
    user_id = _own_user(call)
    return call.store.get_account_data(user_id, _room_of_user(call, user_id), call.path["type"])


@endpoint("/user/{user_id}/rooms/{room_id}/account_data/{type}", "PUT")
async def put_room_account_data(call: Call) -> Reply:
    user_id = _own_user(call)
    room_id = _room_of_user(call, user_id)
    content = await call.json(canonical=False)
    call.store.set_account_data(user_id, room_id, _writable(call.path["type"]), content)
    return {}


def _tags(call: Call, user_id: str, room_id: str) -> dict[str, object]:
    entry = call.store.account_data.get((user_id, room_id, "m.tag"))
    tags = entry.content.get("tags") if entry is not None else None
    return dict(tags) if isinstance(tags, dict) else {}


@endpoint("/user/{user_id}/rooms/{room_id}/tags", "GET")
async def get_tags(call: Call) -> Reply:
    user_id = _own_user(call)
    room_id = _room_of_user(call, user_id)
    return {"tags": _tags(call, user_id, room_id)}


@endpoint("/user/{user_id}/rooms/{room_id}/tags/{tag}", "PUT")
async def put_tag(call: Call) -> Reply:
    user_id = _own_user(call)
    room_id = _room_of_user(call, user_id)
    body = await call.json(canonical=False)
    order = body.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int | float)):
        raise bad_json("'order' must be a number")
    if event_size(body) > MAX_EVENT_BYTES:
        raise bad_json("Tag content is too large")
    tags = _tags(call, user_id, room_id)
    tags[call.path["tag"]] = body
    call.store.set_account_data(user_id, room_id, "m.tag", {"tags": tags})
    return {}


@endpoint("/user/{user_id}/rooms/{room_id}/tags/{tag}", "DELETE")
async def delete_tag(call: Call) -> Reply:
    user_id = _own_user(call)
    room_id = _room_of_user(call, user_id)
    tags = _tags(call, user_id, room_id)
    tags.pop(call.path["tag"], None)
    call.store.set_account_data(user_id, room_id, "m.tag", {"tags": tags})
    return {}


routes = [
    get_account_data,
    put_account_data,
    get_room_account_data,
    put_room_account_data,
    get_tags,
    put_tag,
    delete_tag,
]
