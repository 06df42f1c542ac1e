"""A small world for the fuzzer to aim at: users, rooms, an event, a file.

A generated path parameter is sometimes swapped for a live value of this
world (:data:`PLACEHOLDERS` names them by parameter), so that some requests
reach a room, an event or a user that exists instead of being refused at
the first lookup. :func:`shared_world` is made once per server;
:func:`own_world` once per route, so that a route that leaves a room or
logs out spoils nothing for the next one.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import strategies as st

V3 = "/_matrix/client/v3"

#: Each path parameter name, and the values a generated one may be swapped for.
PLACEHOLDERS: dict[str, list[str]] = {
    "room_id": ["<room>", "<stranger_room>", "!nope:localhost"],
    "room_id_or_alias": ["<room>", "<alias>", "<stranger_room>"],
    "room_alias": ["<alias>", "#fresh:localhost"],
    "user_id": ["<user>", "<friend>", "<stranger>"],
    "event_id": ["<event>", "<stranger_event>"],
    "event_type": ["m.room.message", "m.room.topic", "m.reaction"],
    "state_key": ["", "<user>"],
    "device_id": ["<device>", "<friend_device>"],
    "server_name": ["localhost"],
    "media_id": ["<media>"],
    "filter_id": ["0", "1"],
    "type": ["m.direct", "m.fully_read", "m.tag"],
    "tag": ["u.work", "m.favourite"],
    "receipt_type": ["m.read", "m.read.private", "m.fully_read"],
    "rel_type": ["m.annotation", "m.thread", "m.reference"],
    "version": ["1"],
    "session_id": ["s1"],
    "txn_id": ["t1"],
    "file_name": ["cat.png"],
}

_names = itertools.count()


class Client:
    """Calls that must succeed while the world is built."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def register(self, name: str) -> dict[str, Any]:
        body = {"username": name, "password": "pw", "auth": {"type": "m.login.dummy"}}
        return self.call("", "POST", f"{V3}/register", json=body)

    def call(self, token: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        response = self.http.request(method, path, headers=headers, **kw)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


def shared_world(base_url: str) -> dict[str, str]:
    """A friend (and its token), a stranger with a room and an event, a file and an alias."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        client = Client(http)
        friend = client.register("friend")
        stranger = client.register("stranger")
        token = stranger["access_token"]
        room = client.call(token, "POST", f"{V3}/createRoom", json={})["room_id"]
        event = client.call(
            token, "PUT", f"{V3}/rooms/{room}/send/m.room.message/1", json={"body": "hi"}
        )["event_id"]
        client.call(
            token, "PUT", f"{V3}/directory/room/{quote('#shared:localhost')}", json={"room_id": room}
        )
        uri = client.call(
            token, "POST", "/_matrix/media/v3/upload", content=b"GIF89a",
            headers={"Content-Type": "image/gif"},
        )["content_uri"]
    return {
        "<friend>": friend["user_id"],
        "<friend_device>": friend["device_id"],
        "<friend_token>": friend["access_token"],
        "<stranger>": stranger["user_id"],
        "<stranger_room>": room,
        "<stranger_event>": event,
        "<alias>": "#shared:localhost",
        "<media>": uri.rsplit("/", 1)[1],
    }


def own_world(base_url: str, shared: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A fresh user in a room of its own with the friend: its token and every live value."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        client = Client(http)
        me = client.register(f"fuzz{next(_names)}")
        token = me["access_token"]
        room = client.call(
            token, "POST", f"{V3}/createRoom", json={"invite": [shared["<friend>"]]}
        )["room_id"]
        event = client.call(
            token, "PUT", f"{V3}/rooms/{room}/send/m.room.message/1", json={"body": "hi"}
        )["event_id"]
    own = {"<user>": me["user_id"], "<device>": me["device_id"], "<room>": room, "<event>": event}
    return token, {**shared, **own}


def aim(case: Any, data: st.DataObject, token: str, live: dict[str, str]) -> None:
    """Send ``case`` as the world's user, some path parameters swapped for live values.

    Parameter names are matched in snake case (the spec's ``roomId`` is
    mockserver's ``room_id``); whether to swap each, and for what, is drawn
    from ``data``, so Hypothesis replays and shrinks it like the rest.
    """
    for name in case.path_parameters or {}:
        choices = PLACEHOLDERS.get(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
        if choices and data.draw(st.booleans(), label=f"{name} is live"):
            value = data.draw(st.sampled_from(choices), label=name)
            case.path_parameters[name] = quote(live.get(value, value), safe="")
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers["Authorization"] = f"Bearer {token}"
    (case.query or {}).pop("access_token", None)
