"""Reporting content: ``POST /rooms/{roomId}/report`` and ``/rooms/{roomId}/report/{eventId}``.

mockserver checks a report as Synapse does and acknowledges it; it keeps no
moderation queue. A test finds the reports a client sent in the request
journal (``GET /_mock/journal?path=*/report*``), body included.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.rooms import room_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import MatrixError, invalid_param, not_found


@endpoint("/rooms/{room_id}/report", "POST")
async def post_report_room(call: Call) -> Reply:
    body = await call.json()
    room_id = room_id_param(call)
    params.required(body, "reason", str)
    if room_id not in call.store.rooms:
        raise not_found("Room does not exist")
    return {}


@endpoint("/rooms/{room_id}/report/{event_id}", "POST")
async def post_report_event(call: Call) -> Reply:
    body = await call.json()
    room_id = room_id_param(call)
    if "reason" in body and not isinstance(body["reason"], str):
        raise invalid_param("Param 'reason' must be a string")
    score = body.get("score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int) or not -100 <= score <= 0
    ):
        raise invalid_param("Param 'score' must be an integer between -100 and 0")
    store = call.store
    unseen = not_found("Unable to report event: it does not exist or you aren't able to see it.")
    try:
        visible = store.visible_depth(call.user_id, room_id)
        event = store.room_event(room_id, call.path["event_id"])
    except MatrixError:
        raise unseen from None
    if event.depth > visible:
        raise unseen
    return {}


routes = [post_report_room, post_report_event]
