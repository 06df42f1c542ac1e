"""The inspector: a live web page of the world under ``/_mock/``, and the reads it makes.

- ``GET /_mock/`` the page; ``GET /_mock/inspector/{asset}`` its script and style
  (package data in ``control/inspector_page/``: plain HTML, CSS and JavaScript, no build
  step, nothing fetched from elsewhere).
- ``GET /_mock/inspector/world`` users (devices, presence, typing, rooms by membership),
  rooms (name, members, state), the script's pending steps, the clock, parked long-polls
  and the fault rules: one summary, never a whole timeline.
- ``GET /_mock/inspector/rooms/{roomId}/timeline?before=DEPTH&limit=N`` a page of a
  room's events, newest first; ``next_before`` pages further back.
- ``GET /_mock/inspector/changes?after=VERSION&timeout=MS`` a long-poll on the server's
  :class:`~mockserver.watch.Watch`: answers once anything changed after ``VERSION``
  (or at the timeout), so the page updates live with no loop on the server.

Everything else the page does (release a step, faults, act as, reset, load, export)
calls the control API's own routes. The page is a control route like the others: off
with ``--no-control``, refused to other origins and hosts (``control/access.py``),
and, with a control token set, opened as ``/_mock/?control_token=TOKEN`` (the page
then sends the token as a header and drops it from the address bar).
"""

from __future__ import annotations

import hmac
from importlib import resources
from typing import Any

import anyio
from starlette.responses import RedirectResponse, Response

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import M_UNKNOWN_TOKEN, MatrixError, not_found
from mockserver.core.model import Event, JsonDict
from mockserver.core.room import Room
from mockserver.core.store import Store
from mockserver.control.faults import fault_json
from mockserver.control.parked import parked_json
from mockserver.control.routing import PREFIX, check_control_token

#: The page's files and their content types; nothing else is served from the package.
ASSETS = {
    "inspector.js": "text/javascript; charset=utf-8",
    "inspector.css": "text/css; charset=utf-8",
}
PAGE = "index.html"
#: The page loads only its own files and talks only to its own server; no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_TIMELINE_PAGE = 200
DEFAULT_TIMELINE_PAGE = 50
MAX_WAIT_MS = 60_000


def _asset(name: str) -> bytes:
    return resources.files("mockserver.control").joinpath("inspector_page", name).read_bytes()


