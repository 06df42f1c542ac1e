"""The app's own CPU cost of a wake-up, measured in process: no sockets, no uvicorn.

``python bench/inprocess.py [--clients N] [--rounds R] [--profile cprofile|pyinstrument]``

Calls the ASGI apps directly (mockserver's, as ``create_app`` builds it, and
the floor's) with the same requests ``make bench`` sends for its wake-up
figures: N users parked on ``/v3/sync?since=…&timeout=30000`` in one room,
woken by one ``PUT /send``; the floor's ``GET /wait`` woken by the same ``PUT``.
It prints the CPU time per send (per wake) and per woken answer for both,
which is the part of a wake-up the app decides (uvicorn's and the client's
share is the same for both). With ``--profile`` it profiles the mockserver
rounds only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floor import create_floor_app  # noqa: E402

from mockserver.app import create_app  # noqa: E402
from mockserver.config import ServerConfig  # noqa: E402
from mockserver.homeserver import Homeserver  # noqa: E402

V3 = "/_matrix/client/v3"
MESSAGE = {"msgtype": "m.text", "body": "wake up"}


class Asgi:
    """One ASGI app called like a server would, answering (status, body)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        token: str | None = None,
        body: Any = None,
    ) -> tuple[int, bytes]:
        raw = b"" if body is None else orjson.dumps(body)
        headers = [(b"host", b"127.0.0.1")]
        if token is not None:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        if raw:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        query_string = urlencode(query or {}).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 8008),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def json_call(asgi: Asgi, method: str, path: str, **kwargs: Any) -> Any:
    status, body = await asgi(method, path, **kwargs)
    assert status == 200, (status, body)
    return orjson.loads(body)


