"""The filter API: ``POST/GET /user/{userId}/filter[/{filterId}]`` (seed and today)."""

from __future__ import annotations

from mockserver.api.rooms import user_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import forbidden, not_found
from mockserver.core.filters import parse_filter


def _own_user(call: Call) -> str:
    user_id = user_id_param(call)
    if user_id != call.user_id:
        raise forbidden("Cannot use filters of another user")
    return user_id


@endpoint("/user/{user_id}/filter", "POST")
async def post_filter(call: Call) -> Reply:
    user_id = _own_user(call)
    definition = await call.json()
    parse_filter(definition)
    return {"filter_id": call.store.upload_filter(user_id, definition)}


@endpoint("/user/{user_id}/filter/{filter_id}", "GET")
async def get_filter(call: Call) -> Reply:
    user_id = _own_user(call)
    definition = call.store.get_filter(user_id, call.path["filter_id"])
    if definition is None:
        raise not_found("No such filter")
    return definition


routes = [post_filter, get_filter]
