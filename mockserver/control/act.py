"""Act as any user without their access token: ``POST /_mock/act/<action>``.

The body names the acting user in ``user_id`` (and the affected user, for
invite, kick, ban and unban, in ``target``). Each action calls the same
store method the client API calls, so the same rules apply: bob cannot
send to a room he has not joined, here as over ``/_matrix``.
"""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.rooms import create_room_options
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.core.errors import (
    M_UNRECOGNIZED,
    M_USER_IN_USE,
    MatrixError,
    bad_json,
    invalid_param,
)
from mockserver.core.ids import is_event_id
from mockserver.core.model import JsonDict
from mockserver.core.store import Store


#: What ``POST /createRoom`` takes, which ``create_room`` passes on.
CREATE_ROOM_KEYS = (
    "preset",
    "visibility",
    "name",
    "topic",
    "invite",
    "initial_state",
    "is_direct",
    "room_alias_name",
    "room_version",
    "creation_content",
    "power_level_content_override",
)
MEMBER_KEYS = ("user_id", "room_id", "target", "reason")


def _actor(store: Store, body: JsonDict) -> str:
    user_id = params.required(body, "user_id", str)
    store.user(user_id)
    return user_id


def _room_id(body: JsonDict) -> str:
    return params.room_id(params.required(body, "room_id", str))


def _target(body: JsonDict) -> str:
    return params.user_id(params.required(body, "target", str))


def _event_id(body: JsonDict) -> str:
    event_id = params.required(body, "event_id", str)
    if not is_event_id(event_id):
        raise invalid_param(f"{event_id!r} is not a valid event id")
    return event_id


def _session(user_id: str, store: Store, body: JsonDict) -> JsonDict:
    session = store.new_session(
        user_id,
        params.field(body, "device_id", str),
        params.field(body, "device_display_name", str),
        access_token=params.field(body, "access_token", str),
    )
    return {
        "user_id": user_id,
        "access_token": session.access_token,
        "device_id": session.device_id,
    }


@endpoint("/act/register", "POST", public=True)
async def post_register(call: Call) -> Reply:
    """Create a user (no user-interactive auth) and, unless ``login`` is false, a device."""
    body = await control_body(call, ("username", "user_id", "password", "displayname", "avatar_url", "login", "access_token", "device_id", "device_display_name"))
    store = call.store
    username = params.field(body, "username", str)
    user_id = params.field(body, "user_id", str)
    if (username is None) == (user_id is None):
        raise bad_json("Give exactly one of 'username' or 'user_id'")
    if username is not None:
        user_id = store.check_new_localpart(username)
    elif params.user_id(user_id) in store.users:
        raise MatrixError(M_USER_IN_USE, "User ID already taken.")
    password = params.field(body, "password", str)
    profile: dict[str, Any] = {}
    for key in ("displayname", "avatar_url"):
        if key in body:
            profile[key] = params.field(body, key, str)
    login = params.field(body, "login", bool, True)
    token = params.field(body, "access_token", str)
    for key in ("device_id", "device_display_name"):
        params.field(body, key, str)
    if token is not None and (not login or store.session_for(token) is not None):
        raise invalid_param("'access_token' is already in use or 'login' is false")
    store.create_user(user_id, password, **profile)
    if not login:
        return {"user_id": user_id}
    return _session(user_id, store, body)


@endpoint("/act/login", "POST", public=True)
async def post_login(call: Call) -> Reply:
    """A new access token (and device, unless ``device_id`` names an existing one)."""
    body = await control_body(call, ("user_id", "device_id", "device_display_name", "access_token"))
    user_id = _actor(call.store, body)
    return _session(user_id, call.store, body)


@endpoint("/act/create_room", "POST", public=True)
async def post_create_room(call: Call) -> Reply:
    """The ``POST /createRoom`` body, plus ``user_id`` and an optional fixed ``room_id``."""
    body = await control_body(call, ("user_id", "room_id", *CREATE_ROOM_KEYS))
    user_id = _actor(call.store, body)
    room_id = params.field(body, "room_id", str)
    if room_id is not None:
        params.room_id(room_id)
    options = create_room_options(body)
    return {"room_id": call.store.create_room(user_id, options, room_id=room_id)}


@endpoint("/act/send", "POST", public=True)
async def post_send(call: Call) -> Reply:
    """Send ``content`` as ``type`` (m.room.message by default); ``body`` is a text shortcut."""
    body = await control_body(call, ("user_id", "room_id", "type", "content", "body"))
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    event_type = params.field(body, "type", str, "m.room.message")
    content = params.field(body, "content", dict)
    text = params.field(body, "body", str)
    if (content is None) == (text is None):
        raise bad_json("Give exactly one of 'content' or 'body'")
    if content is None:
        content = {"msgtype": "m.text", "body": text}
    event = call.store.send_event(user_id, room_id, event_type, content)
    return {"event_id": event.event_id}


@endpoint("/act/state", "POST", public=True)
async def post_state(call: Call) -> Reply:
    body = await control_body(call, ("user_id", "room_id", "type", "state_key", "content"))
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    event_type = params.required(body, "type", str)
    state_key = params.field(body, "state_key", str, "")
    content = params.required(body, "content", dict)
    event = call.store.send_event(user_id, room_id, event_type, content, state_key=state_key)
    return {"event_id": event.event_id}


