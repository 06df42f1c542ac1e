"""``GET /pushers``, ``POST /pushers/set`` and ``GET /notifications``."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.format import client_event
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import invalid_param
from mockserver.core.notifications import DEFAULT_LIMIT, user_notifications
from mockserver.core.push_rules import default_push_rules
from mockserver.core.store.pushers import parse_pusher


@endpoint("/pushers", "GET")
async def get_pushers(call: Call) -> Reply:
    return {"pushers": [p.as_json() for p in call.store.pushers.of(call.user_id)]}


@endpoint("/pushers/set", "POST")
async def post_pushers_set(call: Call) -> Reply:
    body = await call.json()
    if "kind" in body and body["kind"] is None:
        # kind null deletes the pusher with this app_id and pushkey.
        app_id = params.required(body, "app_id", str)
        pushkey = params.required(body, "pushkey", str)
        call.store.remove_pusher(call.user_id, app_id, pushkey)
        return {}
    pusher = parse_pusher(body)
    append = params.field(body, "append", bool, False)
    call.store.set_pusher(call.user_id, pusher, append=append)
    return {}


@endpoint("/notifications", "GET")
async def get_notifications(call: Call) -> Reply:
    store = call.store
    limit = params.query_int(call.query, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    since = call.query.get("from")
    before_stream = None
    if since is not None:
        if not since.isdigit():
            raise invalid_param(f"Invalid 'from' token {since!r}")
        before_stream = int(since)
    only = call.query.get("only")
    user_id = call.user_id
    room_ids = list(store.rooms_of(user_id))
    page, next_stream = user_notifications(
        store.rooms,
        room_ids,
        user_id,
        default_push_rules(user_id),
        {room_id: store.read_up_to(user_id, room_id) for room_id in room_ids},
        before_stream=before_stream,
        limit=limit,
        only_highlight=only == "highlight",
    )
    now = store.now()
    body: dict[str, object] = {
        "notifications": [
            {
                "actions": n.actions,
                "event": client_event(n.event, call.session, now),
                "read": n.read,
                "room_id": n.room_id,
                "ts": n.ts,
            }
            for n in page
        ]
    }
    if next_stream is not None:
        body["next_token"] = str(next_stream)
    return body


routes = [get_pushers, post_pushers_set, get_notifications]
