"""``GET/PUT/DELETE /_mock/turn_server``: the TURN settings ``/voip/turnServer`` answers from.

``PUT`` takes the same object as a scenario's ``turn_server`` (``uris``,
``ttl`` in seconds, and ``username`` + ``password`` or ``shared_secret``);
``DELETE`` goes back to no TURN (``{}``), as after a reset.
"""

from __future__ import annotations

from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.voip import parse_turn_server


@endpoint("/turn_server", "GET", public=True)
async def get_turn_server(call: Call) -> Reply:
    current = call.store.turn_server
    return {"turn_server": current.as_json() if current is not None else None}


@endpoint("/turn_server", "PUT", public=True)
async def put_turn_server(call: Call) -> Reply:
    turn_server = parse_turn_server(await call.json())
    call.store.set_turn_server(turn_server)
    return {"turn_server": turn_server.as_json()}


@endpoint("/turn_server", "DELETE", public=True)
async def delete_turn_server(call: Call) -> Reply:
    call.store.set_turn_server(None)
    return {"turn_server": None}


routes = [get_turn_server, put_turn_server, delete_turn_server]
