"""OneWriteCycle (mockserver/http11_cycle.py) against uvicorn's own cycle: the same bytes
for the same ASGI messages, a plain answer in one write, bad headers refused as before."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import RequestResponseCycle

from mockserver.cors import RAW_HEADERS
from mockserver.http11_cycle import ONE_WRITE_MOST, OneWriteCycle

DEFAULT_HEADERS = [(b"server", b"uvicorn"), (b"date", b"Mon, 07 Dec 2026 12:00:00 GMT")]


class Transport:
    """The transport calls a cycle makes, recorded."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def cycle(kind: type[RequestResponseCycle], request: bytes) -> tuple[Any, Transport]:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    transport = Transport()
    scope: Any = {
        "method": event.method.decode(),
        "headers": [(k.lower(), v) for k, v in event.headers],
    }
    made = kind(
        scope=scope,
        conn=conn,
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=DEFAULT_HEADERS,
        message_event=asyncio.Event(),
        on_response=lambda: None,
    )
    return made, transport


GET = b"GET /_matrix/client/v3/sync HTTP/1.1\r\nHost: x\r\n\r\n"
HEAD = b"HEAD /_matrix/media/v3/download/x/y HTTP/1.1\r\nHost: x\r\n\r\n"
CLOSE = b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
HTTP10 = b"GET /x HTTP/1.0\r\n\r\n"
JSON = [(b"content-length", b"11"), (b"content-type", b"application/json"), *RAW_HEADERS]
STREAMED = [(b"content-length", b"6"), (b"content-type", b"image/png")]
BIG = b'"' + b"x" * ONE_WRITE_MOST + b'"'
BIG_JSON = [(b"content-length", str(len(BIG)).encode()), (b"content-type", b"application/json")]


async def played(kind: type[RequestResponseCycle], request: bytes, messages: list[Any]) -> Any:
    made, transport = cycle(kind, request)
    for message in messages:
        await made.send(message)
    return made, transport


@pytest.mark.parametrize(
    ("request_head", "messages"),
    [
        (GET, [{"type": "http.response.start", "status": 200, "headers": JSON},
               {"type": "http.response.body", "body": b'{"ok":true}'}]),
        (HEAD, [{"type": "http.response.start", "status": 200, "headers": JSON},
                {"type": "http.response.body", "body": b'{"ok":true}'}]),
        (CLOSE, [{"type": "http.response.start", "status": 404, "headers": JSON},
                 {"type": "http.response.body", "body": b'{"ok":true}'}]),
        (HTTP10, [{"type": "http.response.start", "status": 200, "headers": JSON},
                  {"type": "http.response.body", "body": b'{"ok":true}'}]),
        (GET, [{"type": "http.response.start", "status": 200, "headers": BIG_JSON},
               {"type": "http.response.body", "body": BIG}]),
        (GET, [{"type": "http.response.start", "status": 200, "headers": STREAMED},
               {"type": "http.response.body", "body": b"abc", "more_body": True},
               {"type": "http.response.body", "body": b"def"}]),
        (GET, [{"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]},
               {"type": "http.response.body", "body": b"chunked", "more_body": True},
               {"type": "http.response.body", "body": b""}]),
    ],
)
async def test_the_same_bytes_as_uvicorns_cycle(request_head: bytes, messages: list[Any]) -> None:
    ours, ours_sent = await played(OneWriteCycle, request_head, messages)
    theirs, theirs_sent = await played(RequestResponseCycle, request_head, messages)
    assert b"".join(ours_sent.writes) == b"".join(theirs_sent.writes)
    assert ours_sent.closed == theirs_sent.closed
    assert ours.response_complete and theirs.response_complete
    assert ours.conn.our_state == theirs.conn.our_state


async def test_a_plain_answer_is_one_write() -> None:
    _, sent = await played(
        OneWriteCycle,
        GET,
        [{"type": "http.response.start", "status": 200, "headers": JSON},
         {"type": "http.response.body", "body": b'{"ok":true}'}],
    )
    assert len(sent.writes) == 1
    assert sent.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sent.writes[0].endswith(b'\r\n\r\n{"ok":true}')


async def test_a_big_body_is_written_after_its_head_without_a_copy() -> None:
    _, sent = await played(
        OneWriteCycle,
        GET,
        [{"type": "http.response.start", "status": 200, "headers": BIG_JSON},
         {"type": "http.response.body", "body": BIG}],
    )
    assert len(sent.writes) == 2
    assert sent.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sent.writes[0].endswith(b"\r\n\r\n")
    assert sent.writes[1] is BIG


@pytest.mark.parametrize("header", [(b"bad name", b"x"), (b"x-a", b"line\nbreak")])
async def test_a_header_h11_refuses_is_refused_every_time(header: tuple[bytes, bytes]) -> None:
    for _ in range(2):  # the second time too: a refused list is never kept as checked
        made, sent = cycle(OneWriteCycle, GET)
        with pytest.raises(h11.LocalProtocolError):
            await made.send({"type": "http.response.start", "status": 200, "headers": [header]})
        assert sent.writes == []


async def test_nothing_is_written_to_a_client_that_left() -> None:
    made, sent = cycle(OneWriteCycle, GET)
    await made.send({"type": "http.response.start", "status": 200, "headers": JSON})
    made.disconnected = True
    await made.send({"type": "http.response.body", "body": b'{"ok":true}'})
    assert sent.writes == []


async def test_a_kept_header_list_is_not_changed_by_an_answer_that_closes() -> None:
    plain = [{"type": "http.response.start", "status": 200, "headers": JSON},
             {"type": "http.response.body", "body": b'{"ok":true}'}]
    for request_head in (HTTP10, CLOSE, GET, HTTP10, GET):
        _, ours = await played(OneWriteCycle, request_head, plain)
        _, theirs = await played(RequestResponseCycle, request_head, plain)
        assert ours.writes == [b"".join(theirs.writes)]
        assert (b"connection: close" in ours.writes[0].lower()) == (request_head != GET)