class MockserverWakes:
    """``clients`` users parked on ``/v3/sync`` in one room, woken by a fresh sender's message."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.hs = Homeserver.create(ServerConfig(port=0))
        self.asgi = Asgi(create_app(homeserver=self.hs))
        self.sent = 0

    async def register(self, name: str) -> str:
        data = await json_call(
            self.asgi, "POST", f"{V3}/register",
            body={"username": name, "password": "p", "auth": {"type": "m.login.dummy"}},
        )
        return str(data["access_token"])

    async def setup(self) -> None:
        asgi = self.asgi
        self.sender = await self.register("sender")
        room = await json_call(
            asgi, "POST", f"{V3}/createRoom", token=self.sender, body={"preset": "public_chat"}
        )
        self.room_id = room["room_id"]
        self.tokens = [await self.register(f"l{i}") for i in range(self.clients)]
        for token in self.tokens:
            await json_call(asgi, "POST", f"{V3}/join/{self.room_id}", token=token, body={})
        # The first sync marks each user online, which the others see: sync everyone twice.
        first = [
            await json_call(asgi, "GET", f"{V3}/sync", token=token, query={"timeout": "0"})
            for token in self.tokens
        ]
        self.since = [
            (
                await json_call(
                    asgi, "GET", f"{V3}/sync", token=token,
                    query={"timeout": "0", "since": data["next_batch"]},
                )
            )["next_batch"]
            for token, data in zip(self.tokens, first)
        ]

    async def rounds(self, count: int, hook: Callable[[bool], None]) -> tuple[list[float], list[float]]:
        sends: list[float] = []
        wakes: list[float] = []
        for _ in range(count):
            answers: list[bytes] = [b""] * self.clients

            async def park(index: int) -> None:
                query = {"timeout": "30000", "since": self.since[index]}
                status, body = await self.asgi(
                    "GET", f"{V3}/sync", token=self.tokens[index], query=query
                )
                assert status == 200, body
                answers[index] = body

            tasks = [asyncio.create_task(park(i)) for i in range(self.clients)]
            while self.hs.notifier.total_parked() < self.clients:
                await asyncio.sleep(0)
            self.sent += 1
            path = f"{V3}/rooms/{self.room_id}/send/m.room.message/t{self.sent}"
            hook(True)
            started = time.process_time()
            await self.asgi("PUT", path, token=self.sender, body=MESSAGE)
            sent = time.process_time()
            await asyncio.gather(*tasks)
            done = time.process_time()
            hook(False)
            sends.append(sent - started)
            wakes.append((done - sent) / self.clients)
            for index, body in enumerate(answers):
                data = orjson.loads(body)
                assert data["rooms"]["join"][self.room_id]["timeline"]["events"], data
                self.since[index] = data["next_batch"]
        return sends, wakes


class FloorWakes:
    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.asgi = Asgi(create_floor_app())
        self.sent = 0

    async def setup(self) -> None:
        await self.asgi("GET", "/anything")

    async def rounds(self, count: int, hook: Callable[[bool], None]) -> tuple[list[float], list[float]]:
        sends: list[float] = []
        wakes: list[float] = []
        for _ in range(count):

            async def park() -> None:
                status, _ = await self.asgi("GET", "/wait", query={"timeout": "30000"})
                assert status == 200

            tasks = [asyncio.create_task(park()) for _ in range(self.clients)]
            status, body = await self.asgi("GET", "/parked", query={"count": str(self.clients)})
            assert orjson.loads(body)["parked"] == self.clients
            self.sent += 1
            path = f"{V3}/rooms/!floor:localhost/send/m.room.message/t{self.sent}"
            started = time.process_time()
            await self.asgi("PUT", path, token="floor", body=MESSAGE)
            sent = time.process_time()
            await asyncio.gather(*tasks)
            done = time.process_time()
            sends.append(sent - started)
            wakes.append((done - sent) / self.clients)
        return sends, wakes


BLOCKS = 5


async def side_by_side(
    clients: int, rounds: int, hook: Callable[[bool], None]
) -> dict[str, tuple[list[float], list[float]]]:
    """Floor and mockserver in alternating blocks, so that outside load falls on both."""
    mock, floor = MockserverWakes(clients), FloorWakes(clients)
    await mock.setup()
    await floor.setup()
    await floor.rounds(2, lambda on: None)
    await mock.rounds(2, lambda on: None)
    results: dict[str, tuple[list[float], list[float]]] = {"floor": ([], []), "mockserver": ([], [])}
    per_block = max(1, rounds // BLOCKS)
    for _ in range(BLOCKS):
        for name, target, use in (("floor", floor, lambda on: None), ("mockserver", mock, hook)):
            sends, wakes = await target.rounds(per_block, use)
            results[name][0].extend(sends)
            results[name][1].extend(wakes)
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, nargs="*", default=[1, 50, 200])
    p.add_argument("--rounds", type=int, default=0, help="default: about 4000 wake-ups per count")
    p.add_argument("--profile", choices=["cprofile"], help="profile the mockserver rounds")
    p.add_argument("--out", type=Path, default=None, help="also write the profile here")
    args = p.parse_args()
    for clients in args.clients:
        rounds = args.rounds or max(20, 4000 // clients)
        profiler: Any = None
        if args.profile == "cprofile":
            import cProfile

            profiler = cProfile.Profile()

        def hook(on: bool) -> None:
            if profiler is not None:
                profiler.enable() if on else profiler.disable()

        results = asyncio.run(side_by_side(clients, rounds, hook))
        (m_send, m_wake), (f_send, f_wake) = results["mockserver"], results["floor"]
        us = 1e6
        send, f_send_us = statistics.median(m_send) * us, statistics.median(f_send) * us
        wake, f_wake_us = statistics.median(m_wake) * us, statistics.median(f_wake) * us
        print(
            f"{clients:4d} parked, {rounds} rounds: "
            f"send {send:6.1f} us (floor {f_send_us:5.1f}), "
            f"per woken answer {wake:6.1f} us (floor {f_wake_us:5.1f}), "
            f"ratio {wake / f_wake_us:.2f}x",
            flush=True,
        )
        if profiler is not None:
            import pstats

            stats = pstats.Stats(profiler)
            if args.out:
                stats.dump_stats(str(args.out))
            stats.sort_stats("tottime").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
