"""The big account (``fixtures/big_account.json``): load, memory, and its big answers.

Each answer of mockserver's is timed side by side with the same-bytes floor: the
floor app serving that very answer, pre-encoded, through the same uvicorn
(``GET /same_bytes``), so the ratio is what mockserver adds to moving those bytes.
``--quick`` loads the same shape, scaled down.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from client import BENCH_DIR, Account, Http
from scenarios import latency_summary, timed

FIXTURE = BENCH_DIR.parent / "fixtures" / "big_account.json"
V3 = "/_matrix/client/v3"
SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ME = "@me:localhost"
LAZY_TIMELINE_1 = {"room": {"timeline": {"limit": 1}, "state": {"lazy_load_members": True}}}


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


def sliding_body(end: int) -> bytes:
    return orjson.dumps(
        {
            "lists": {
                "all_rooms": {
                    "ranges": [[0, end]],
                    "timeline_limit": 1,
                    "required_state": [["m.room.name", ""], ["m.room.member", "$LAZY"]],
                }
            }
        }
    )


class SameBytes:
    """Times a request to mockserver, then the floor serving the answer's bytes."""

    def __init__(self, http: Http, floor: Http, repeats: int) -> None:
        self.http, self.floor, self.repeats = http, floor, repeats

    async def measure(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async def call() -> bytes:
            status, body = await self.http.raw(method, path, token="me_token", **kwargs)
            if status != 200:
                raise RuntimeError(f"{method} {path}: {status} {body[:300]!r}")
            return body

        body = await call()
        mock = await timed(call, self.repeats)
        await self.floor.raw("PUT", "/same_bytes", body=body)

        async def floor_call() -> None:
            await self.floor.raw("GET", "/same_bytes")

        floor = await timed(floor_call, self.repeats)
        return {"bytes": len(body), "mockserver": latency_summary(mock), "floor": latency_summary(floor)}


async def measure_big_account(
    http: Http, floor: Http, rooms: int, crowd: int, history: int, repeats: int
) -> dict[str, Any]:
    """Load the big account into a fresh mockserver, then time its answers."""
    document = scaled(rooms, crowd, history)
    status, body = await http.raw("POST", "/_bench/load", body=orjson.dumps(document))
    if status != 200:
        raise RuntimeError(f"load: {status} {body[:300]!r}")
    load = orjson.loads(body)
    result: dict[str, Any] = {"load": load}
    same = SameBytes(http, floor, repeats)
    me = Account(http, ME, "me_token")
    result["initial_sync"] = await same.measure("GET", f"{V3}/sync", params={"timeout": "0"})
    filter_id = await me.upload_filter(LAZY_TIMELINE_1)
    result["initial_sync_lazy"] = await same.measure(
        "GET", f"{V3}/sync", params={"timeout": "0", "filter": filter_id}
    )
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
    result["members_crowd"] = await same.measure("GET", f"{V3}/rooms/!crowd:localhost/members")
    return result
