"""The big account (``fixtures/big_account.json``): load, memory, and its big answers.

Each answer of mockserver's is timed side by side with the same-bytes floor: the
floor app serving that very answer, pre-encoded, through the same uvicorn
(``GET /same_bytes``), so the ratio is what mockserver adds to moving those bytes.
``--quick`` loads the same shape, scaled down.

Beside the big account's server run two more mockservers. One holds the same
account with 10 rooms: the two first windows are timed turn about (is the window
independent of the account's size?). The other is the *small world*: the wake-up
with 200 parked (200 fresh users in a fresh room, as ``bench/run.py`` times it) is
timed there, on the big account (200 members of its crowd room) and on the floor,
turn about.

``python bench/big_account.py [--quick]`` runs this part alone and prints its rows.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import time
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from client import BENCH_DIR, Account, Http, ServerProcess, serve_argv, spawn
from scenarios import (
    FloorWake,
    MockserverWake,
    WakeResult,
    WakeTarget,
    gather_limited,
    latency_summary,
    wake_rounds,
)

FIXTURE = BENCH_DIR.parent / "fixtures" / "big_account.json"
V3 = "/_matrix/client/v3"
SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ME = "@me:localhost"
CROWD = "!crowd:localhost"
LAZY_TIMELINE_1 = {"room": {"timeline": {"limit": 1}, "state": {"lazy_load_members": True}}}
#: A filter that leaves every room out: a cheap first sync for a big account.
NO_ROOMS = orjson.dumps({"room": {"rooms": []}}).decode()
#: Wake-ups alternate between the targets this often (as bench/run.py's WAKE_BLOCKS).
WAKE_BLOCKS = 24


@dataclass(frozen=True)
class BigSizes:
    rooms: int = 1000
    crowd: int = 10_000
    history: int = 100_000
    repeats: int = 5
    #: The account the first window is compared with (the same shape, fewer rooms).
    few_rooms: int = 10
    wake_clients: int = 200
    wake_rounds: int = 24


QUICK = BigSizes(rooms=20, crowd=200, history=2_000, repeats=2, few_rooms=3, wake_clients=20, wake_rounds=4)


def scaled(rooms: int, crowd: int, history: int) -> dict[str, Any]:
    """big_account.json, or (``rooms`` < 1000) the same shape with fewer rooms, members, events."""
    document: dict[str, Any] = orjson.loads(FIXTURE.read_bytes())
    if rooms >= 1000:
        return document
    document = copy.deepcopy(document)
    document["users"][2]["generate"]["count"] = crowd + 2
    ordinary, crowd_room, history_room = document["rooms"][:3]
    ordinary["repeat"] = rooms
    crowd_room["members"][1]["generate"]["count"] = crowd - 2
    crowd_room["timeline"][0]["generate"]["senders"] = ["@user1:localhost", "@user2:localhost"]
    history_room["timeline"][0]["generate"]["count"] = history
    return document


#: The filters of matrix-rust-sdk's room list ("all_rooms").
RUST_SDK_FILTERS = {"is_invite": False, "is_tombstoned": False, "not_room_types": ["m.space"]}


def sliding_body(end: int, filters: dict[str, Any] | None = None) -> bytes:
    room_list: dict[str, Any] = {
        "ranges": [[0, end]],
        "timeline_limit": 1,
        "required_state": [["m.room.name", ""], ["m.room.member", "$LAZY"]],
    }
    if filters is not None:
        room_list["filters"] = filters
    return orjson.dumps({"lists": {"all_rooms": room_list}})


async def login(http: Http, user_id: str) -> Account:
    """A session for a scenario user (generated users have no password): the control API's."""
    data = await http.call("POST", "/_mock/act/login", json={"user_id": user_id})
    return Account(http, user_id, data["access_token"])


