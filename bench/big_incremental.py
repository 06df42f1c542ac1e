"""Incremental sync and wake-ups: the big account beside the small world, in process.

``python bench/big_incremental.py [--rounds R] [--parked N] [--rooms M] [--profile]``

Loads ``fixtures/big_account.json`` (@me in 1,022 rooms) and the same shape
scaled to 10 rooms (the small world) into two homeservers in this process,
and times the same requests in both, in alternating blocks so outside load
falls on both alike (CPU time, no sockets: what the app decides):

- *incremental*: @other sends one message to ``!room1``, then @me's
  ``GET /sync?since=…`` (timeline limit 1, lazy members) is timed;
- *wake-up*: @me (and, with ``--parked N``, N-1 of the users that share
  ``!room1``) parked on ``/sync?since=…&timeout=30000``, woken by @other's
  ``PUT /send`` to ``!room1``: the send and every woken answer, per answer.

The target (issue 19): the big account within 1.2x of the small world.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from big_account import LAZY_TIMELINE_1, V3, scaled  # noqa: E402
from inprocess import Asgi, json_call  # noqa: E402

from mockserver.app import create_app  # noqa: E402
from mockserver.config import ServerConfig  # noqa: E402
from mockserver.homeserver import Homeserver  # noqa: E402
from mockserver.scenarios import load_scenario  # noqa: E402

ROOM = "!room1:localhost"
BLOCKS = 5


class World:
    """One homeserver holding the big account's shape with ``rooms`` ordinary rooms."""

    def __init__(self, name: str, rooms: int, parked: int) -> None:
        self.name = name
        self.hs = Homeserver.create(ServerConfig(port=0))
        crowd, history = (10_000, 100_000) if rooms >= 1000 else (200, 2_000)
        started = time.process_time()
        load_scenario(self.hs.store, scaled(rooms, crowd, history), source="bench")
        self.load_cpu = time.process_time() - started
        self.asgi = Asgi(create_app(homeserver=self.hs))
        self.parked = parked
        self.sent = 0

    async def setup(self) -> None:
        store = self.hs.store
        # @me and the first generated users, who share !room1 with @me: each with a token.
        users = ["@me:localhost"] + [f"@user{n}:localhost" for n in range(1, self.parked)]
        self.tokens = ["me_token"] + [store.new_session(u).access_token for u in users[1:]]
        self.filters = [
            (
                await json_call(
                    self.asgi, "POST", f"{V3}/user/{user}/filter", token=token, body=LAZY_TIMELINE_1
                )
            )["filter_id"]
            for user, token in zip(users, self.tokens)
        ]
        self.since = []
        for token, filter_id in zip(self.tokens, self.filters):
            first = await self.sync(token, filter_id, None)
            self.since.append((await self.sync(token, filter_id, first["next_batch"]))["next_batch"])

    async def sync(self, token: str, filter_id: str, since: str | None, timeout: int = 0) -> Any:
        query = {"timeout": str(timeout), "filter": filter_id}
        if since is not None:
            query["since"] = since
        return await json_call(self.asgi, "GET", f"{V3}/sync", token=token, query=query)

    async def send(self) -> None:
        self.sent += 1
        path = f"{V3}/rooms/{ROOM}/send/m.room.message/bench{self.sent}"
        body = {"msgtype": "m.text", "body": f"one more {self.sent}"}
        status, answer = await self.asgi("PUT", path, token="other_token", body=body)
        assert status == 200, answer

    async def incremental(self) -> float:
        await self.send()
        started = time.process_time()
        data = await self.sync(self.tokens[0], self.filters[0], self.since[0])
        spent = time.process_time() - started
        assert data["rooms"]["join"][ROOM]["timeline"]["events"], data
        self.since[0] = data["next_batch"]
        return spent

    async def wake(self) -> float:
        answers: list[Any] = [None] * len(self.tokens)
        for index in range(1, len(self.tokens)):  # the others missed the last message
            data = await self.sync(self.tokens[index], self.filters[index], self.since[index])
            self.since[index] = data["next_batch"]

        async def park(index: int) -> None:
            answers[index] = await self.sync(
                self.tokens[index], self.filters[index], self.since[index], timeout=30_000
            )

        tasks = [asyncio.create_task(park(i)) for i in range(len(self.tokens))]
        while self.hs.notifier.total_parked() < len(self.tokens):
            await asyncio.sleep(0)
        started = time.process_time()
        await self.send()
        await asyncio.gather(*tasks)
        spent = (time.process_time() - started) / len(self.tokens)
        for index, data in enumerate(answers):
            assert data["rooms"]["join"][ROOM]["timeline"]["events"], data
            self.since[index] = data["next_batch"]
        return spent


async def measure(rounds: int, parked: int, profile: bool, rooms: int = 1000) -> dict[str, Any]:
    worlds = [World("small world", 10, parked), World("big account", rooms, parked)]
    for world in worlds:
        await world.setup()
        for _ in range(3):  # warm-up
            await world.incremental()
            await world.wake()
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    found: dict[str, dict[str, list[float]]] = {w.name: {"incremental": [], "wake": []} for w in worlds}
    per_block = max(1, rounds // BLOCKS)
    for _ in range(BLOCKS):
        for world in worlds:
            big = profiler is not None and world is worlds[1]
            for _ in range(per_block):
                if big:
                    profiler.enable()
                found[world.name]["incremental"].append(await world.incremental())
                found[world.name]["wake"].append(await world.wake())
                if big:
                    profiler.disable()
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return {
        "rooms": {w.name: len(w.hs.store.rooms) for w in worlds},
        "parked": parked,
        "rounds": per_block * BLOCKS,
        "us": {
            name: {kind: statistics.median(times) * 1e6 for kind, times in kinds.items()}
            for name, kinds in found.items()
        },
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--profile", action="store_true", help="cProfile the big account's rounds")
    p.add_argument("--rooms", type=int, default=1000, help="a smaller big account (a quick run)")
    p.add_argument("--parked", type=int, default=1, help="long-polls woken per send (1-19)")
    args = p.parse_args()
    if not 1 <= args.parked <= 19:
        p.error("--parked: 1 to 19 (@me and @user1-18 share !room1)")
    result = asyncio.run(measure(args.rounds, args.parked, args.profile, args.rooms))
    us = result["us"]
    small, big = us["small world"], us["big account"]
    print(
        f"{result['rooms']['small world']} rooms vs {result['rooms']['big account']} rooms, "
        f"{result['rounds']} rounds, {result['parked']} parked (median CPU per answer)"
    )
    for kind in ("incremental", "wake"):
        print(
            f"  {kind:12s} small {small[kind]:8.1f} us   big {big[kind]:8.1f} us   "
            f"ratio {big[kind] / small[kind]:.2f}x (target <= 1.2x)"
        )
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
