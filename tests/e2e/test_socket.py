"""The client API over a real uvicorn socket: what only a real connection shows."""

from __future__ import annotations

import socket

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer

V3 = "/_matrix/client/v3"


def register(http: httpx.Client, username: str) -> dict[str, str]:
    body = http.post(
        f"{V3}/register",
        json={"username": username, "password": "pw", "auth": {"type": "m.login.dummy"}},
    ).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


def raw_request(server: ThreadedServer, request: bytes) -> bytes:
    """Send bytes exactly as given (no client-side normalisation) and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_port_zero_binds_a_free_port_and_reports_it(server: ThreadedServer) -> None:
    assert server.port != 0
    assert server.base_url == f"http://127.0.0.1:{server.port}"


def test_versions_and_well_known(http: httpx.Client, server: ThreadedServer) -> None:
    assert "v1.1" in http.get("/_matrix/client/versions").json()["versions"]
    well_known = http.get("/.well-known/matrix/client").json()
    assert well_known == {"m.homeserver": {"base_url": server.base_url}}


def test_a_conversation_over_the_socket(http: httpx.Client) -> None:
    alice = register(http, "alice")
    bob = register(http, "bob")
    room = http.post(f"{V3}/createRoom", json={"preset": "public_chat"}, headers=alice).json()[
        "room_id"
    ]
    assert http.post(f"{V3}/join/{room}", headers=bob).status_code == 200
    sent = http.put(
        f"{V3}/rooms/{room}/send/m.room.message/t1",
        json={"msgtype": "m.text", "body": "over the wire"},
        headers=alice,
    ).json()["event_id"]
    page = http.get(f"{V3}/rooms/{room}/messages", params={"dir": "b", "limit": 1}, headers=bob)
    assert [e["event_id"] for e in page.json()["chunk"]] == [sent]


def test_percent_encoded_slash_survives_the_socket(http: httpx.Client) -> None:
    alice = register(http, "alice")
    room = http.post(f"{V3}/createRoom", json={}, headers=alice).json()["room_id"]
    put = http.put(f"{V3}/rooms/{room}/state/org.example/a%2Fb", json={"v": 1}, headers=alice)
    assert put.status_code == 200
    state = http.get(f"{V3}/rooms/{room}/state", headers=alice).json()
    assert [e["state_key"] for e in state if e["type"] == "org.example"] == ["a/b"]


def test_percent_encoded_utf8_in_a_path_is_decoded_as_utf8(http: httpx.Client) -> None:
    alice = register(http, "alice")
    room = http.post(f"{V3}/createRoom", json={}, headers=alice).json()["room_id"]
    put = http.put(f"{V3}/rooms/{room}/state/org.example/cl%C3%A9", json={"v": 1}, headers=alice)
    assert put.status_code == 200
    state = http.get(f"{V3}/rooms/{room}/state", headers=alice).json()
    assert [e["state_key"] for e in state if e["type"] == "org.example"] == ["clé"]


def test_cors_preflight_over_the_socket(http: httpx.Client) -> None:
    response = http.options(
        f"{V3}/sync",
        headers={"Origin": "http://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["access-control-allow-origin"] == "*"


def test_oversized_body_is_refused_by_content_length(server: ThreadedServer, http: httpx.Client) -> None:
    alice = register(http, "alice")
    raw = raw_request(
        server,
        f"POST {V3}/createRoom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
        + f"Authorization: {alice['Authorization']}\r\n".encode()
        + b"Content-Length: 2000000\r\n\r\n{}",
    )
    assert raw.startswith(b"HTTP/1.1 413"), raw
    assert b'"M_TOO_LARGE"' in raw


def test_errors_over_the_socket_are_matrix_bodies(http: httpx.Client) -> None:
    missing = http.get(f"{V3}/account/whoami")
    assert missing.status_code == 401
    assert missing.json()["errcode"] == "M_MISSING_TOKEN"
    unknown = http.get(f"{V3}/nonsense")
    assert (unknown.status_code, unknown.json()["errcode"]) == (404, "M_UNRECOGNIZED")
    wrong = http.delete(f"{V3}/login")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["allow"]


def test_two_servers_are_independent() -> None:
    first = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    second = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    try:
        assert first.port != second.port
        with httpx.Client(base_url=first.base_url) as one, httpx.Client(base_url=second.base_url) as two:
            register(one, "alice")
            taken = one.post(f"{V3}/register", json={"username": "alice", "auth": {"type": "m.login.dummy"}})
            assert taken.json()["errcode"] == "M_USER_IN_USE"
            fresh = two.post(f"{V3}/register", json={"username": "alice", "auth": {"type": "m.login.dummy"}})
            assert fresh.status_code == 200
    finally:
        first.stop()
        second.stop()


def test_start_twice_is_refused(server: ThreadedServer) -> None:
    with pytest.raises(RuntimeError):
        server.start()
