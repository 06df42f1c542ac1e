"""What the benchmark measures: each function runs one scenario and returns plain numbers.

Times are taken on the client with ``time.perf_counter()`` around the
request(s) measured; set-up (registering, creating rooms, seeding history)
is never inside a timed region. Every scenario runs the same client code
against mockserver and, where the issue asks for a ratio, against the floor.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from client import V3, Account, Http, register

#: A parked client that has not answered this long after the send counts as missed.
MISS_AFTER_S = 10.0
LONG_POLL_MS = 30_000
TIMELINE_20 = {"room": {"timeline": {"limit": 20}}}


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(seconds) * 1000,
        "p99_ms": percentile(seconds, 99) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000,
        "samples": len(seconds),
    }


async def timed(call: Callable[[], Awaitable[Any]], repeats: int) -> list[float]:
    """Run ``call`` ``repeats`` times in a row (after one untimed warm-up); the durations."""
    await call()
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - started)
    return durations


# -- wake-ups --------------------------------------------------------------------------------


class WakeTarget(Protocol):
    async def park(self, index: int) -> bytes: ...

    async def until_parked(self, count: int) -> int: ...

    async def trigger(self) -> str: ...

    def received(self, index: int, body: bytes, marker: str) -> bool:
        """Take in a long-poll's answer; True when it carries the change ``marker`` names."""
        ...


@dataclass
class WakeResult:
    latencies: list[float]
    missed: int
    early: int
    rounds: int
    #: The server's CPU seconds from each trigger to the round's last answer, summed.
    server_cpu: float = 0.0
    #: How many answers those seconds were spent on.
    answered: int = 0

    def summary(self) -> dict[str, Any]:
        figures: dict[str, Any] = latency_summary(self.latencies) if self.latencies else {}
        if self.answered:
            figures["server_cpu_us_per_answer"] = self.server_cpu / self.answered * 1e6
        return {**figures, "missed": self.missed, "early": self.early, "rounds": self.rounds}


async def wake_rounds(
    target: WakeTarget,
    clients: int,
    rounds: int,
    result: WakeResult | None = None,
    server_cpu: Callable[[], float | None] = lambda: None,
) -> WakeResult:
    """Park ``clients`` long-polls, wait until the server reports them parked, send, time answers.

    A wake-up's latency runs from just before the triggering request is
    sent to the moment the parked client has read its whole answer. An
    answer that arrives before the trigger, or after it without the change,
    is an early wake-up; none within :data:`MISS_AFTER_S` is a missed one.
    ``server_cpu`` (the server process's CPU seconds so far, if known) is read
    just before the trigger and after the last answer: the server's CPU per
    woken answer, the send included, is steadier than latency on a shared machine.
    """
    result = result or WakeResult([], 0, 0, 0)
    for _ in range(rounds):

        async def one(index: int) -> tuple[float, bytes]:
            body = await target.park(index)
            return time.perf_counter(), body

        tasks = [asyncio.create_task(one(i)) for i in range(clients)]
        await target.until_parked(clients)
        cpu_before = server_cpu()
        t0 = time.perf_counter()
        marker = await target.trigger()
        _, pending = await asyncio.wait(tasks, timeout=MISS_AFTER_S)
        cpu_after = server_cpu()
        if cpu_before is not None and cpu_after is not None:
            result.server_cpu += cpu_after - cpu_before
            result.answered += clients - len(pending)
        result.rounds += 1
        for task in pending:
            task.cancel()
        result.missed += len(pending)
        for index, task in enumerate(tasks):
            if task in pending:
                continue
            at, body = task.result()
            carries = target.received(index, body, marker)
            if at < t0 or not carries:
                result.early += 1
            else:
                result.latencies.append(at - t0)
        if pending:
            break  # their server-side waiters stay parked; later rounds would be skewed
    return result


class FloorWake:
    def __init__(self, http: Http) -> None:
        self.http = http

    async def park(self, index: int) -> bytes:
        _, body = await self.http.raw("GET", "/wait", params={"timeout": str(LONG_POLL_MS)})
        return body

    async def until_parked(self, count: int) -> int:
        params = {"count": str(count), "timeout": "10000"}
        data = await self.http.call("GET", "/parked", params=params)
        return int(data["parked"])

    async def trigger(self) -> str:
        # The same request (path shape, token, body) that wakes mockserver's long-polls.
        await floor_sender(self.http, WAKE_MESSAGE)()
        return ""

    def received(self, index: int, body: bytes, marker: str) -> bool:
        return body == b'{"ok":true}'