@endpoint("/", "GET", public=True)
async def get_page(call: Call) -> Reply:
    """The page; with a control token set, only for ``?control_token=`` or the header.

    A browser cannot put a header on a navigation, hence the query parameter, for this
    route alone; the page's own requests send the header.
    """
    expected = call.hs.config.control_token
    if expected is not None:
        given = call.query.get("control_token")
        if given is None:
            check_control_token(call.request, expected)
        elif not hmac.compare_digest(given.encode(), expected.encode()):
            raise MatrixError(M_UNKNOWN_TOKEN, "Wrong control token", soft_logout=False)
    return Response(_asset(PAGE), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@endpoint("", "GET", public=True)
async def get_bare(call: Call) -> Reply:
    """``/_mock`` without the slash: the page, whose relative links need the slash."""
    query = call.request.url.query
    return RedirectResponse(f"{PREFIX}/" + (f"?{query}" if query else ""), status_code=308)


@endpoint("/inspector/{asset}", "GET", public=True)
async def get_asset(call: Call) -> Reply:
    """The page's script and style: no secret, so no token (a page cannot send one here)."""
    name = call.path["asset"]
    media_type = ASSETS.get(name)
    if media_type is None:
        raise not_found(f"No inspector file {name!r}")
    return Response(_asset(name), media_type=media_type, headers=PAGE_HEADERS)


@endpoint("/inspector/changes", "GET", public=True)
async def get_changes(call: Call) -> Reply:
    after = params.query_int(call.query, "after", 0, minimum=0) or 0
    timeout_ms = min(params.query_int(call.query, "timeout", 0, minimum=0) or 0, MAX_WAIT_MS)
    return {"version": await _wait_unless_gone(call, after, timeout_ms / 1000)}


async def _wait_unless_gone(call: Call, after: int, timeout_s: float) -> int:
    """Wait for the watch to pass ``after``, but not for a page that has closed.

    A closed tab's long-poll would otherwise hold the server up to its timeout, and a
    server stopping waits for it.
    """
    watch = call.hs.watch
    receive = call.request.receive

    async def until_hangup() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        tasks.cancel_scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(until_hangup)
        await watch.wait_past(after, timeout_s)
        tasks.cancel_scope.cancel()
    return watch.version


@endpoint("/inspector/world", "GET", public=True)
async def get_world(call: Call) -> Reply:
    hs = call.hs
    store = hs.store
    return {
        "version": hs.watch.version,
        "server_name": store.server_name,
        "position": store.position.format(),
        "clock": {"now_ms": store.clock.now_ms(), "frozen": store.clock.frozen},
        "users": [_user(store, user_id) for user_id in sorted(store.users)],
        "rooms": [_room(store, room) for room in store.rooms.values()],
        "script": [
            {"source": source, "steps": [_step(step) for step in steps]}
            for source, steps in hs.script.upcoming()
        ],
        "script_failures": [{"step": step, "error": error} for step, error in hs.script.failures],
        "parked": parked_json(hs.notifier),
        "faults": [fault_json(rule) for rule in hs.faults.rules()],
        "journal_last_seq": hs.journal.last_seq,
    }


@endpoint("/inspector/rooms/{room_id}/timeline", "GET", public=True)
async def get_timeline(call: Call) -> Reply:
    room = call.store.known_room(call.path["room_id"])
    newest = room.depth
    before = params.query_int(call.query, "before", newest + 1, minimum=1) or newest + 1
    limit = params.query_int(call.query, "limit", DEFAULT_TIMELINE_PAGE, minimum=1)
    limit = min(limit or DEFAULT_TIMELINE_PAGE, MAX_TIMELINE_PAGE)
    upto = min(before - 1, newest)
    start = max(0, upto - limit)
    events = [_event(event) for event in reversed(room.between(start, upto))]
    return {
        "room_id": room.room_id,
        "depth": newest,
        "events": events,
        "next_before": start + 1 if start > 0 else None,
    }


# -- shapes ---------------------------------------------------------------------------------


def _user(store: Store, user_id: str) -> JsonDict:
    user = store.users[user_id]
    presence = store.presence.get(user_id)
    rooms: dict[str, list[str]] = {}
    typing: list[str] = []
    for room_id in store.rooms_of(user_id):
        room = store.rooms[room_id]
        membership = room.membership_now(user_id)
        if membership is not None:
            rooms.setdefault(membership, []).append(room_id)
        if user_id in room.typing:
            typing.append(room_id)
    return {
        "user_id": user_id,
        "displayname": user.displayname,
        "avatar_url": user.avatar_url,
        "devices": [
            {
                "device_id": device.device_id,
                "display_name": device.display_name,
                "has_keys": device.keys is not None,
            }
            for device in user.devices.values()
        ],
        "presence": None
        if presence is None
        else {"presence": presence.presence, "status_msg": presence.status_msg},
        "typing_in": typing,
        "rooms": rooms,
    }


def _room(store: Store, room: Room) -> JsonDict:
    members: list[JsonDict] = []
    for (event_type, state_key), event in room.state_now().items():
        if event_type == "m.room.member":
            members.append(
                {
                    "user_id": state_key,
                    "membership": event.content.get("membership"),
                    "displayname": event.content.get("displayname"),
                }
            )
    members.sort(key=lambda member: member["user_id"])
    return {
        "room_id": room.room_id,
        "name": _content_str(room, "m.room.name", "name"),
        "topic": _content_str(room, "m.room.topic", "topic"),
        "canonical_alias": _content_str(room, "m.room.canonical_alias", "alias"),
        "join_rule": _content_str(room, "m.room.join_rules", "join_rule"),
        "encrypted": room.current("m.room.encryption") is not None,
        "depth": room.depth,
        "members": members,
        "typing": sorted(room.typing),
        "state": sorted(
            (_event(event) for event in room.state_now().values()),
            key=lambda event: (event["type"], event["state_key"]),
        ),
    }


def _content_str(room: Room, event_type: str, key: str) -> str | None:
    event = room.current(event_type)
    value = event.content.get(key) if event is not None else None
    return value if isinstance(value, str) else None


def _event(event: Event) -> JsonDict:
    relates_to = event.content.get("m.relates_to")
    relation: JsonDict | None = None
    if isinstance(relates_to, dict):
        relation = {
            "rel_type": relates_to.get("rel_type")
            or ("m.in_reply_to" if "m.in_reply_to" in relates_to else None),
            "event_id": relates_to.get("event_id")
            or _reply_target(relates_to.get("m.in_reply_to")),
        }
    return {
        "event_id": event.event_id,
        "depth": event.depth,
        "type": event.type,
        "state_key": event.state_key,
        "sender": event.sender,
        "origin_server_ts": event.origin_server_ts,
        "content": event.content,
        "redacted": event.redacted_because is not None,
        "relation": relation,
    }


def _reply_target(reply: Any) -> str | None:
    return reply.get("event_id") if isinstance(reply, dict) else None


def _step(step: Any) -> JsonDict:
    trigger, action = step.trigger, step.action
    return {
        "path": step.path,
        "trigger": {"kind": trigger.kind, "amount": trigger.amount, "user_id": trigger.user_id},
        "action": {
            "kind": action.kind,
            "user_id": action.user_id,
            "room_id": action.room_id,
            "target": action.target,
            "event_type": action.event_type,
            "body": (action.content or {}).get("body"),
            "presence": action.presence,
            "typing": action.typing,
        },
    }


#: Served without the control token guard: the page checks it itself, the assets hold none.
page_routes = [get_page, get_bare, get_asset]
routes = [get_changes, get_world, get_timeline]
