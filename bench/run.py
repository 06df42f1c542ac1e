"""``make bench``: mockserver against a floor app on the same uvicorn, side by side.

Starts its own servers on 127.0.0.1 (each pinned to CPU 0 where the machine
has two or more; this client runs on CPU 1), registers its own users,
measures every figure of issue #6, prints a table and writes
``bench/results/bench-<time>.json`` (and ``latest.json``). ``--quick`` runs
the same scenarios with small counts, to check the benchmark itself;
``--wake-only`` only the wake-up figures (with each server's CPU per woken
answer, read from ``/proc/<pid>/schedstat``), in about twenty seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from client import BENCH_DIR, Http, ServerProcess, pin, register, serve_argv, spawn
from big_account import QUICK as BIG_QUICK, BigSizes, Row, Target, big_rows, measure_servers
from sliding import SlidingWake, first_window
from scenarios import (
    TIMELINE_20,
    FloorWake,
    MockserverWake,
    SyncSubject,
    WakeResult,
    floor_sender,
    latency_summary,
    many_rooms_initial,
    mockserver_sender,
    request_rate,
    seed,
    sync_figures,
    timed,
    wake_rounds,
)

ROOT = BENCH_DIR.parent
DEMO_FIXTURE = ROOT / "fixtures" / "demo.json"


@dataclass(frozen=True)
class Sizes:
    wake_clients: tuple[int, ...] = (1, 50, 200)
    #: Rounds per client count (one message each): 400 samples or more per count, and
    #: enough rounds with many parked (each gives one value of what p50 measures there:
    #: the time to answer half of them) that one slow moment of the machine moves little.
    wake_rounds: tuple[int, ...] = (400, 48, 24)
    sends: int = 2000
    concurrent_sends: int = 500
    sync_repeats: int = 100
    small_room: int = 2_000
    big_room: int = 20_000
    many_rooms: int = 50
    many_room_events: int = 50
    memory_events: int = 100_000
    memory_rooms: int = 10
    media_files: int = 32
    media_file_bytes: int = 1024 * 1024
    starts: int = 5
    resets: int = 50
    floor_requests: int = 1000
    #: Sliding sync: the account whose first window is timed, and the woken long-polls.
    sliding_rooms: int = 1000
    sliding_repeats: int = 30
    sliding_wake_clients: tuple[int, ...] = (1, 50)
    sliding_wake_rounds: tuple[int, ...] = (200, 24)
    #: The big account (fixtures/big_account.json; smaller counts: the same shape scaled).
    big: BigSizes = BigSizes()


QUICK = Sizes(
    wake_clients=(1, 5, 20),
    wake_rounds=(4, 4, 4),
    sends=40,
    concurrent_sends=20,
    sync_repeats=5,
    small_room=200,
    big_room=1_000,
    many_rooms=5,
    many_room_events=30,
    memory_events=2_000,
    memory_rooms=2,
    media_files=4,
    media_file_bytes=256 * 1024,
    starts=1,
    resets=3,
    floor_requests=50,
    sliding_rooms=25,
    sliding_repeats=3,
    sliding_wake_clients=(1, 5),
    sliding_wake_rounds=(3, 3),
    big=BIG_QUICK,
)

SERVER_CPU: int | None = None
CLIENT_CPU: int | None = None


def log(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# -- server start ---------------------------------------------------------------------------------


async def start_to_first_answer(argv: list[str]) -> float:
    server, started = await spawn(argv, SERVER_CPU)
    http = Http(server.base_url)
    try:
        await http.call("GET", "/_matrix/client/versions")
        return time.perf_counter() - started
    finally:
        await http.close()
        await server.stop()


async def measure_starts(sizes: Sizes) -> dict[str, Any]:
    argv = [sys.executable, "-m", "mockserver", "--port", "0", "--log-level", "warning"]
    fixture = DEMO_FIXTURE.exists()
    if fixture:
        argv += ["--fixture", str(DEMO_FIXTURE)]
    mock = [await start_to_first_answer(argv) for _ in range(sizes.starts)]
    floor = [await start_to_first_answer(serve_argv("floor")) for _ in range(sizes.starts)]
    return {
        "fixture": str(DEMO_FIXTURE.relative_to(ROOT)) if fixture else None,
        "mockserver_s": statistics.median(mock),
        "floor_s": statistics.median(floor),
    }


# -- floor and mockserver, side by side -----------------------------------------------------------

#: Each rate and wake-up figure is measured in this many alternating floor/mockserver
#: blocks, so that load from elsewhere on the machine falls on both alike.
BLOCKS = 4
#: Wake-ups alternate more often (a round with 200 parked is a fraction of a second).
WAKE_BLOCKS = 24


async def measure_side_by_side(
    floor_server: ServerProcess, mock_server: ServerProcess, sizes: Sizes
) -> dict[str, Any]:
    floor, mock = Http(floor_server.base_url), Http(mock_server.base_url)
    try:
        results: dict[str, Any] = {"floor": {}, "mockserver": {}}
        log("floor: request latency")
        floor_get = await timed(lambda: floor.call("GET", "/_matrix/client/v3/sync"), sizes.floor_requests)
        floor_post = await timed(lambda: floor.call("POST", "/_mock/reset", json={}), sizes.floor_requests)

        log("send rates")
        alice = await register(mock, "send_alice")
        room_id = await alice.create_room(preset="public_chat")
        senders = [await register(mock, f"send_{i}") for i in range(4)]
        shared = await senders[0].create_room(preset="public_chat")
        for account in senders[1:]:
            await account.join(shared)
        plans = {
            "sequential": (
                [floor_sender(floor)],
                [mockserver_sender(alice, room_id)],
                sizes.sends,
            ),
            "concurrent_4": (
                [floor_sender(floor) for _ in range(4)],
                [mockserver_sender(a, shared) for a in senders],
                sizes.concurrent_sends,
            ),
        }
        for kind, (floor_senders, mock_senders, count) in plans.items():
            for send in [*floor_senders, *mock_senders]:
                await send()  # warm-up: one connection each
            seconds = {"floor": 0.0, "mockserver": 0.0}
            per_block = max(1, count // BLOCKS)
            for _ in range(BLOCKS):
                for name, group in (("floor", floor_senders), ("mockserver", mock_senders)):
                    rate = await request_rate(group, per_block)
                    seconds[name] += len(group) * per_block / rate
            for name in seconds:
                total = len(floor_senders) * per_block * BLOCKS
                results[name].setdefault("send_rate", {})[kind] = total / seconds[name]

        await measure_wakeups(floor, mock, sizes, results, (floor_server, mock_server))

        results["mockserver"].update(await measure_syncs(mock, floor, sizes))
        results["mockserver"]["sliding"] = await measure_sliding(mock, floor, sizes)
        log("floor: request latency, again")
        floor_get += await timed(lambda: floor.call("GET", "/_matrix/client/v3/sync"), sizes.floor_requests)
        floor_post += await timed(lambda: floor.call("POST", "/_mock/reset", json={}), sizes.floor_requests)
        results["floor"]["get"] = latency_summary(floor_get)
        results["floor"]["post"] = latency_summary(floor_post)
        return results
    finally:
        await floor.close()
        await mock.close()


async def measure_wakeups(
    floor: Http,
    mock: Http,
    sizes: Sizes,
    results: dict[str, Any],
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    """The wake-up figures, floor and mockserver taking turns, into ``results``; with each
    server's CPU per woken answer (``servers``: the floor's and mockserver's processes)."""
    floor_cpu, mock_cpu = (server.cpu_seconds for server in servers)
    for clients, rounds in zip(sizes.wake_clients, sizes.wake_rounds):
        log(f"wake-ups with {clients} parked")
        mock_target = await MockserverWake.create(mock, clients, f"wake{clients}_")
        floor_target = FloorWake(floor)
        floor_wake = mock_wake = None
        blocks = min(rounds, WAKE_BLOCKS)
        per_block = max(1, rounds // blocks)
        for _ in range(blocks):
            floor_wake = await wake_rounds(floor_target, clients, per_block, floor_wake, floor_cpu)
            mock_wake = await wake_rounds(mock_target, clients, per_block, mock_wake, mock_cpu)
        assert floor_wake is not None and mock_wake is not None
        results["floor"].setdefault("wake", {})[clients] = floor_wake.summary()
        results["mockserver"].setdefault("wake", {})[clients] = mock_wake.summary()


async def measure_wakeups_only(sizes: Sizes) -> dict[str, Any]:
    """``--wake-only``: fresh servers, the wake-up figures and nothing else."""
    results: dict[str, Any] = {"machine": machine(), "floor": {}, "mockserver": {}}
    floor_server, _ = await spawn(serve_argv("floor"), SERVER_CPU)
    try:
        mock_server, _ = await spawn(serve_argv("mockserver"), SERVER_CPU)
        floor, mock = Http(floor_server.base_url), Http(mock_server.base_url)
        try:
            await measure_wakeups(floor, mock, sizes, results, (floor_server, mock_server))
        finally:
            await floor.close()
            await mock.close()
            await mock_server.stop()
    finally:
        await floor_server.stop()
    return results


async def measure_syncs(http: Http, floor: Http, sizes: Sizes) -> dict[str, Any]:
    async def subject(prefix: str, events: int) -> SyncSubject:
        sender = await register(http, f"{prefix}_sender")
        reader = await register(http, f"{prefix}_reader")
        room_id = await sender.create_room(preset="public_chat")
        await reader.join(room_id)
        filter_id = await reader.upload_filter(TIMELINE_20)
        seeded.append(await seed(http, sender, room_id, events))
        return SyncSubject(reader, sender, room_id, filter_id)

    async def floor_get() -> Any:
        return await floor.call("GET", "/_matrix/client/v3/sync")

    log(f"mockserver: syncs, one room of {sizes.small_room} events")
    seeded: list[dict[str, Any]] = []
    grown = await subject("history", sizes.small_room)
    # A second room that stays at the small size, timed turn about with the grown one.
    alongside = await subject("alongside", sizes.small_room)
    (small,), small_floor = await sync_figures([grown], sizes.sync_repeats, floor_get)
    log(f"mockserver: syncs, the same room at {sizes.big_room} events")
    # The incremental rounds above added a few events; top up to the round number.
    more = sizes.big_room - sizes.small_room - (sizes.sync_repeats + 2)
    seeded.append(await seed(http, grown.sender, grown.room_id, more))
    (big, beside), big_floor = await sync_figures([grown, alongside], sizes.sync_repeats, floor_get)
    log(f"mockserver: initial sync, {sizes.many_rooms} rooms of {sizes.many_room_events}")
    many = await many_rooms_initial(
        http, "many_", sizes.many_rooms, sizes.many_room_events, sizes.sync_repeats
    )
    return {
        "seed_rate": sum(s["count"] for s in seeded) / sum(s["seconds"] for s in seeded),
        "initial_sync": {
            "room_small": latency_summary(small.initial),
            "room_big": latency_summary(big.initial),
            "room_alongside": latency_summary(beside.initial),
            "many_rooms": latency_summary(many),
        },
        "incremental_sync": {
            "room_small": latency_summary(small.incremental),
            "room_big": latency_summary(big.incremental),
            "room_alongside": latency_summary(beside.incremental),
        },
        "floor_get": {
            "room_small": latency_summary(small_floor),
            "room_big": latency_summary(big_floor),
            "room_alongside": latency_summary(big_floor),
        },
    }


async def measure_sliding(http: Http, floor: Http, sizes: Sizes) -> dict[str, Any]:
    """Sliding sync: a 1,000-room account's first window against v3 ``/sync`` of the same
    account, and woken long-polls against the floor and v3 ``/sync`` woken the same way."""
    log(f"sliding sync: first window of {sizes.sliding_rooms} rooms")
    window = await first_window(http, "sliding_", sizes.sliding_rooms, sizes.sliding_repeats)
    wake: dict[int, Any] = {}
    for clients, rounds in zip(sizes.sliding_wake_clients, sizes.sliding_wake_rounds):
        log(f"sliding sync: wake-ups with {clients} parked")
        targets = {
            "sliding": await SlidingWake.create(http, clients, f"swake{clients}_"),
            "v3": await MockserverWake.create(http, clients, f"vwake{clients}_"),
            "floor": FloorWake(floor),
        }
        found: dict[str, WakeResult | None] = dict.fromkeys(targets)
        blocks = min(rounds, WAKE_BLOCKS)
        for _ in range(blocks):
            for name, target in targets.items():
                found[name] = await wake_rounds(target, clients, max(1, rounds // blocks), found[name])
        wake[clients] = {name: result.summary() for name, result in found.items() if result}
    return {
        "first_window": {name: latency_summary(times) for name, times in window.items()},
        "wake": wake,
    }


async def measure_reset(sizes: Sizes) -> dict[str, Any]:
    """``POST /_mock/reset`` after a small test's world (falls back to ``/_bench/reset``)."""
    server, _ = await spawn(serve_argv("mockserver"), SERVER_CPU)
    http = Http(server.base_url)
    try:
        status, _ = await http.raw("POST", "/_mock/reset", body=b"{}")
        path = "/_mock/reset" if status == 200 else "/_bench/reset"
        durations = []
        for _ in range(sizes.resets):
            alice = await register(http, "alice")
            bob = await register(http, "bob")
            room_id = await alice.create_room(preset="public_chat", name="a test")
            await bob.join(room_id)
            await seed(http, alice, room_id, 20)
            await bob.sync()
            started = time.perf_counter()
            await http.call("POST", path, json={})
            durations.append(time.perf_counter() - started)
        return {"endpoint": path, **latency_summary(durations)}
    finally:
        await http.close()
        await server.stop()


async def measure_memory(sizes: Sizes) -> dict[str, Any]:
    """Resident memory growth while storing ``memory_events`` messages, per event."""
    server, _ = await spawn(serve_argv("mockserver"), SERVER_CPU)
    http = Http(server.base_url)
    try:
        sender = await register(http, "memory_sender")
        rooms = [await sender.create_room(preset="public_chat") for _ in range(sizes.memory_rooms)]
        await seed(http, sender, rooms[0], 10)  # warm every code path before the baseline
        before = server.rss_bytes()
        json_bytes = 0
        per_room = sizes.memory_events // sizes.memory_rooms
        for room_id in rooms:
            json_bytes += (await seed(http, sender, room_id, per_room))["json_bytes"]
        after = server.rss_bytes()
        stored = per_room * len(rooms)
        per_event = (after - before) / stored
        return {
            "events": stored,
            "rss_before_mib": before / 2**20,
            "rss_after_mib": after / 2**20,
            "bytes_per_event": per_event,
            "json_bytes_per_event": json_bytes / stored,
            "overhead_bytes_per_event": per_event - json_bytes / stored,
        }
    finally:
        await http.close()
        await server.stop()


async def measure_media_memory(sizes: Sizes) -> dict[str, Any]:
    """Resident memory growth per stored media byte, mockserver beside the floor.

    Each side gets ``media_files`` uploads of ``media_file_bytes`` (after one to warm up);
    the floor keeps each body as Starlette reads it, the least an app can hold.
    """
    results: dict[str, Any] = {"files": sizes.media_files, "file_bytes": sizes.media_file_bytes}
    for side in ("mockserver", "floor"):
        server, _ = await spawn(serve_argv(side), SERVER_CPU)
        http = Http(server.base_url)
        try:
            token = (await register(http, "media_uploader")).token if side == "mockserver" else None
            path = "/_matrix/media/v3/upload"
            for index in range(sizes.media_files + 1):
                if index == 1:
                    before = server.rss_bytes()
                content = bytes([index % 256]) * sizes.media_file_bytes
                status, data = await http.raw("POST", path, body=content, token=token)
                if status != 200:
                    raise RuntimeError(f"{side}: upload {index}: {status} {data[:200]!r}")
            after = server.rss_bytes()
            stored = sizes.media_files * sizes.media_file_bytes
            results[side] = {
                "rss_before_mib": before / 2**20,
                "rss_after_mib": after / 2**20,
                "bytes_per_stored_byte": (after - before) / stored,
            }
        finally:
            await http.close()
            await server.stop()
    return results


# -- report -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": model or platform.processor(),
        "cpus": os.cpu_count(),
        "pinned": "split" if SERVER_CPU is not None else "none",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uvicorn": metadata.version("uvicorn"),
        "starlette": metadata.version("starlette"),
        "commit": commit,
    }


def wake_rows(r: dict[str, Any], sizes: Sizes, target: Target) -> list[Row]:
    """The wake-up rows: p50 (the issue's target: within 1.3x the floor), p99, the server's
    CPU per woken answer (the send included), missed/early."""
    rows: list[Row] = []
    mock, floor = r["mockserver"], r["floor"]
    for clients in sizes.wake_clients:
        m, f = mock["wake"][clients], floor["wake"][clients]
        ratio = m["p50_ms"] / f["p50_ms"]
        clean = m["missed"] == 0 and m["early"] == 0
        rows.append(
            (
                f"wake-up p50, {clients} parked",
                f"{m['p50_ms']:.2f} ms",
                f"{f['p50_ms']:.2f} ms",
                f"{ratio:.2f}x",
                target(f"wake-up p50 ratio, {clients} parked", ratio, "<= 1.3x", ratio <= 1.3),
                "",
            )
        )
        rows.append(
            (
                f"wake-up p99, {clients} parked",
                f"{m['p99_ms']:.2f} ms",
                f"{f['p99_ms']:.2f} ms",
                f"{m['p99_ms'] / f['p99_ms']:.2f}x",
                "",
                "",
            )
        )
        if "server_cpu_us_per_answer" in m and "server_cpu_us_per_answer" in f:
            m_cpu, f_cpu = m["server_cpu_us_per_answer"], f["server_cpu_us_per_answer"]
            rows.append(
                (
                    f"server CPU per woken answer, {clients} parked",
                    f"{m_cpu:.0f} us",
                    f"{f_cpu:.0f} us",
                    f"{m_cpu / f_cpu:.2f}x",
                    "",
                    "",
                )
            )
        rows.append(
            (
                f"missed / early, {clients} parked",
                f"{m['missed']} / {m['early']} of {m['rounds'] * clients}",
                f"{f['missed']} / {f['early']}",
                "",
                target(
                    f"no missed or early wake-ups, {clients} parked",
                    m["missed"] + m["early"],
                    "0 / 0",
                    clean,
                ),
                "",
            )
        )
    return rows


def recorder(targets: list[dict[str, Any]]) -> Target:
    """A ``target`` cell maker that also records each target in ``targets``."""

    def target(name: str, value: float, limit: str, met: bool) -> str:
        targets.append({"figure": name, "value": round(value, 4), "target": limit, "met": met})
        return f"{limit} {'ok' if met else 'MISSED'}"

    return target


def build_rows(r: dict[str, Any], sizes: Sizes) -> tuple[list[Row], list[dict[str, Any]]]:
    rows: list[Row] = []
    targets: list[dict[str, Any]] = []
    mock, floor = r["mockserver"], r["floor"]
    target = recorder(targets)
    rows.extend(wake_rows(r, sizes, target))
    for kind, label in (("sequential", "sequential"), ("concurrent_4", "4 concurrent senders")):
        m, f = mock["send_rate"][kind], floor["send_rate"][kind]
        rows.append(
            (
                f"send rate, {label}",
                f"{m:.0f} /s",
                f"{f:.0f} /s",
                f"{m / f:.2f}x",
                target(f"send rate ratio, {label}", m / f, ">= 0.5x", m / f >= 0.5),
                "",
            )
        )
    labels = {
        "room_small": f"1 room x {sizes.small_room} events",
        "room_big": f"1 room x {sizes.big_room} events",
        "room_alongside": f"another room x {sizes.small_room}, alongside",
        "many_rooms": f"{sizes.many_rooms} rooms x {sizes.many_room_events} events",
    }
    # Each room size's syncs were timed next to floor GETs of their own moment; the many
    # rooms' ones against the floor's GETs at the start and the end of the run.
    floor_at = {**mock["floor_get"], "many_rooms": floor["get"]}
    for kind in ("initial_sync", "incremental_sync"):
        for key, figures in mock[kind].items():
            floor_ms = floor_at[key]["p50_ms"]
            rows.append(
                (
                    f"{kind.replace('_', ' ')}, {labels[key]}",
                    f"{figures['p50_ms']:.2f} ms",
                    f"{floor_ms:.2f} ms",
                    f"{figures['p50_ms'] / floor_ms:.2f}x",
                    "",
                    "",
                )
            )
        # History-independence: the grown room against the small one timed turn about.
        growth = mock[kind]["room_big"]["p50_ms"] / mock[kind]["room_alongside"]["p50_ms"]
        rows.append(
            (
                f"{kind.replace('_', ' ')}, {sizes.big_room} / {sizes.small_room} alongside",
                f"{growth:.2f}x",
                "",
                "",
                target(f"{kind} growth {sizes.big_room} vs {sizes.small_room}", growth, "<= 1.2x", growth <= 1.2),
                "",
            )
        )
    sliding = mock["sliding"]
    first = sliding["first_window"]
    rows.append(
        (
            f"sliding sync first window [[0,19]], {sizes.sliding_rooms} rooms",
            f"{first['sliding']['p50_ms']:.2f} ms",
            f"{first['v3']['p50_ms']:.2f} ms (v3)",
            f"{first['sliding']['p50_ms'] / first['v3']['p50_ms']:.2f}x",
            "",
            "",
        )
    )
    for clients in sizes.sliding_wake_clients:
        woken = sliding["wake"][clients]
        s_ms, v_ms, f_ms = (woken[k]["p50_ms"] for k in ("sliding", "v3", "floor"))
        clean = all(woken[k]["missed"] == 0 and woken[k]["early"] == 0 for k in ("sliding", "v3"))
        rows.append(
            (
                f"sliding sync wake-up p50, {clients} parked (v3 {v_ms:.2f} ms)",
                f"{s_ms:.2f} ms",
                f"{f_ms:.2f} ms",
                f"{s_ms / f_ms:.2f}x",
                target(
                    f"sliding sync: no missed or early wake-ups, {clients} parked",
                    sum(woken[k]["missed"] + woken[k]["early"] for k in ("sliding", "v3")),
                    "0 / 0",
                    clean,
                ),
                "",
            )
        )
    start = r["start"]
    rows.append(
        (
            f"start to first /versions{' (' + start['fixture'] + ')' if start['fixture'] else ' (no fixture)'}",
            f"{start['mockserver_s'] * 1000:.0f} ms",
            f"{start['floor_s'] * 1000:.0f} ms",
            f"{start['mockserver_s'] / start['floor_s']:.2f}x",
            target("start to first answer", start["mockserver_s"], "< 1 s", start["mockserver_s"] < 1),
            "",
        )
    )
    reset = r["reset"]
    floor_post = floor["post"]["p50_ms"]
    rows.append(
        (
            f"reset ({reset['endpoint']})",
            f"{reset['p50_ms']:.2f} ms",
            f"{floor_post:.2f} ms",
            f"{reset['p50_ms'] / floor_post:.2f}x",
            target("per-test reset", reset["p50_ms"], "< 5 ms", reset["p50_ms"] < 5),
            "",
        )
    )
    memory = r["memory"]
    rows.append(
        (
            f"memory per event beyond its JSON ({memory['events']} events)",
            f"{memory['overhead_bytes_per_event']:.0f} B",
            "",
            "",
            target(
                "memory overhead per event",
                memory["overhead_bytes_per_event"],
                "< 1024 B",
                memory["overhead_bytes_per_event"] < 1024,
            ),
            "",
        )
    )
    rows.append(
        (
            "  (RSS after / per event / JSON per event)",
            f"{memory['rss_after_mib']:.0f} MiB / {memory['bytes_per_event']:.0f} B / "
            f"{memory['json_bytes_per_event']:.0f} B",
            "",
            "",
            "",
            "",
        )
    )
    media = r["media_memory"]
    mock_media = media["mockserver"]["bytes_per_stored_byte"]
    floor_media = media["floor"]["bytes_per_stored_byte"]
    rows.append(
        (
            f"memory per stored media byte ({media['files']} x {media['file_bytes'] // 1024} KiB)",
            f"{mock_media:.2f} B",
            f"{floor_media:.2f} B",
            f"{mock_media / floor_media:.2f}x" if floor_media > 0 else "",
            target("memory per stored media byte", mock_media, "<= 1.1 B", mock_media <= 1.1),
            "",
        )
    )
    rows.extend(big_rows(r["big_account"], target))
    return rows, targets


def render(rows: list[Row]) -> str:
    header: Row = ("figure", "mockserver", "floor", "ratio", "target", "")
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    lines = []
    for index, row in enumerate(table):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


async def main_async(sizes: Sizes, profile: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "sizes": asdict(sizes)}
    log("start times")
    results["start"] = await measure_starts(sizes)
    floor_server, _ = await spawn(serve_argv("floor"), SERVER_CPU)
    try:
        mock_server, _ = await spawn(serve_argv("mockserver"), SERVER_CPU)
        profiler = start_profiler(mock_server, profile) if profile is not None else None
        try:
            results.update(await measure_side_by_side(floor_server, mock_server, sizes))
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                await asyncio.to_thread(profiler.wait, 60)
            await mock_server.stop()
    finally:
        await floor_server.stop()
    log("reset")
    results["reset"] = await measure_reset(sizes)
    log(f"memory, {sizes.memory_events} events")
    results["memory"] = await measure_memory(sizes)
    log(f"memory, {sizes.media_files} uploads of {sizes.media_file_bytes} bytes")
    results["media_memory"] = await measure_media_memory(sizes)
    log(f"big account, {sizes.big.rooms} rooms")
    results["big_account"] = await measure_big(sizes)
    return results


async def measure_big(sizes: Sizes) -> dict[str, Any]:
    return await measure_servers(sizes.big, SERVER_CPU)


def start_profiler(server: ServerProcess, output: Path) -> subprocess.Popen[bytes]:
    """py-spy (the ``bench`` extra) sampling mockserver through the side-by-side figures."""
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise SystemExit("--profile needs py-spy: pip install -e '.[bench]'")
    log(f"profiling mockserver into {output}")
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(server.pid), "--rate", "250", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small counts: check the bench runs")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="results folder")
    p.add_argument(
        "--pin",
        choices=["none", "split"],
        default="none",
        help="split: servers on CPU 0, this client on CPU 1; none: the OS schedules",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="record a py-spy flame graph of mockserver (SVG) next to the results",
    )
    p.add_argument(
        "--wake-only",
        action="store_true",
        help="only the wake-up figures (1, 50 and 200 parked), on fresh servers",
    )
    args = p.parse_args()
    global SERVER_CPU, CLIENT_CPU
    if args.pin == "split" and (os.cpu_count() or 1) >= 2:
        SERVER_CPU, CLIENT_CPU = 0, 1
    sizes = QUICK if args.quick else Sizes()
    pin(0, CLIENT_CPU)
    started = time.perf_counter()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    args.out.mkdir(parents=True, exist_ok=True)
    profile = args.out / f"profile-{stamp}.svg" if args.profile else None
    if args.wake_only:
        results = asyncio.run(measure_wakeups_only(sizes))
        targets: list[dict[str, Any]] = []
        rows = wake_rows(results, sizes, recorder(targets))
    else:
        results = asyncio.run(main_async(sizes, profile))
        rows, targets = build_rows(results, sizes)
    results["targets"] = targets
    results["seconds"] = time.perf_counter() - started
    table = render(rows)
    print(table)
    m = results["machine"]
    print(
        f"\n{m['cpu']} x{m['cpus']}, Python {m['python']}, uvicorn {m['uvicorn']}, "
        f"starlette {m['starlette']}; {results['seconds']:.0f} s"
    )
    payload = orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    kind = "-wake" if args.wake_only else ""
    for name in (f"bench-{stamp}{kind}{'-quick' if args.quick else ''}.json", "latest.json"):
        (args.out / name).write_bytes(payload)
    print(f"results: {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