class MockserverWake:
    """``clients`` users parked on ``/v3/sync?timeout=30000`` in one room; a fresh sender talks."""

    def __init__(self, http: Http, sender: Account, listeners: list[Account], room_id: str) -> None:
        self.http = http
        self.sender = sender
        self.listeners = listeners
        self.room_id = room_id
        self.since: list[str] = []
        self.parked_path = "/_bench/parked"

    @classmethod
    async def create(cls, http: Http, clients: int, prefix: str) -> MockserverWake:
        self = cls(http, *await listening_room(http, clients, prefix))
        listeners = self.listeners
        # The control API's GET /_mock/parked when the server has it; else serve.py's own.
        status, _ = await http.raw("GET", "/_mock/parked", params={"count": "0"})
        self.parked_path = "/_mock/parked" if status == 200 else "/_bench/parked"
        # The first sync marks each user online, which others see: sync twice so that
        # every since token is current before the first long-poll parks.
        first = await gather_limited([lambda a=a: a.sync() for a in listeners])
        again = await gather_limited(
            [lambda a=a, s=s: a.sync(since=s["next_batch"]) for a, s in zip(listeners, first)]
        )
        self.since = [s["next_batch"] for s in again]
        return self

    async def park(self, index: int) -> bytes:
        account = self.listeners[index]
        params = account.sync_params(since=self.since[index], timeout=LONG_POLL_MS)
        _, body = await self.http.raw("GET", f"{V3}/sync", token=account.token, params=params)
        return body

    async def until_parked(self, count: int) -> int:
        params = {"count": str(count), "timeout": "10000"}
        data = await self.http.call("GET", self.parked_path, params=params)
        return int(data["total"] if self.parked_path == "/_mock/parked" else data["parked"])

    async def trigger(self) -> str:
        return await self.sender.send(self.room_id, WAKE_MESSAGE["body"])

    def received(self, index: int, body: bytes, marker: str) -> bool:
        data = orjson.loads(body)
        self.since[index] = data.get("next_batch", self.since[index])
        room = data.get("rooms", {}).get("join", {}).get(self.room_id)
        if room is None:
            return False
        return any(e.get("event_id") == marker for e in room["timeline"]["events"])


async def listening_room(
    http: Http, clients: int, prefix: str
) -> tuple[Account, list[Account], str]:
    """A fresh sender's public room with ``clients`` fresh users joined: (sender, them, room)."""
    sender = await register(http, f"{prefix}sender")
    room_id = await sender.create_room(preset="public_chat")
    listeners = await gather_limited(
        [lambda i=i: register(http, f"{prefix}l{i}") for i in range(clients)]
    )
    await gather_limited([lambda a=a: a.join(room_id) for a in listeners])
    return sender, listeners, room_id


