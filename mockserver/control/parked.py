"""Notifier introspection: ``GET /_mock/parked``, how many long-polls wait, per user.

With ``user_id`` (and ``count``, default 1) and ``timeout`` (real ms, at
most 60000), it waits until that user has ``count`` parked requests, or
the timeout passes, and answers either way: ``reached`` tells which. A test
driving a client over the network uses it to know the client's ``/sync`` is
parked before acting, with no sleep. Without ``user_id``, ``count`` applies
to all parked requests.
"""

from __future__ import annotations

import anyio

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.model import JsonDict
from mockserver.notifier import Notifier

MAX_WAIT_MS = 60_000


def parked_json(notifier: Notifier) -> JsonDict:
    return {
        "parked": dict(notifier.parked),
        "total": notifier.total_parked(),
        "wakeups": dict(notifier.wakeups),
    }


@endpoint("/parked", "GET", public=True)
async def get_parked(call: Call) -> Reply:
    query = call.query
    user_id = query.get("user_id")
    count = params.query_int(query, "count", 1, minimum=0) or 0
    timeout_ms = min(params.query_int(query, "timeout", 0, minimum=0) or 0, MAX_WAIT_MS)
    notifier = call.hs.notifier

    def reached() -> bool:
        if user_id is None:
            return notifier.total_parked() >= count
        return notifier.parked[user_id] >= count

    if timeout_ms and not reached():
        with anyio.move_on_after(timeout_ms / 1000):
            if user_id is None:
                await notifier.until_total_parked(count)
            else:
                await notifier.until_parked(user_id, count)
    return {**parked_json(notifier), "reached": reached()}


routes = [get_parked]
