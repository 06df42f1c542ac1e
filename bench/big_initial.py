"""The big account's v3 initial syncs, in process: CPU time per answer.

``python bench/big_initial.py [--rounds R] [--profile full|lazy] [--code DIR] [--touch] [--rooms N]``

Loads ``fixtures/big_account.json`` (@me in 1,022 rooms) into a homeserver in
this process and times @me's initial ``GET /v3/sync`` through the ASGI app (no
sockets: what the app decides), the full answer and the one with
``timeline.limit`` 1 and lazy-loaded members, turn about; the clock moves 1 ms
between answers, so every answer has its own ages. With ``--touch`` @other
sends a message to ``!room1`` before each answer (one room changed between
answers, as between two clients' first syncs). ``--code DIR`` puts another
checkout's ``mockserver`` first on ``sys.path`` (A/B runs of two versions).
The time includes joining the answer's body messages into one (since a wide
answer is sent in chunks, that join is the harness's, not the server's: compare
checkouts on either side of ``bff866b`` over HTTP instead).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson


def _code_path() -> None:
    """``--code DIR`` before anything of mockserver is imported."""
    if "--code" in sys.argv:
        sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_code_path()
# The package first, from where --code says: inprocess.py puts this checkout first on
# sys.path again, but a package's modules are found where the package was.
import mockserver  # noqa: E402, F401

from big_account import LAZY_TIMELINE_1, V3, scaled  # noqa: E402
from inprocess import Asgi, json_call  # noqa: E402

from mockserver.app import create_app  # noqa: E402
from mockserver.config import ServerConfig  # noqa: E402
from mockserver.homeserver import Homeserver  # noqa: E402
from mockserver.scenarios import load_scenario  # noqa: E402

ROOM = "!room1:localhost"


class BigAccount:
    def __init__(self, rooms: int) -> None:
        self.hs = Homeserver.create(ServerConfig(port=0))
        crowd, history = (10_000, 100_000) if rooms >= 1000 else (200, 2_000)
        load_scenario(self.hs.store, scaled(rooms, crowd, history), source="bench")
        self.asgi = Asgi(create_app(homeserver=self.hs))
        self.sent = 0
        self.filter_id = ""

    async def setup(self) -> None:
        answer = await json_call(
            self.asgi, "POST", f"{V3}/user/@me:localhost/filter", token="me_token", body=LAZY_TIMELINE_1
        )
        self.filter_id = answer["filter_id"]

    async def touch(self) -> None:
        self.sent += 1
        path = f"{V3}/rooms/{ROOM}/send/m.room.message/initial{self.sent}"
        body = {"msgtype": "m.text", "body": f"one more {self.sent}"}
        status, answer = await self.asgi("PUT", path, token="other_token", body=body)
        assert status == 200, answer

    async def initial(self, lazy: bool) -> tuple[float, int]:
        self.hs.clock.advance(1)
        query = {"timeout": "0"}
        if lazy:
            query["filter"] = self.filter_id
        started = time.process_time()
        status, body = await self.asgi("GET", f"{V3}/sync", token="me_token", query=query)
        spent = time.process_time() - started
        assert status == 200, body[:300]
        return spent, len(body)


async def measure(rounds: int, profile: str | None, touch: bool, rooms: int) -> dict[str, Any]:
    world = BigAccount(rooms)
    await world.setup()
    for _ in range(3):  # warm-up
        for lazy in (False, True):
            await world.initial(lazy)
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    found: dict[str, list[float]] = {"full": [], "lazy": []}
    sizes: dict[str, int] = {}
    for _ in range(rounds):
        for kind in ("full", "lazy"):
            if touch:
                await world.touch()
            on = profiler is not None and profile == kind
            if on:
                profiler.enable()
            spent, size = await world.initial(kind == "lazy")
            if on:
                profiler.disable()
            found[kind].append(spent)
            sizes[kind] = size
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return {
        kind: {"ms": statistics.median(times) * 1e3, "bytes": sizes[kind]}
        for kind, times in found.items()
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--profile", choices=("full", "lazy"))
    p.add_argument("--touch", action="store_true", help="a message to !room1 before each answer")
    p.add_argument("--rooms", type=int, default=1000)
    p.add_argument("--code", help="a checkout whose mockserver is imported first")
    args = p.parse_args()
    result = asyncio.run(measure(args.rounds, args.profile, args.touch, args.rooms))
    for kind, figures in result.items():
        print(f"  initial sync {kind:5s} {figures['ms']:8.2f} ms CPU  ({figures['bytes']:,} bytes)")
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