class CrowdWake(MockserverWake):
    """``clients`` members of the big account's crowd room parked on ``/v3/sync``:
    @me, @other and @user1... (the first 20 are in 1,000 rooms or more, the others in
    the crowd room only); another member talks there."""

    @classmethod
    async def create(cls, http: Http, clients: int, prefix: str = "") -> CrowdWake:
        named = {ME: "me_token", "@other:localhost": "other_token"}
        users = [*named, *(f"@user{n}:localhost" for n in range(1, clients - 1))]
        listeners = await gather_limited(
            [
                lambda u=u: (
                    _given(Account(http, u, named[u])) if u in named else login(http, u)
                )
                for u in users
            ]
        )
        sender = await login(http, f"@user{clients - 1}:localhost")
        self = cls(http, sender, listeners, CROWD)
        self.parked_path = "/_mock/parked"
        # A first sync marks each one online (which the others see); the second gives
        # a token past all of that. Without rooms: a big account's first sync is megabytes.
        first = await gather_limited([lambda a=a: a.sync(filter_id=NO_ROOMS) for a in listeners])
        again = await gather_limited(
            [
                lambda a=a, s=s: a.sync(since=s["next_batch"], filter_id=NO_ROOMS)
                for a, s in zip(listeners, first)
            ]
        )
        self.since = [s["next_batch"] for s in again]
        return self


async def _given(account: Account) -> Account:
    return account


