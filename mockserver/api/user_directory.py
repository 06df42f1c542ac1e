"""``POST /user_directory/search`` (see core/user_directory.py)."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.user_directory import DEFAULT_LIMIT, MAX_LIMIT, search_users


@endpoint("/user_directory/search", "POST")
async def post_user_directory_search(call: Call) -> Reply:
    body = await call.json()
    term = params.required(body, "search_term", str)
    limit = params.field(body, "limit", int, DEFAULT_LIMIT)
    store = call.store
    found, limited = search_users(
        call.user_id,
        term,
        max(0, min(limit, MAX_LIMIT)),
        store.users,
        store.rooms.values(),
        [store.rooms[r] for r in store.joined_rooms(call.user_id)],
    )
    results = []
    for user in found:
        entry: dict[str, str] = {"user_id": user.user_id}
        if user.display_name is not None:
            entry["display_name"] = user.display_name
        if user.avatar_url is not None:
            entry["avatar_url"] = user.avatar_url
        results.append(entry)
    return {"results": results, "limited": limited}


routes = [post_user_directory_search]
