"""Over a real socket: a read timeout for requests never finished, Matrix errors for huge heads."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer

#: Generous: how long a test waits for the server to act (the machine may be loaded).
WAIT = 20.0


@pytest.fixture
def quick() -> Iterator[ThreadedServer]:
    """A server whose read timeout is short enough to wait for."""
    running = ThreadedServer(Homeserver.create(ServerConfig(port=0, read_timeout=0.5))).start()
    yield running
    running.stop()


def connect(server: ThreadedServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (recv waits at most WAIT for each piece)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\n",  # a head never finished
        # A body cut short, on a route that reads it.
        b"POST /_matrix/client/v3/register HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",
    ],
)
def test_a_connection_that_never_finishes_its_request_is_closed(
    quick: ThreadedServer, sent: bytes
) -> None:
    with connect(quick) as sock:
        sock.sendall(sent)
        assert read_all(sock) == b""  # closed by the server, within WAIT


def test_a_long_poll_is_not_cut_by_the_read_timeout(quick: ThreadedServer) -> None:
    with httpx.Client(base_url=quick.base_url, timeout=WAIT) as http:
        registered = http.post(
            "/_matrix/client/v3/register",
            json={"username": "a", "password": "p", "auth": {"type": "m.login.dummy"}},
        ).json()
        token = registered["access_token"].encode()
        since = http.get(
            "/_matrix/client/v3/sync", headers={"Authorization": f"Bearer {token.decode()}"}
        ).json()["next_batch"].encode()
    with connect(quick) as sock:
        # The request is complete; the answer is what takes time (1.5 s > 0.5 s).
        sock.sendall(
            b"GET /_matrix/client/v3/sync?timeout=1500&since=%s HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\nAuthorization: Bearer %s\r\n\r\n" % (since, token)
        )
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_head_over_the_limit_gets_a_matrix_error(quick: ThreadedServer) -> None:
    with connect(quick) as sock:
        sock.sendall(
            b"GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"a" * 1_000_000
            + b"\r\n\r\n"
        )
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["errcode"] == "M_TOO_LARGE"


def test_a_broken_request_line_gets_a_matrix_error(quick: ThreadedServer) -> None:
    with connect(quick) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert json.loads(body)["errcode"] == "M_UNKNOWN"
