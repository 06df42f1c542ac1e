"""One server process for the benchmark: ``python bench/serve.py {mockserver,floor}``.

Binds 127.0.0.1 on a free port, prints ``<name> serving <url>`` as its
first line and serves on uvicorn with the configuration mockserver's own
:func:`mockserver.server.uvicorn_server` uses, so the two differ only in
the app. For mockserver it adds four bench-only routes under ``/_bench``
(they are never part of the real app):

- ``GET /_bench/parked?count=N``: answers once N long-polls are parked in
  the notifier (waits on the notifier, no polling), so a wake-up is timed
  only for clients the server has really parked;
- ``POST /_bench/seed`` ``{"room_id", "sender", "count"}``: stores ``count``
  messages through :meth:`Store.send_event` in-process, the same checks and
  writes a ``PUT /send`` makes, minus HTTP, to build big histories fast;
- ``POST /_bench/reset``: :meth:`Store.reset`, measured when the control
  API's ``POST /_mock/reset`` is not there;
- ``POST /_bench/load[?distinct_stamps=1]``: a scenario loaded in process (its time,
  CPU and memory growth); with ``distinct_stamps``, every event given its own
  millisecond afterwards (``_restamp``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, cast

import anyio
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send


UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "lifespan": "on",
    "timeout_graceful_shutdown": 1,
    "ws": "none",
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _event_json(event: Any) -> dict[str, Any]:
    """An event's JSON as the memory figures count it (the client format's own fields)."""
    found = {
        "type": event.type,
        "room_id": event.room_id,
        "sender": event.sender,
        "content": event.content,
        "event_id": event.event_id,
        "origin_server_ts": event.origin_server_ts,
    }
    if event.state_key is not None:
        found["state_key"] = event.state_key
    return found


def bench_routes(hs: Any) -> list[Route]:
    from mockserver.core.store import Store

    store: Store = hs.store

    async def parked(request: Request) -> Response:
        count = int(request.query_params.get("count", "0"))
        with anyio.move_on_after(float(request.query_params.get("timeout", "10000")) / 1000):
            await hs.notifier.until_total_parked(count)
        return _json({"parked": hs.notifier.total_parked()})

    async def seed(request: Request) -> Response:
        body = orjson.loads(await request.body())
        started = time.perf_counter()
        json_bytes = 0
        for index in range(int(body["count"])):
            content = {"msgtype": "m.text", "body": f"bench message {index}"}
            event = store.send_event(body["sender"], body["room_id"], "m.room.message", content)
            json_bytes += len(orjson.dumps(_event_json(event)))
        return _json(
            {"count": body["count"], "json_bytes": json_bytes, "seconds": time.perf_counter() - started}
        )

    async def load(request: Request) -> Response:
        """Load the scenario in the body; how long it took (wall and CPU) and what it holds."""
        from mockserver.scenarios import load_scenario

        document = orjson.loads(await request.body())
        before = _rss_bytes()
        wall, cpu = time.perf_counter(), time.process_time()
        load_scenario(store, document, source="bench")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if request.query_params.get("distinct_stamps"):
            _restamp(store)
        growth = _rss_bytes() - before
        return _json(
            {
                "seconds": wall,
                "cpu_seconds": cpu,
                "rss_growth_bytes": growth,
                # Each event as the memory figure of bench/run.py counts its JSON.
                "json_bytes": sum(
                    len(orjson.dumps(_event_json(event)))
                    for room in store.rooms.values()
                    for event in room.events
                ),
                "events": sum(len(room.events) for room in store.rooms.values()),
                "rooms": len(store.rooms),
                "memberships": sum(len(room.joined_names()) for room in store.rooms.values()),
            }
        )

    async def reset(request: Request) -> Response:
        store.reset()
        return _json({})

    return [
        Route("/_bench/parked", parked),
        Route("/_bench/seed", seed, methods=["POST"]),
        Route("/_bench/reset", reset, methods=["POST"]),
        Route("/_bench/load", load, methods=["POST"]),
    ]


def _restamp(store: Any) -> None:
    """Every stored event its own millisecond, a room's in its order, the rooms one
    after another, ending now: a generated scenario stamps each room's n-th message
    alike, so its answers hold few distinct ages (what ``entries.py`` shares); a real
    account's do not. Measurement only: nothing indexed by time is rebuilt."""
    events = [event for room in store.rooms.values() for event in room.events]
    start = store.clock.now_ms() - len(events)
    for offset, event in enumerate(events):
        object.__setattr__(event, "origin_server_ts", start + offset)


def mockserver_server(port: int) -> tuple[uvicorn.Server, Any]:
    from mockserver.config import ServerConfig
    from mockserver.homeserver import Homeserver
    from mockserver.server import uvicorn_server

    hs = Homeserver.create(ServerConfig(port=port))
    server = uvicorn_server(hs)
    inner = cast(ASGIApp, server.config.app)
    bench = Starlette(routes=bench_routes(hs))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # One prefix test in front of mockserver's own app, whatever that app is made of.
        if scope["type"] == "http" and scope["path"].startswith("/_bench/"):
            await bench(scope, receive, send)
        else:
            await inner(scope, receive, send)

    server.config.app = app
    return server, hs


def floor_server() -> uvicorn.Server:
    from floor import create_floor_app

    return uvicorn.Server(uvicorn.Config(create_floor_app(), **UVICORN_OPTIONS))


def bind(port: int) -> Any:
    """The listening socket; mockserver's own for mockserver, a plain TCP one for the floor.

    The floor must not import mockserver, or its start time would include mockserver's.
    """
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    return sock


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("target", choices=["mockserver", "floor"])
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.target == "mockserver":
        from mockserver.server import bind as mockserver_bind

        sock = mockserver_bind("127.0.0.1", args.port)
    else:
        sock = bind(args.port)
    port = sock.getsockname()[1]
    if args.target == "mockserver":
        server, hs = mockserver_server(port)
        hs.bound_port = port
    else:
        server = floor_server()
    print(f"{args.target} serving http://127.0.0.1:{port}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
