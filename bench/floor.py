"""The floor: the least a Starlette app on the same uvicorn can do.

It answers every path and method with one fixed JSON body (the floor for
``/versions``, a send, or a sync), and has one long-poll: ``GET /wait``
parks on an :class:`anyio.Event` until a send sets it (or the ``timeout``
passes). A send is ``PUT /_matrix/client/v3/rooms/{room}/send/{type}/{txn}``,
the very request that wakes mockserver's long-polls in the benchmark, body
and all (``POST /wake`` does the same without one). ``GET /parked?count=N`` answers once N requests are
parked, the same introspection the benchmark uses on mockserver, so both
are measured by the same client code. ``PUT /same_bytes`` stores a body (a big
answer of mockserver's, pre-encoded) that ``GET /same_bytes`` then serves: the
floor for answers that are big by nature. ``POST /_matrix/media/v3/upload`` keeps
each body it is sent (``await request.body()``): the floor of memory per
stored media byte.
"""

from __future__ import annotations

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"ok":true}'
SEND_PATH = "/_matrix/client/v3/rooms/{room_id}/send/{event_type}/{txn_id}"


class _Park:
    def __init__(self) -> None:
        self.wake = anyio.Event()
        self.parked = 0
        self.changed = anyio.Event()

    def signal(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()


def _fixed() -> Response:
    return Response(BODY, media_type="application/json")


def create_floor_app() -> Starlette:
    park = _Park()

    async def wait(request: Request) -> Response:
        timeout = int(request.query_params.get("timeout", "30000")) / 1000
        event = park.wake
        park.parked += 1
        park.signal()
        try:
            with anyio.move_on_after(timeout):
                await event.wait()
        finally:
            park.parked -= 1
            park.signal()
        return _fixed()

    async def wake(request: Request) -> Response:
        await request.body()
        event, park.wake = park.wake, anyio.Event()
        event.set()
        return _fixed()

    async def parked(request: Request) -> Response:
        count = int(request.query_params.get("count", "0"))
        with anyio.move_on_after(float(request.query_params.get("timeout", "10000")) / 1000):
            while park.parked < count:
                await park.changed.wait()
        return Response(b'{"parked":%d}' % park.parked, media_type="application/json")

    #: The same-bytes floor: an answer of mockserver's, pre-encoded, served as it is.
    same = {"body": BODY}

    async def same_bytes(request: Request) -> Response:
        if request.method == "PUT":
            same["body"] = await request.body()
            return _fixed()
        return Response(same["body"], media_type="application/json")

    async def fixed(request: Request) -> Response:
        await request.body()
        return _fixed()

    async def upload(request: Request) -> Response:
        # The least a media repository can do: keep the body Starlette read.
        stored.append(await request.body())
        return Response(b'{"content_uri":"mxc://floor/%d"}' % len(stored), media_type="application/json")

    stored: list[bytes] = []

    methods = ["GET", "POST", "PUT"]
    return Starlette(
        routes=[
            Route("/wait", wait),
            Route("/wake", wake, methods=["POST"]),
            Route(SEND_PATH, wake, methods=["PUT"]),
            Route("/parked", parked),
            Route("/_matrix/media/v3/upload", upload, methods=["POST"]),
            Route("/same_bytes", same_bytes, methods=["GET", "PUT"]),
            Route("/{path:path}", fixed, methods=methods),
        ]
    )