async def alternate_wakes(
    targets: dict[str, WakeTarget], clients: int, rounds: int
) -> dict[str, Any]:
    """Wake-up rounds on each target in turn, ``WAKE_BLOCKS`` times over."""
    found: dict[str, WakeResult | None] = dict.fromkeys(targets)
    blocks = min(rounds, WAKE_BLOCKS)
    for _ in range(blocks):
        for name, target in targets.items():
            found[name] = await wake_rounds(target, clients, max(1, rounds // blocks), found[name])
    return {name: result.summary() for name, result in found.items() if result is not None}


class SameBytes:
    """Times a request to mockserver, then the floor serving the answer's bytes."""

    def __init__(self, http: Http, floor: Http, repeats: int) -> None:
        self.http, self.floor, self.repeats = http, floor, repeats

    async def call(self, method: str, path: str, **kwargs: Any) -> bytes:
        status, body = await self.http.raw(method, path, token="me_token", **kwargs)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {body[:300]!r}")
        return body

    async def measure(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async def call() -> tuple[float, bytes]:
            started = time.perf_counter()
            body = await self.call(method, path, **kwargs)
            return time.perf_counter() - started, body

        return await self.beside_floor(call)

    async def measure_growth(self, first: int, then: int) -> dict[str, Any]:
        """A range growing on one connection: ``[[0, first]]``, then ``[[0, then]]`` at the
        ``pos`` it gave (only the second request is timed: the rooms the first lacked)."""

        async def grow() -> tuple[float, bytes]:
            opened = await self.call("POST", SLIDING_SYNC, body=sliding_body(first), params={"timeout": "0"})
            params = {"timeout": "0", "pos": orjson.loads(opened)["pos"]}
            started = time.perf_counter()
            body = await self.call("POST", SLIDING_SYNC, body=sliding_body(then), params=params)
            return time.perf_counter() - started, body

        return await self.beside_floor(grow)

    async def beside_floor(self, timed_call: Callable[[], Awaitable[tuple[float, bytes]]]) -> dict[str, Any]:
        """``timed_call`` (one answer of mockserver's: its time and bytes), then the floor
        serving those bytes, turn about: ``repeats`` times each for an answer over 1 MB,
        six times as often for a smaller one (a few milliseconds: noise is the larger part)."""
        _, body = await timed_call()
        status, _ = await self.floor.raw("PUT", "/same_bytes", body=body)
        if status != 200:
            raise RuntimeError(f"the same-bytes floor refused the answer: {status}")

        async def floor_call() -> float:
            started = time.perf_counter()
            status, served = await self.floor.raw("GET", "/same_bytes")
            if status != 200 or len(served) != len(body):
                raise RuntimeError(f"the same-bytes floor served {status}, {len(served)} bytes")
            return time.perf_counter() - started

        await floor_call()
        mock, floor = [], []
        for _ in range(self.repeats if len(body) > 1_000_000 else self.repeats * 6):
            mock.append((await timed_call())[0])
            floor.append(await floor_call())
        return {"bytes": len(body), "mockserver": latency_summary(mock), "floor": latency_summary(floor)}


async def load_big(http: Http, sizes: BigSizes, distinct_stamps: bool = False) -> dict[str, Any]:
    """The big account (scaled to ``sizes``) loaded into the fresh mockserver ``http``;
    with ``distinct_stamps``, every event given its own millisecond afterwards."""
    document = scaled(sizes.rooms, sizes.crowd, sizes.history)
    params = {"distinct_stamps": "1"} if distinct_stamps else None
    status, body = await http.raw("POST", "/_bench/load", body=orjson.dumps(document), params=params)
    if status != 200:
        raise RuntimeError(f"load: {status} {body[:300]!r}")
    load: dict[str, Any] = orjson.loads(body)
    return load


async def initial_syncs(same: SameBytes, me: Account, filter_id: str) -> dict[str, Any]:
    """@me's full initial sync and the lazy one (``filter_id``: :data:`LAZY_TIMELINE_1`),
    each beside the floor serving its bytes."""
    full = await same.measure("GET", f"{V3}/sync", params={"timeout": "0"})
    lazy = await same.measure("GET", f"{V3}/sync", params={"timeout": "0", "filter": filter_id})
    return {"initial_sync": full, "initial_sync_lazy": lazy}


async def measure_big_account(
    http: Http, floor: Http, small: Http, few: Http, distinct: Http, sizes: BigSizes
) -> dict[str, Any]:
    """Load the big account into a fresh mockserver, then time its answers; ``small`` is
    a second fresh mockserver, the small world beside it, ``few`` a third, for the same
    account with few rooms, and ``distinct`` a fourth, for the account with every event
    at its own millisecond (the generated one stamps each room's n-th message alike)."""
    result: dict[str, Any] = {"load": await load_big(http, sizes)}
    same = SameBytes(http, floor, sizes.repeats)
    me = Account(http, ME, "me_token")
    filter_id = await me.upload_filter(LAZY_TIMELINE_1)
    result.update(await initial_syncs(same, me, filter_id))
    since = (await me.sync(filter_id=filter_id))["next_batch"]
    other = Account(http, "@other:localhost", "other_token")
    await other.send("!room1:localhost", "one more")
    result["incremental_sync"] = await same.measure(
        "GET", f"{V3}/sync", params={"timeout": "0", "since": since, "filter": filter_id}
    )
    result["sliding_0_19"] = await same.measure(
        "POST", SLIDING_SYNC, body=sliding_body(19), params={"timeout": "0"}
    )
    result["sliding_0_99"] = await same.measure(
        "POST", SLIDING_SYNC, body=sliding_body(99), params={"timeout": "0"}
    )
    result["sliding_growth"] = await same.measure_growth(19, 99)
    result["first_window"] = await first_windows(http, few, sizes)
    result["members_crowd"] = await same.measure("GET", f"{V3}/rooms/!crowd:localhost/members")
    await load_big(distinct, sizes, distinct_stamps=True)
    me_again = Account(distinct, ME, "me_token")
    result["distinct_stamps"] = await initial_syncs(
        SameBytes(distinct, floor, sizes.repeats), me_again, await me_again.upload_filter(LAZY_TIMELINE_1)
    )
    result["wake"] = await alternate_wakes(
        {
            "big": await CrowdWake.create(http, sizes.wake_clients),
            "small": await MockserverWake.create(small, sizes.wake_clients, "smallwake_"),
            "floor": FloorWake(floor),
        },
        sizes.wake_clients,
        sizes.wake_rounds,
    )
    return result


async def first_windows(big: Http, few: Http, sizes: BigSizes) -> dict[str, Any]:
    """The first window of the big account and of the same account with ``few_rooms``
    rooms (loaded into ``few``), timed turn about: ``[[0,19]]`` without filters, and
    ``[[0,9]]`` with matrix-rust-sdk's (the account with 10 rooms has 12 that pass)."""
    document = scaled(sizes.few_rooms, sizes.crowd, sizes.history)
    status, body = await few.raw("POST", "/_bench/load", body=orjson.dumps(document))
    if status != 200:
        raise RuntimeError(f"load: {status} {body[:300]!r}")

    async def window(http: Http, request: bytes) -> float:
        started = time.perf_counter()
        status, answer = await http.raw(
            "POST", SLIDING_SYNC, body=request, token="me_token", params={"timeout": "0"}
        )
        if status != 200:
            raise RuntimeError(f"sliding sync: {status} {answer[:300]!r}")
        return time.perf_counter() - started

    found: dict[str, Any] = {"rooms": {"big": sizes.rooms, "few": sizes.few_rooms}}
    for kind, request in (
        ("plain", sliding_body(19)),
        ("filtered", sliding_body(9, RUST_SDK_FILTERS)),
    ):
        times: dict[str, list[float]] = {"big": [], "few": []}
        await window(big, request)
        await window(few, request)
        for turn in range(max(sizes.repeats * 4, 8)):
            order = [("big", big), ("few", few)]
            for name, http in order if turn % 2 == 0 else order[::-1]:
                times[name].append(await window(http, request))
        found[kind] = {name: latency_summary(taken) for name, taken in times.items()}
    return found


async def measure_servers(sizes: BigSizes, cpu: int | None) -> dict[str, Any]:
    """Start the floor and four mockservers (the big account's, the small world's, the
    account with few rooms, the account with distinct timestamps); measure."""
    floor_server, _ = await spawn(serve_argv("floor"), cpu)
    servers: list[ServerProcess] = [floor_server]
    clients: list[Http] = []
    try:
        for _ in range(4):
            server, _ = await spawn(serve_argv("mockserver"), cpu)
            servers.append(server)
        floor, big, small, few, distinct = clients = [Http(server.base_url) for server in servers]
        return await measure_big_account(big, floor, small, few, distinct, sizes)
    finally:
        for http in clients:
            await http.close()
        for server in servers:
            await server.stop()


# -- report ------------------------------------------------------------------------------------

Row = tuple[str, str, str, str, str, str]
Target = Callable[[str, float, str, bool], str]


def big_rows(big: dict[str, Any], target: Target) -> list[Row]:
    """The big account's rows of the bench's table; ``target`` records a target's verdict."""
    load = big["load"]
    events = load["events"]
    rate, cpu_rate = events / load["seconds"], events / load["cpu_seconds"]
    per_event = load["rss_growth_bytes"] / events
    beyond_json = per_event - load["json_bytes"] / events
    rows: list[Row] = [
        (
            f"big account: load {events} events",
            f"{load['cpu_seconds']:.2f} s CPU",
            "",
            f"{cpu_rate:,.0f}/CPU-s",
            target("big account load, events per CPU-second", cpu_rate, ">= 50,000/s", cpu_rate >= 50_000),
            f"{load['seconds']:.2f} s wall: {rate:,.0f}/s",
        ),
        (
            "big account: memory per event beyond its JSON",
            f"{beyond_json:.0f} B",
            "",
            "",
            target("big account memory per event beyond its JSON", beyond_json, "< 1024 B", beyond_json < 1024),
            f"{per_event:.0f} B per event (all of the load's RSS growth), JSON {load['json_bytes'] / events:.0f} B",
        ),
        (
            "big account: memory per room",
            f"{load['rss_growth_bytes'] / load['rooms'] / 1024:.1f} KiB",
            "",
            "",
            "",
            f"{load['rss_growth_bytes'] / max(load['memberships'], 1):.0f} B per member (all of it)",
        ),
    ]
    labels = {
        "initial_sync": ("v3 initial sync, full", 3.0),
        "initial_sync_lazy": ("v3 initial sync, timeline.limit 1, lazy members", 3.0),
        "incremental_sync": ("v3 incremental sync after one event", None),
        "sliding_0_19": ("sliding sync, first window [[0,19]]", 2.0),
        "sliding_0_99": ("sliding sync, first window [[0,99]]", None),
        "sliding_growth": ("sliding sync, range growth [[0,19]] -> [[0,99]]", None),
        "members_crowd": ("/members of the crowd room (10,000 members)", None),
    }
    for key, (label, limit) in labels.items():
        figure = big[key]
        m, f = figure["mockserver"]["p50_ms"], figure["floor"]["p50_ms"]
        ratio = m / f
        rows.append(
            (
                f"big account: {label} p50",
                f"{m:.2f} ms",
                f"{f:.2f} ms",
                f"{ratio:.2f}x",
                target(f"big account {label}, vs same bytes", ratio, f"<= {limit}x", ratio <= limit)
                if limit is not None
                else "",
                f"{figure['bytes']:,} B, same-bytes floor",
            )
        )
    for key, label in (("initial_sync", "full"), ("initial_sync_lazy", "lazy")):
        figure = big["distinct_stamps"][key]
        m, f = figure["mockserver"]["p50_ms"], figure["floor"]["p50_ms"]
        rows.append(
            (
                f"big account, distinct timestamps: v3 initial sync, {label} p50",
                f"{m:.2f} ms",
                f"{f:.2f} ms",
                f"{m / f:.2f}x",
                "",
                f"{figure['bytes']:,} B, same-bytes floor",
            )
        )
    window = big["first_window"]
    rooms = window["rooms"]
    for kind, label in (("plain", "[[0,19]]"), ("filtered", "[[0,9]] with rust-sdk's filters")):
        times = window[kind]
        size_ratio = times["big"]["p50_ms"] / times["few"]["p50_ms"]
        rows.append(
            (
                f"big account: first window {label}, {rooms['big']} rooms / {rooms['few']}",
                f"{times['big']['p50_ms']:.2f} ms",
                f"{times['few']['p50_ms']:.2f} ms ({rooms['few']} rooms)",
                f"{size_ratio:.2f}x",
                target(
                    f"sliding sync first window {label}, big account vs few rooms",
                    size_ratio,
                    "<= 1.2x",
                    size_ratio <= 1.2,
                ),
                "turn about, same shape",
            )
        )
    wake = big["wake"]
    clients = wake["big"]["samples"] // max(wake["big"]["rounds"], 1)
    b, sm, f = (wake[k]["p50_ms"] for k in ("big", "small", "floor"))
    clean = all(wake[k]["missed"] == 0 and wake[k]["early"] == 0 for k in ("big", "small"))
    rows += [
        (
            f"big account: wake-up p50, {clients} parked",
            f"{b:.2f} ms",
            f"{f:.2f} ms",
            f"{b / f:.2f}x",
            target(f"big account wake-up p50 ratio, {clients} parked", b / f, "<= 1.3x", b / f <= 1.3),
            f"p99 {wake['big']['p99_ms']:.2f} ms, floor {wake['floor']['p99_ms']:.2f} ms",
        ),
        (
            f"big account vs small world: wake-up p50, {clients} parked",
            f"{b:.2f} ms",
            f"{sm:.2f} ms (small)",
            f"{b / sm:.2f}x",
            target(f"big account vs small world wake-up, {clients} parked", b / sm, "<= 1.2x", b / sm <= 1.2),
            f"small world vs floor {sm / f:.2f}x",
        ),
        (
            f"big account: missed / early, {clients} parked",
            f"{wake['big']['missed']} / {wake['big']['early']}",
            f"{wake['floor']['missed']} / {wake['floor']['early']}",
            "",
            target(
                f"big account: no missed or early wake-ups, {clients} parked",
                sum(wake[k]["missed"] + wake[k]["early"] for k in ("big", "small")),
                "0 / 0",
                clean,
            ),
            f"small world {wake['small']['missed']} / {wake['small']['early']}",
        ),
    ]
    return rows


def main() -> int:
    from run import render  # the table's layout is run.py's

    p = argparse.ArgumentParser(description="The big account's figures alone (see bench/run.py).")
    p.add_argument("--quick", action="store_true", help="the same shape, scaled down")
    args = p.parse_args()
    sizes = QUICK if args.quick else BigSizes()
    started = time.perf_counter()
    results = asyncio.run(measure_servers(sizes, None))
    targets: list[dict[str, Any]] = []

    def target(name: str, value: float, limit: str, met: bool) -> str:
        targets.append({"figure": name, "value": round(value, 4), "target": limit, "met": met})
        return f"{limit} {'ok' if met else 'MISSED'}"

    print(render(big_rows(results, target)))
    print(f"{time.perf_counter() - started:.0f} s")
    out = BENCH_DIR / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = f"big-account-{stamp}{'-quick' if args.quick else ''}.json"
    payload = {"sizes": sizes.__dict__, "big_account": results, "targets": targets}
    (out / name).write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    print(f"results: {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
