"""Malformed input thrown at every route: never a 500, always a Matrix error body.

Each route in the app's table gets a fixed corpus of bad bodies, path
parameters and query strings (deterministic, so a failure reproduces), and
a hypothesis test adds random JSON bodies on top.
"""

from __future__ import annotations

import re
from typing import Any

import anyio
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.api.routing import MatrixRoute
from mockserver.app import client_routes, create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.support import V3, register

#: One copy of each route: v3 for the client API, plus v2_alpha and the unprefixed ones.
ROUTES = sorted(
    {
        (method, route.path)
        for route in client_routes()
        if isinstance(route, MatrixRoute)
        and not route.path.startswith(("/_matrix/client/r0", "/_matrix/client/api/v1"))
        for method in route.endpoints
    }
)

DEEP = b'{"a":' + b"[" * 400 + b"]" * 400 + b"}"
WRONG_TYPES: dict[str, Any] = {
    key: value
    for key, value in zip(
        [
            "user_id", "room_id", "typing", "timeout", "presence", "status_msg", "displayname",
            "avatar_url", "reason", "membership", "name", "topic", "invite", "preset",
            "visibility", "initial_state", "is_direct", "room_alias_name", "room_version",
            "creation_content", "power_level_content_override", "type", "identifier", "user",
            "password", "device_id", "auth", "username", "inhibit_login", "messages",
            "device_keys", "one_time_keys", "one_time_keys", "m.fully_read", "m.read",
            "thread_id", "order", "tags", "room", "presence", "event_fields", "event_format",
            "display_name", "initial_device_display_name",
        ],
        [
            5, [], "yes", "soon", 7, {}, [], 3, {}, 1, {}, [], "@x:y", 9, 1, {"a": 1}, "no",
            {}, 10, [], [], 42, "alice", {}, None, 3.5, "dummy", [], "true", [], "x", [], {"@a:b": 1},
            5, [], 1, "first", 3, [], "online", "type", 5, [], {},
        ],
    )
}
BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'"text"',
    b"12",
    b"{",
    b"\xff\xfe\x00",
    b'{"a": NaN}',
    b'{"a": 1e400}',
    b'{"a": 123456789012345678901234567890}',
    b'{"\\ud800": "\\udc00"}',
    DEEP,
    orjson.dumps(WRONG_TYPES),
    orjson.dumps({key: None for key in WRONG_TYPES}),
    orjson.dumps({key: "x" * 300 for key in WRONG_TYPES}),
    orjson.dumps({"user_id": "@bob:localhost", "typing": True, "presence": "online",
                  "membership": "ban", "auth": {"type": "m.login.dummy", "session": ["x"]},
                  "identifier": {"type": "m.id.user", "user": {}}, "messages": {"@bob:localhost": []}}),
]
QUERIES: list[dict[str, str]] = [
    {"dir": "sideways", "limit": "-5", "from": "t-1", "to": "s_", "filter": "{", "at": "x",
     "since": "garbage", "timeout": "soon", "full_state": "maybe", "set_presence": "busy",
     "membership": "\x00", "format": "event", "kind": "robot", "username": "A B"},
    {"dir": "b", "limit": "99999999999999999999999", "from": "t99999999-1_2_3", "filter": "[]",
     "since": "s9999_0_0", "timeout": "-1", "filter_id": "x"},
]


async def world(client: httpx.AsyncClient) -> dict[str, str]:
    """A small world whose real ids fill path parameters, so handlers get past lookups."""
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    room = await alice.create_room(preset="public_chat", room_alias_name="fuzz")
    await bob.join(room)
    event_id = await alice.send(room, "hello")
    media = await client.post(
        "/_matrix/media/v3/upload", content=b"fuzz", headers=alice.headers | {"Content-Type": "text/plain"}
    )
    return {
        "token": alice.access_token,
        "bystander": bob.access_token,
        "room_id": room,
        "room_id_or_alias": room,
        "room_alias": "%23fuzz:localhost",
        "user_id": alice.user_id,
        "event_id": event_id,
        "event_type": "m.room.message",
        "state_key": "",
        "txn_id": "fuzz",
        "filter_id": "0",
        "device_id": alice.device_id,
        "type": "m.custom",
        "tag": "u.fuzz",
        "receipt_type": "m.read",
        "server_name": "localhost",
        "media_id": media.json()["content_uri"].rsplit("/", 1)[-1],
        "file_name": "fuzz.png",
    }


PATH_VARIANTS: list[dict[str, str]] = [
    {},
    {key: "nonsense" for key in ("room_id", "room_id_or_alias", "room_alias", "user_id", "event_id")},
    {
        key: "%00%FF%2F..%2F%25" + "x" * 300
        for key in (
            "room_id", "room_id_or_alias", "room_alias", "user_id", "event_id", "event_type",
            "state_key", "txn_id", "filter_id", "device_id", "type", "tag", "receipt_type",
            "server_name", "media_id", "file_name",
        )
    },
]


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def check(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    if response.status_code < 400 and response.headers["content-type"] != "application/json":
        return  # media: a download or a thumbnail
    body = response.json()
    if response.status_code == 401 and "flows" in body:
        return  # user-interactive auth asking for a stage, not an error
    if response.status_code >= 400:
        assert isinstance(body, dict), what
        assert isinstance(body.get("errcode"), str) and body["errcode"].startswith("M_"), what
        assert isinstance(body.get("error"), str), what


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_malformed_input_never_breaks_a_route(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    ids = await world(client)
    headers = {"Authorization": f"Bearer {ids['token']}"}
    for variant in PATH_VARIANTS:
        url = fill(path, {**ids, **variant})
        for body in BODIES:
            response = await client.request(method, url, content=body, headers=headers)
            check(response, f"{method} {url} body={body[:60]!r}")
        for query in QUERIES:
            response = await client.request(method, url, params=query, content=b"{}", headers=headers)
            check(response, f"{method} {url} query={query}")
    # Whatever the fuzzing did (alice may have logged out), the server still answers bob.
    after = await client.get(f"{V3}/sync", headers={"Authorization": f"Bearer {ids['bystander']}"})
    assert after.status_code == 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(sorted(WRONG_TYPES)) | st.text(max_size=8), children, max_size=6
    ),
    max_leaves=20,
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(route=st.sampled_from(ROUTES), body=JSON)
def test_random_json_bodies_never_break_a_route(route: tuple[str, str], body: Any) -> None:
    async def run() -> None:
        hs = Homeserver.create(ServerConfig())
        transport = httpx.ASGITransport(app=create_app(homeserver=hs))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            ids = await world(client)
            method, path = route
            response = await client.request(
                method,
                fill(path, ids),
                json=body,
                headers={"Authorization": f"Bearer {ids['token']}"},
            )
            check(response, f"{method} {path} json={body!r}")

    anyio.run(run)

