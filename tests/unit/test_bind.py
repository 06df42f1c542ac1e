"""The listening socket: connections accepted from it must send without Nagle's delay."""

from __future__ import annotations

import asyncio
import socket

import anyio

from mockserver.server import bind


async def test_connections_accepted_from_bind_have_nagle_off() -> None:
    # Without TCP_NODELAY a keep-alive client waits ~40 ms per response
    # (uvicorn writes headers and body separately; the client delays its ACK).
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    sock = bind("127.0.0.1", 0)
    server = await loop.create_server(Probe, sock=sock)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        with anyio.fail_after(5):
            nodelay = await accepted
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    assert nodelay != 0