async def gather_limited(
    calls: Sequence[Callable[[], Awaitable[Any]]], limit: int = 16
) -> list[Any]:
    """Run set-up calls concurrently, at most ``limit`` in flight; results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    return await asyncio.gather(*(run(c) for c in calls))


# -- request rates ------------------------------------------------------------------------------


async def request_rate(senders: list[Callable[[], Awaitable[Any]]], per_sender: int) -> float:
    """Requests per second with each sender sending ``per_sender`` requests back to back."""

    async def loop(send: Callable[[], Awaitable[Any]]) -> None:
        for _ in range(per_sender):
            await send()

    started = time.perf_counter()
    await asyncio.gather(*(loop(s) for s in senders))
    return len(senders) * per_sender / (time.perf_counter() - started)


MESSAGE = {"msgtype": "m.text", "body": "a message of ordinary length, sent by the benchmark"}
WAKE_MESSAGE = {"msgtype": "m.text", "body": "wake up"}


_floor_txn = itertools.count()


def floor_sender(http: Http, content: dict[str, Any] = MESSAGE) -> Callable[[], Awaitable[Any]]:
    async def send() -> Any:
        path = f"{V3}/rooms/!floor:localhost/send/m.room.message/f{next(_floor_txn)}"
        return await http.call("PUT", path, json=content, token="floor")

    return send


def mockserver_sender(account: Account, room_id: str) -> Callable[[], Awaitable[Any]]:
    async def send() -> Any:
        return await account.http.call(
            "PUT", account.send_path(room_id), json=MESSAGE, token=account.token
        )

    return send


# -- seeding -------------------------------------------------------------------------------------


async def seed(http: Http, sender: Account, room_id: str, count: int) -> dict[str, Any]:
    """Store ``count`` messages in-process (see ``serve.py``): fast, and the same store path."""
    body = {"room_id": room_id, "sender": sender.user_id, "count": count}
    return await http.call("POST", "/_bench/seed", json=body)  # type: ignore[no-any-return]


# -- syncs ---------------------------------------------------------------------------------------


@dataclass
class SyncSubject:
    """A reader alone in one room (with a filter of timeline limit 20) and its sender."""

    reader: Account
    sender: Account
    room_id: str
    filter_id: str


@dataclass
class SyncFigures:
    initial: list[float]
    incremental: list[float]


async def sync_figures(
    subjects: Sequence[SyncSubject],
    repeats: int,
    floor_get: Callable[[], Awaitable[Any]],
) -> tuple[list[SyncFigures], list[float]]:
    """Initial syncs (timeline limit 20), then incremental syncs after one new event each.

    The subjects take turns, sync by sync, and each turn ends with one floor
    ``GET``: rooms compared with each other (a room of 20,000 events and one
    of 2,000) are timed at the same moments, under the same load, and each
    figure can be set against the floor of its moment. Returns each
    subject's figures and the floor's round trips.
    """

    async def floor_time() -> float:
        started = time.perf_counter()
        await floor_get()
        return time.perf_counter() - started

    for subject in subjects:
        check = await subject.reader.sync(filter_id=subject.filter_id)
        timeline = check["rooms"]["join"][subject.room_id]["timeline"]
        assert len(timeline["events"]) == 20 and timeline["limited"], "unexpected initial sync"
    await floor_get()
    figures = [SyncFigures([], []) for _ in subjects]
    floor_times = []

    def turn(number: int) -> list[int]:
        """The subjects' order in a turn: reversed every other turn, so none is always first
        after the floor's request (the first after a pause tends to be the slower)."""
        order = list(range(len(subjects)))
        return order if number % 2 == 0 else order[::-1]

    for number in range(repeats):
        for index in turn(number):
            subject, figure = subjects[index], figures[index]
            started = time.perf_counter()
            await subject.reader.sync(filter_id=subject.filter_id)
            figure.initial.append(time.perf_counter() - started)
        floor_times.append(await floor_time())

    since = [
        (await subject.reader.sync(filter_id=subject.filter_id))["next_batch"]
        for subject in subjects
    ]
    for round_ in range(repeats + 1):
        for index in turn(round_):
            subject, figure = subjects[index], figures[index]
            event_id = await subject.sender.send(subject.room_id)
            started = time.perf_counter()
            data = await subject.reader.sync(since=since[index], filter_id=subject.filter_id)
            elapsed = time.perf_counter() - started
            events = data["rooms"]["join"][subject.room_id]["timeline"]["events"]
            assert [e["event_id"] for e in events] == [event_id], "unexpected incremental sync"
            since[index] = data["next_batch"]
            if round_:  # the first round is a warm-up
                figure.incremental.append(elapsed)
        if round_:
            floor_times.append(await floor_time())
    return figures, floor_times


async def many_rooms_initial(
    http: Http, prefix: str, rooms: int, events: int, repeats: int
) -> list[float]:
    sender = await register(http, f"{prefix}sender")
    reader = await register(http, f"{prefix}reader")
    room_ids = [await sender.create_room(preset="public_chat") for _ in range(rooms)]
    for room_id in room_ids:
        await reader.join(room_id)
        await seed(http, sender, room_id, events)
    filter_id = await reader.upload_filter(TIMELINE_20)

    async def initial() -> dict[str, Any]:
        return await reader.sync(filter_id=filter_id)

    check = await initial()
    assert len(check["rooms"]["join"]) == rooms, "unexpected initial sync"
    return await timed(initial, repeats)