@endpoint("/act/redact", "POST", public=True)
async def post_redact(call: Call) -> Reply:
    body = await control_body(call, ("user_id", "room_id", "event_id", "reason"))
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    event_id = _event_id(body)
    reason = params.field(body, "reason", str)
    event = call.store.redact(user_id, room_id, event_id, reason=reason)
    return {"event_id": event.event_id}


@endpoint("/act/join", "POST", public=True)
async def post_join(call: Call) -> Reply:
    """Join by room id or alias (``room_id`` may be either)."""
    body = await control_body(call, ("user_id", "room_id"))
    user_id = _actor(call.store, body)
    room = params.required(body, "room_id", str)
    return {"room_id": call.store.join(user_id, room)}


async def _membership(call: Call, membership: str, *, with_target: bool = True) -> Reply:
    keys = MEMBER_KEYS if with_target else ("user_id", "room_id", "reason")
    body = await control_body(call, keys)
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    target = _target(body) if with_target else user_id
    reason = params.field(body, "reason", str)
    call.store.set_membership(user_id, room_id, target, membership, reason=reason)
    return {}


@endpoint("/act/invite", "POST", public=True)
async def post_invite(call: Call) -> Reply:
    return await _membership(call, "invite")


@endpoint("/act/leave", "POST", public=True)
async def post_leave(call: Call) -> Reply:
    return await _membership(call, "leave", with_target=False)


@endpoint("/act/kick", "POST", public=True)
async def post_kick(call: Call) -> Reply:
    return await _membership(call, "leave")


@endpoint("/act/ban", "POST", public=True)
async def post_ban(call: Call) -> Reply:
    return await _membership(call, "ban")


@endpoint("/act/unban", "POST", public=True)
async def post_unban(call: Call) -> Reply:
    body = await control_body(call, MEMBER_KEYS)
    _actor(call.store, body)
    room_id = _room_id(body)
    target = _target(body)
    if call.store.membership(target, room_id) != "ban":
        raise MatrixError("M_FORBIDDEN", f"{target} is not banned")
    return await _membership(call, "leave")


@endpoint("/act/typing", "POST", public=True)
async def post_typing(call: Call) -> Reply:
    body = await control_body(call, ("user_id", "room_id", "typing", "timeout"))
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    typing = params.field(body, "typing", bool, True)
    timeout = params.field(body, "timeout", int)
    call.store.set_typing(user_id, room_id, typing, timeout)
    return {}


@endpoint("/act/presence", "POST", public=True)
async def post_presence(call: Call) -> Reply:
    body = await control_body(call, ("user_id", "presence", "status_msg", "last_active_ago"))
    user_id = _actor(call.store, body)
    presence = params.required(body, "presence", str)
    options: dict[str, Any] = {}
    if "status_msg" in body:
        options["status_msg"] = params.field(body, "status_msg", str)
    if "last_active_ago" in body:
        options["last_active_ago"] = params.field(body, "last_active_ago", int)
    call.store.set_presence(user_id, presence, **options)
    return {}


@endpoint("/act/receipt", "POST", public=True)
async def post_receipt(call: Call) -> Reply:
    body = await control_body(call, ("user_id", "room_id", "event_id", "receipt_type", "thread_id"))
    user_id = _actor(call.store, body)
    room_id = _room_id(body)
    event_id = _event_id(body)
    receipt_type = params.field(body, "receipt_type", str, "m.read")
    thread_id = params.field(body, "thread_id", str)
    call.store.set_receipt(user_id, room_id, receipt_type, event_id, thread_id=thread_id)
    return {}


@endpoint("/act/profile", "POST", public=True)
async def post_profile(call: Call) -> Reply:
    """Change ``displayname`` and/or ``avatar_url`` (null removes one)."""
    body = await control_body(call, ("user_id", "displayname", "avatar_url"))
    user_id = _actor(call.store, body)
    changes: dict[str, Any] = {}
    for key in ("displayname", "avatar_url"):
        if key in body:
            changes[key] = params.field(body, key, str)
    if not changes:
        raise bad_json("Give 'displayname' and/or 'avatar_url'")
    call.store.set_profile(user_id, **changes)
    return {}


@endpoint("/act/{action}", "POST", public=True)
async def post_unknown_action(call: Call) -> Reply:
    """Any other action: 404, listing the actions there are."""
    actions = ", ".join(sorted(ACTIONS))
    raise MatrixError(
        M_UNRECOGNIZED,
        f"Unknown action {call.path['action']!r}; the actions are: {actions}",
        actions=sorted(ACTIONS),
    )


routes = [
    post_register,
    post_login,
    post_create_room,
    post_send,
    post_state,
    post_redact,
    post_join,
    post_invite,
    post_leave,
    post_kick,
    post_ban,
    post_unban,
    post_typing,
    post_presence,
    post_receipt,
    post_profile,
]
#: The action names, from the routes above.
ACTIONS = tuple(route.path.removeprefix("/act/") for route in routes)
routes.append(post_unknown_action)
