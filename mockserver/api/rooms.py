"""Rooms and membership: createRoom, join, knock, invite, leave, kick, ban, members."""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.format import client_event
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import MatrixError, bad_json, forbidden
from mockserver.core.model import JsonDict
from mockserver.core.pagination import depth_of_position
from mockserver.core.store import PRESETS, CreateRoom


#: The values /members filters on (the spec's enum).
MEMBERSHIPS = ("join", "invite", "knock", "leave", "ban")


def room_id_param(call: Call) -> str:
    return params.room_id(call.path["room_id"])


def user_id_param(call: Call) -> str:
    return params.user_id(call.path["user_id"])


def _initial_state(body: JsonDict) -> tuple[JsonDict, ...]:
    items = params.field(body, "initial_state", list, [])
    checked = []
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("type"), str)
            or not isinstance(item.get("content"), dict)
            or not isinstance(item.get("state_key", ""), str)
        ):
            raise bad_json(f"initial_state[{index}] needs a string 'type' and an object 'content'")
        checked.append(item)
    return tuple(checked)


def create_room_options(body: JsonDict) -> CreateRoom:
    """The body of ``POST /createRoom``, checked (also used by the control API's act-as)."""
    preset = params.field(body, "preset", str)
    if preset is not None and preset not in PRESETS:
        raise bad_json(f"Unknown preset {preset!r}")
    visibility = params.field(body, "visibility", str, "private")
    if visibility not in ("public", "private"):
        raise bad_json("'visibility' must be 'public' or 'private'")
    return CreateRoom(
        preset=preset,
        visibility=visibility,
        name=params.field(body, "name", str),
        topic=params.field(body, "topic", str),
        invite=tuple(params.string_list(body, "invite")),
        initial_state=_initial_state(body),
        is_direct=params.field(body, "is_direct", bool, False),
        room_alias_name=params.field(body, "room_alias_name", str),
        room_version=params.field(body, "room_version", str),
        creation_content=params.field(body, "creation_content", dict, {}),
        power_level_content_override=params.field(body, "power_level_content_override", dict),
    )


@endpoint("/createRoom", "POST")
async def post_create_room(call: Call) -> Reply:
    options = create_room_options(await call.json())
    return {"room_id": call.store.create_room(call.user_id, options)}


@endpoint("/rooms/{room_id}/join", "POST")
async def post_room_join(call: Call) -> Reply:
    await call.json()
    return {"room_id": call.store.join(call.user_id, room_id_param(call))}


@endpoint("/join/{room_id_or_alias}", "POST")
async def post_join(call: Call) -> Reply:
    await call.json()
    return {"room_id": call.store.join(call.user_id, call.path["room_id_or_alias"])}


@endpoint("/knock/{room_id_or_alias}", "POST")
async def post_knock(call: Call) -> Reply:
    """Ask to join a ``knock`` room; ``via``/``server_name`` are moot on a one-server world."""
    body = await call.json()
    reason = params.field(body, "reason", str)
    return {"room_id": call.store.knock(call.user_id, call.path["room_id_or_alias"], reason)}


def _target(body: JsonDict) -> str:
    return params.user_id(params.required(body, "user_id", str))


async def _membership(call: Call, membership: str, *, target_from_body: bool = True) -> Reply:
    body = await call.json()
    room_id = room_id_param(call)
    target = _target(body) if target_from_body else call.user_id
    reason = params.field(body, "reason", str)
    call.store.set_membership(call.user_id, room_id, target, membership, reason=reason)
    return {}


@endpoint("/rooms/{room_id}/invite", "POST")
async def post_invite(call: Call) -> Reply:
    return await _membership(call, "invite")


@endpoint("/rooms/{room_id}/leave", "POST")
async def post_leave(call: Call) -> Reply:
    return await _membership(call, "leave", target_from_body=False)


@endpoint("/rooms/{room_id}/kick", "POST")
async def post_kick(call: Call) -> Reply:
    return await _membership(call, "leave")


@endpoint("/rooms/{room_id}/ban", "POST")
async def post_ban(call: Call) -> Reply:
    return await _membership(call, "ban")


@endpoint("/rooms/{room_id}/unban", "POST")
async def post_unban(call: Call) -> Reply:
    body = await call.json()
    room_id = room_id_param(call)
    target = _target(body)
    call.store.room(room_id)
    if call.store.membership(target, room_id) != "ban":
        raise MatrixError("M_FORBIDDEN", f"{target} is not banned")
    call.store.set_membership(
        call.user_id, room_id, target, "leave", reason=params.field(body, "reason", str)
    )
    return {}


@endpoint("/rooms/{room_id}/forget", "POST")
async def post_forget(call: Call) -> Reply:
    room_id = room_id_param(call)
    membership = call.store.membership(call.user_id, room_id)
    if membership is None:
        raise forbidden(f"User {call.user_id} not in room {room_id}")
    if membership in ("join", "invite"):
        raise MatrixError("M_UNKNOWN", "User is still in the room")
    return {}


@endpoint("/joined_rooms", "GET")
async def get_joined_rooms(call: Call) -> Reply:
    return {"joined_rooms": call.store.joined_rooms(call.user_id)}


@endpoint("/rooms/{room_id}/members", "GET")
async def get_members(call: Call) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    depth = store.reading(call.user_id, room_id).depth
    room = store.room(room_id)
    at = call.query.get("at")
    if at is not None:
        depth = min(depth, depth_of_position(room, at, store.position))
    wanted = params.query_choice(call.query, "membership", MEMBERSHIPS)
    unwanted = params.query_choice(call.query, "not_membership", MEMBERSHIPS)
    now = store.now()
    chunk: list[Any] = []
    for key, event in sorted(room.state_at(depth).items(), key=lambda item: item[1].depth):
        if key[0] != "m.room.member":
            continue
        if wanted is not None and event.membership != wanted:
            continue
        if unwanted is not None and event.membership == unwanted:
            continue
        chunk.append(client_event(event, call.session, now))
    return {"chunk": chunk}


@endpoint("/rooms/{room_id}/joined_members", "GET")
async def get_joined_members(call: Call) -> Reply:
    room_id = room_id_param(call)
    store = call.store
    store.visible_depth(call.user_id, room_id)
    joined: dict[str, Any] = {}
    for event in store.room(room_id).members("join"):
        assert event.state_key is not None
        # Optional strings in the spec: a missing (or non-string) one is left out, not null.
        joined[event.state_key] = {
            name: value
            for name, key in (("display_name", "displayname"), ("avatar_url", "avatar_url"))
            if isinstance(value := event.content.get(key), str)
        }
    return {"joined": joined}


routes = [
    post_create_room,
    post_room_join,
    post_join,
    post_knock,
    post_invite,
    post_leave,
    post_kick,
    post_ban,
    post_unban,
    post_forget,
    get_joined_rooms,
    get_members,
    get_joined_members,
]
