"""``GET /voip/turnServer``: TURN credentials, ``{}`` while none are configured."""

from __future__ import annotations

from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.voip import turn_credentials


@endpoint("/voip/turnServer", "GET")
async def get_turn_server(call: Call) -> Reply:
    return turn_credentials(call.store.turn_server, call.user_id, call.store.now())


routes = [get_turn_server]
