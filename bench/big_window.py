"""Sliding sync's first window of the big account, in process: CPU per answer, A/B.

``python bench/big_window.py [--rounds R] [--against CHECKOUT] [--profile]``

Loads ``fixtures/big_account.json`` (@me in 1,022 rooms) into a homeserver and
calls its ASGI app directly (no sockets: what the app decides) with
``bench/big_account.py``'s requests, timing the CPU of each answer:

- *first*: a new connection's ``[[0,19]]`` (``timeline_limit`` 1, the room
  name and ``$LAZY`` members);
- *growth*: ``[[0,19]]``, then from its ``pos`` ``[[0,99]]`` (the second answer).

Each checkout runs in a worker process of its own, with its ``mockserver``
first on ``sys.path`` (the worker checks that it imported that one); with
``--against`` a second checkout (say, the code before a change) runs beside
this one, the two taking turns in blocks of 10 answers, so the machine's
load falls on both alike. ``--profile`` prints cProfile's view of this
checkout's first windows instead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
BLOCK = 10
KINDS = ("first", "growth")


async def serve_worker(checkout: Path, commands: IO[str], replies: IO[str]) -> None:
    """Load the big account from ``checkout``'s code, then answer ``KIND N`` lines with
    N CPU times (and ``profile N`` with cProfile's table on stderr)."""
    sys.path[:0] = [str(checkout), str(checkout / "bench")]
    import orjson

    import mockserver
    from big_account import scaled, sliding_body
    from inprocess import Asgi
    from mockserver.app import create_app
    from mockserver.config import ServerConfig
    from mockserver.homeserver import Homeserver
    from mockserver.scenarios import load_scenario

    assert Path(mockserver.__file__).is_relative_to(checkout), mockserver.__file__
    hs = Homeserver.create(ServerConfig(port=0))
    load_scenario(hs.store, scaled(1000, 10_000, 100_000), source="bench")
    asgi = Asgi(create_app(homeserver=hs))
    window_19, window_99 = orjson.loads(sliding_body(19)), orjson.loads(sliding_body(99))

    async def window(body: Any, pos: str | None = None) -> tuple[float, bytes]:
        query = {"timeout": "0"} if pos is None else {"timeout": "0", "pos": pos}
        started = time.process_time()
        status, answer = await asgi("POST", SLIDING_SYNC, token="me_token", body=body, query=query)
        spent = time.process_time() - started
        assert status == 200, answer[:300]
        return spent, answer

    async def first() -> float:
        return (await window(window_19))[0]

    async def growth() -> float:
        _, opened = await window(window_19)
        return (await window(window_99, orjson.loads(opened)["pos"]))[0]

    runs = {"first": first, "growth": growth}
    for _ in range(20):  # warm-up
        for run in runs.values():
            await run()
    replies.write("ready\n")
    replies.flush()
    for line in commands:
        kind, count = line.split()
        if kind == "profile":
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            for _ in range(int(count)):
                profiler.enable()
                await first()
                profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
            replies.write("\n")
        else:
            times = [await runs[kind]() for _ in range(int(count))]
            replies.write(" ".join(f"{t:.7f}" for t in times) + "\n")
        replies.flush()


class Worker:
    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(checkout)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"worker for {self.checkout} did not start")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=100, help="answers of each kind per checkout")
    p.add_argument("--against", type=Path, help="another checkout, timed turn about")
    p.add_argument("--profile", action="store_true", help="cProfile this checkout's windows")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker is not None:
        asyncio.run(serve_worker(args.worker.resolve(), sys.stdin, sys.stdout))
        return 0
    checkouts = [BENCH.parent] + ([args.against.resolve()] if args.against else [])
    workers = [Worker(checkout) for checkout in checkouts]
    try:
        for worker in workers:
            worker.wait_ready()
        if args.profile:
            workers[0].ask(f"profile {args.rounds}")
            return 0
        times: dict[tuple[Path, str], list[float]] = {}
        for _ in range(max(1, args.rounds // BLOCK)):
            for kind in KINDS:
                for worker in workers:
                    reply = worker.ask(f"{kind} {BLOCK}")
                    times.setdefault((worker.checkout, kind), []).extend(map(float, reply.split()))
    finally:
        for worker in workers:
            worker.close()
    for kind in KINDS:
        medians = [statistics.median(times[(c, kind)]) * 1e3 for c in checkouts]
        line = f"{kind:7s} " + "   ".join(f"{c}: {m:.3f} ms" for c, m in zip(checkouts, medians))
        if len(medians) == 2:
            line += f"   ({medians[0] / medians[1]:.2f}x)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
