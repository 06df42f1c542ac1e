"""A status must never tell a stranger whether a room exists.

Every client route with a room id in its path is called by a user who is
not in an existing private room, and for a room id that does not exist;
both answers must be the same ``403 M_FORBIDDEN`` (as Synapse answers). The
routes are read from the app's table, so a new room route is covered the
day it is added.
"""

from __future__ import annotations

import itertools
import re

import httpx
import pytest

from mockserver.api.routing import MatrixRoute
from mockserver.app import client_routes
from tests.support import V3, Account, register

pytestmark = pytest.mark.anyio

#: Where Synapse too answers differently for a room that does not exist, on purpose.
REVEALING = {
    # Public information about a room: Synapse answers 404 "Unknown room".
    ("GET", "/directory/list/room/{room_id}"),
    # Joining: an unknown room id is "no known servers" (404) in Synapse, an
    # existing room the user may not join is 403.
    ("POST", "/rooms/{room_id}/join"),
    ("POST", "/join/{room_id_or_alias}"),
    ("POST", "/knock/{room_id_or_alias}"),
    # Reporting a room: Synapse answers 404 "Room does not exist".
    ("POST", "/rooms/{room_id}/report"),
}

ROOM_ROUTES = sorted(
    {
        (method, route.path.removeprefix(V3))
        for route in client_routes()
        if isinstance(route, MatrixRoute)
        and route.path.startswith(V3 + "/")
        and "{room_id" in route.path
        for method in route.endpoints
        if method not in ("HEAD", "OPTIONS")
    }
)
_txn = itertools.count()
BODY = {
    "msgtype": "m.text",
    "body": "x",
    "user_id": "@bob:localhost",
    "typing": False,
    "m.fully_read": "$e",
    "visibility": "private",
    "new_version": "10",
    "score": -100,
    "reason": "r",
}


def fill(path: str, room_id: str, user_id: str) -> str:
    values = {
        "room_id": room_id,
        "room_id_or_alias": room_id,
        "user_id": user_id,
        "event_id": "$nope",
        "event_type": "org.example.t",
        "type": "org.example.t",
        "state_key": "",
        "receipt_type": "m.read",
        "tag": "u.t",
        "rel_type": "m.annotation",
        "room_alias": "#x:localhost",
    }

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "txn_id":
            return f"t{next(_txn)}"
        return values.get(name, "x")

    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", value, path)


def test_the_table_has_room_routes() -> None:
    assert len(ROOM_ROUTES) > 25


async def test_a_stranger_cannot_tell_a_private_room_from_none(
    client: httpx.AsyncClient, alice: Account
) -> None:
    bob = await register(client, "bob")
    private = await bob.create_room(preset="private_chat")
    differ = []
    for method, path in ROOM_ROUTES:
        if (method, path) in REVEALING:
            continue
        answers = []
        for room_id in (private, "!nope:localhost"):
            response = await client.request(
                method,
                V3 + fill(path, room_id, alice.user_id),
                json=BODY if method in ("PUT", "POST") else None,
                headers=alice.headers,
            )
            errcode = response.json().get("errcode") if response.status_code >= 400 else None
            answers.append((response.status_code, errcode))
        if answers[0] != answers[1]:
            differ.append(f"{method} {path}: private {answers[0]}, missing {answers[1]}")
    assert not differ, "\n".join(differ)
