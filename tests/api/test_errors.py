"""Errors: every one a Matrix body with the right status, and a refusal changes nothing."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from mockserver.api.routing import MatrixRoute
from mockserver.app import client_routes
from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error

#: Every (method, path template) the app serves, and whether it is public.
ROUTE_TABLE = [
    (method, route.path, endpoint.public)
    for route in client_routes()
    if isinstance(route, MatrixRoute)
    for method, endpoint in route.endpoints.items()
]
AUTHENTICATED = [(method, path) for method, path, public in ROUTE_TABLE if not public]
PUBLIC = {(method, path) for method, path, public in ROUTE_TABLE if public}


def fill(path: str, values: dict[str, str] | None = None) -> str:
    """A concrete path for a template, with harmless placeholder parameters."""
    defaults = {
        "room_id": "!room:localhost",
        "room_id_or_alias": "!room:localhost",
        "room_alias": "%23alias:localhost",
        "user_id": "@alice:localhost",
        "event_id": "$event",
        "event_type": "m.room.message",
        "state_key": "key",
        "txn_id": "txn1",
        "filter_id": "0",
        "device_id": "DEVICE",
        "type": "m.custom",
        "tag": "u.work",
        "receipt_type": "m.read",
        "server_name": "localhost",
        "media_id": "media",
        "file_name": "file.png",
    }
    defaults.update(values or {})
    return re.sub(r"\{(\w+)\}", lambda m: defaults[m.group(1)], path)


def test_route_table_is_complete() -> None:
    served = {(method, path) for method, path, _ in ROUTE_TABLE}
    assert ("GET", "/_matrix/client/versions") in PUBLIC
    assert ("POST", "/_matrix/client/v3/login") in PUBLIC
    assert ("POST", "/_matrix/client/r0/register") in PUBLIC
    assert ("GET", "/_matrix/client/v2_alpha/sync") in served
    assert ("POST", "/_matrix/client/v2_alpha/user/{user_id}/filter") in served
    assert ("GET", "/_matrix/client/api/v1/rooms/{room_id}/messages") in served
    public_names = {path.rsplit("/", 1)[-1] for _, path in PUBLIC}
    assert public_names <= {
        "versions", "client", "login", "register", "available", "{room_id}", "auth_metadata",
        # Profiles need no token (the spec; Synapse's default), but only to read them.
        "{user_id}", "displayname", "avatar_url",
        # the deprecated unauthenticated media download ("" after a trailing slash)
        # and thumbnail
        "{media_id}", "{file_name}", "",
    }
    assert all(method == "GET" for method, path in PUBLIC if "/profile/" in path)
    legacy_media = {path for _, path in PUBLIC if path.startswith("/_matrix/media/")}
    assert all("/download/" in path or "/thumbnail/" in path for path in legacy_media)


@pytest.mark.parametrize(("method", "path"), AUTHENTICATED)
async def test_every_authenticated_endpoint_needs_a_token(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, method: str, path: str
) -> None:
    before = snapshot(hs.store)
    url = fill(path)
    missing = await client.request(method, url, json={})
    assert_error(missing, 401, "M_MISSING_TOKEN")
    unknown = await client.request(
        method, url, json={}, headers={"Authorization": "Bearer not-a-token"}
    )
    body = assert_error(unknown, 401, "M_UNKNOWN_TOKEN")
    assert body["soft_logout"] is False
    in_query = await client.request(method, url, json={}, params={"access_token": "nope"})
    assert_error(in_query, 401, "M_UNKNOWN_TOKEN")
    assert snapshot(hs.store) == before


# -- unknown paths and methods ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/_matrix/client/v3/nonsense",
        "/_matrix/client/v4/sync",
        "/_matrix/client/v3/rooms/!r:localhost",
        "/_matrix/client/v2_alpha/nonsense",
        "/_matrix/client/v3/account/whoami/",
    ],
)
async def test_unknown_path_is_unrecognized(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert_error(response, 404, "M_UNRECOGNIZED")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/login", {"GET", "HEAD", "POST"}),
        ("DELETE", "/login", {"GET", "HEAD", "POST"}),
        ("GET", "/createRoom", {"POST"}),
        ("POST", "/rooms/!r:localhost/state/m.room.name/k", {"GET", "HEAD", "PUT"}),
        ("DELETE", "/rooms/!r:localhost/state/m.room.name", {"GET", "HEAD", "PUT"}),
        ("POST", "/presence/@alice:localhost/status", {"GET", "HEAD", "PUT"}),
        ("GET", "/rooms/!r:localhost/send/m.room.message/t1", {"PUT"}),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, alice: Account, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, V3 + path, headers=alice.headers)
    assert_error(response, 405, "M_UNRECOGNIZED")
    assert set(response.headers["allow"].split(", ")) == allowed


async def test_head_is_served_where_get_is(client: httpx.AsyncClient) -> None:
    response = await client.head("/_matrix/client/versions")
    assert response.status_code == 200


# -- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b"not json", b"{'a': 1}", b"\xff\xfe", b'{"a": NaN}'])
async def test_body_that_is_not_json(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, raw: bytes
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/t1", content=raw, headers=alice.headers
    )
    assert_error(response, 400, "M_NOT_JSON")
    assert snapshot(hs.store) == before


@pytest.mark.parametrize("body", [[], "text", 5, None, True])
async def test_body_that_is_not_an_object(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, body: object
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/t1",
        content=json.dumps(body).encode(),
        headers=alice.headers,
    )
    assert_error(response, 400, "M_BAD_JSON")
    assert snapshot(hs.store) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/rooms/{room}/send/m.room.message/deep"),
        ("PUT", "/rooms/{room}/state/org.example.deep"),
        ("POST", "/user/@alice:localhost/filter"),
        ("PUT", "/user/@alice:localhost/account_data/org.example.deep"),
    ],
)
async def test_body_nested_too_deeply_is_bad_json(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, method: str, path: str
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    deep = b'{"a":' + b"[" * 300 + b"]" * 300 + b"}"
    response = await client.request(
        method, V3 + path.replace("{room}", room), content=deep, headers=alice.headers
    )
    assert_error(response, 400, "M_BAD_JSON")
    assert snapshot(hs.store) == before


@pytest.mark.parametrize(("levels", "accepted"), [(100, True), (101, False)])
async def test_body_nesting_limit_is_exact(
    client: httpx.AsyncClient, alice: Account, levels: int, accepted: bool
) -> None:
    room = await alice.create_room()
    body = b'{"n":' * levels + b'"bottom"' + b"}" * levels
    response = await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/nest{levels}", content=body, headers=alice.headers
    )
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert_error(response, 400, "M_BAD_JSON")


async def test_shallow_body_with_many_brackets_is_accepted(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # More '[' and '{' than levels allowed, in strings and side by side: still shallow.
    room = await alice.create_room()
    content = {"body": "{[" * 200, "lists": [[] for _ in range(150)]}
    event_id = await alice.send(room, content)
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["content"] == content


async def test_body_nested_within_the_limit_round_trips(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    nested: object = "bottom"
    for _ in range(90):
        nested = {"n": nested}
    event_id = await alice.send(room, {"nested": nested})
    event = await alice.call("GET", f"/rooms/{room}/event/{event_id}")
    assert event["content"]["nested"] == nested
    assert (await alice.sync())["rooms"]["join"][room]["timeline"]["events"][-1]["content"] == {
        "nested": nested
    }


async def test_json_without_content_type_is_accepted(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(
        f"{V3}/createRoom",
        content=b'{"name": "plain"}',
        headers={**alice.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/createRoom", {"name": 5}),
        ("/createRoom", {"invite": "@bob:localhost"}),
        ("/createRoom", {"invite": [5]}),
        ("/createRoom", {"is_direct": "yes"}),
        ("/createRoom", {"initial_state": {}}),
        ("/createRoom", {"initial_state": [{"type": "m.x"}]}),
        ("/createRoom", {"preset": "secret_chat"}),
        ("/createRoom", {"visibility": "hidden"}),
        ("/createRoom", {"creation_content": []}),
        ("/createRoom", {"power_level_content_override": 100}),
        ("/createRoom", {"room_alias_name": 5}),
    ],
)
async def test_wrong_field_types_are_bad_json(
    hs: Homeserver, alice: Account, path: str, body: dict[str, object]
) -> None:
    before = snapshot(hs.store)
    response = await alice.client.post(V3 + path, json=body, headers=alice.headers)
    assert_error(response, 400, "M_BAD_JSON")
    assert snapshot(hs.store) == before


async def test_event_over_64k_is_too_large(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/big",
        json={"msgtype": "m.text", "body": "x" * 65536},
        headers=alice.headers,
    )
    assert_error(response, 413, "M_TOO_LARGE")
    state = await client.put(
        f"{V3}/rooms/{room}/state/m.room.topic",
        json={"topic": "x" * 65536},
        headers=alice.headers,
    )
    assert_error(state, 413, "M_TOO_LARGE")
    assert snapshot(hs.store) == before


async def test_event_just_under_the_limit_is_accepted(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    response = await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/fits",
        json={"msgtype": "m.text", "body": "x" * 60000},
        headers=alice.headers,
    )
    assert response.status_code == 200


async def test_body_over_a_mebibyte_is_too_large(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    before = snapshot(hs.store)
    blob = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(f"{V3}/createRoom", content=blob, headers=alice.headers)
    assert_error(response, 413, "M_TOO_LARGE")

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(17):
            yield b" " * 65536

    streamed = await client.post(f"{V3}/createRoom", content=chunks(), headers=alice.headers)
    assert_error(streamed, 413, "M_TOO_LARGE")
    assert snapshot(hs.store) == before


# -- ids in paths --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/rooms/{bad}/state"),
        ("GET", "/rooms/{bad}/members"),
        ("GET", "/rooms/{bad}/messages?dir=b"),
        ("PUT", "/rooms/{bad}/send/m.room.message/t1"),
        ("PUT", "/rooms/{bad}/state/m.room.topic"),
        ("POST", "/rooms/{bad}/join"),
        ("POST", "/rooms/{bad}/leave"),
        ("POST", "/rooms/{bad}/invite"),
        ("PUT", "/rooms/{bad}/typing/@alice:localhost"),
        ("POST", "/join/{bad}"),
    ],
)
@pytest.mark.parametrize("bad", ["notaroom", "!nocolon", "%40alice%3Alocalhost", "!:localhost"])
async def test_malformed_room_id_is_invalid_param(
    hs: Homeserver, alice: Account, method: str, path: str, bad: str
) -> None:
    before = snapshot(hs.store)
    response = await alice.client.request(
        method,
        V3 + path.replace("{bad}", bad),
        json={"user_id": "@bob:localhost", "typing": True},
        headers=alice.headers,
    )
    assert_error(response, 400, "M_INVALID_PARAM")
    assert snapshot(hs.store) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/presence/{bad}/status", None),
        ("PUT", "/presence/{bad}/status", {"presence": "online"}),
        ("GET", "/profile/{bad}", None),
        ("GET", "/profile/{bad}/displayname", None),
        ("PUT", "/profile/{bad}/displayname", {"displayname": "x"}),
        ("GET", "/user/{bad}/filter/0", None),
        ("POST", "/user/{bad}/filter", {}),
        ("GET", "/user/{bad}/account_data/m.x", None),
        ("PUT", "/rooms/{room}/typing/{bad}", {"typing": True}),
    ],
)
@pytest.mark.parametrize("bad", ["alice", "@alice", "!alice:localhost", "@:localhost"])
async def test_malformed_user_id_is_invalid_param(
    hs: Homeserver,
    alice: Account,
    method: str,
    path: str,
    body: dict[str, object] | None,
    bad: str,
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await alice.client.request(
        method,
        V3 + path.replace("{bad}", bad).replace("{room}", room),
        json=body,
        headers=alice.headers,
    )
    assert_error(response, 400, "M_INVALID_PARAM")
    assert snapshot(hs.store) == before


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "bob"},
        {"user_id": "@bob"},
        {"user_id": "#bob:localhost"},
    ],
)
@pytest.mark.parametrize("action", ["invite", "kick", "ban", "unban"])
async def test_malformed_target_user_id_is_invalid_param(
    hs: Homeserver, alice: Account, action: str, body: dict[str, object]
) -> None:
    room = await alice.create_room()
    before = snapshot(hs.store)
    response = await alice.client.post(
        f"{V3}/rooms/{room}/{action}", json=body, headers=alice.headers
    )
    assert_error(response, 400, "M_INVALID_PARAM")
    assert snapshot(hs.store) == before


# -- CORS and query parameters -------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/_matrix/client/v3/sync", "/_matrix/client/v3/login", "/_matrix/client/v3/nonsense"]
)
async def test_cors_preflight(client: httpx.AsyncClient, path: str) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": "http://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]


async def test_cors_headers_on_answers_and_errors(client: httpx.AsyncClient) -> None:
    ok = await client.get("/_matrix/client/versions", headers={"Origin": "http://example.org"})
    assert ok.headers["access-control-allow-origin"] == "*"
    error = await client.get(f"{V3}/account/whoami")
    assert error.status_code == 401
    assert error.headers["access-control-allow-origin"] == "*"


async def test_unknown_query_params_are_ignored(client: httpx.AsyncClient, alice: Account) -> None:
    room = await alice.create_room()
    params = {"_cacheBuster": "123", "org.example.flag": "true", "via": "elsewhere"}
    assert (await client.get("/_matrix/client/versions", params=params)).status_code == 200
    whoami = await client.get(f"{V3}/account/whoami", params=params, headers=alice.headers)
    assert whoami.status_code == 200
    messages = await client.get(
        f"{V3}/rooms/{room}/messages", params={**params, "dir": "b"}, headers=alice.headers
    )
    assert messages.status_code == 200
    join = await client.post(f"{V3}/join/{room}", params=params, json={}, headers=alice.headers)
    assert join.status_code == 200


async def test_error_bodies_are_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/_matrix/client/v3/nonsense")
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"errcode", "error"}


async def test_an_unexpected_exception_is_a_matrix_500_with_cors(
    hs: Homeserver,
    client: httpx.AsyncClient,
    alice: Account,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(user_id: str) -> list[str]:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(hs.store, "joined_rooms", broken)
    with caplog.at_level("ERROR", logger="mockserver"):
        response = await client.get(f"{V3}/joined_rooms", headers=alice.headers)
    assert response.status_code == 500
    assert response.json() == {"errcode": "M_UNKNOWN", "error": "Internal server error"}
    assert response.headers["access-control-allow-origin"] == "*"
    assert "simulated bug" not in response.text
    assert "simulated bug" in caplog.text
