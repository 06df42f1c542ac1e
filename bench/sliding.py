"""Sliding sync figures: the first window of a big account, and woken long-polls.

- ``first_window``: a user in ``rooms`` rooms opens a new connection asking for
  the 20 most recent (``[[0, 19]]``, ``timeline_limit`` 1, Element X's kind of
  ``required_state``); timed against v3 ``/sync`` of the same account (an
  initial sync with a timeline of one event per room).
- :class:`SlidingWake`: ``clients`` users parked on sliding sync
  (``?pos=...&timeout=30000``) in one room, woken by a send, as
  :class:`scenarios.MockserverWake` does for v3 ``/sync``; the same
  :func:`scenarios.wake_rounds` times both and the floor.
"""

from __future__ import annotations

from typing import Any

import orjson

from client import Account, Http, register
from scenarios import LONG_POLL_MS, WAKE_MESSAGE, gather_limited, listening_room, timed

SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ROOM_LIST = {
    "conn_id": "room-list",
    "lists": {
        "all_rooms": {
            "ranges": [[0, 19]],
            "timeline_limit": 1,
            "required_state": [
                ["m.room.name", ""],
                ["m.room.avatar", ""],
                ["m.room.create", ""],
                ["m.room.encryption", ""],
                ["m.room.member", "$LAZY"],
                ["m.room.member", "$ME"],
            ],
        }
    },
    "extensions": {
        "account_data": {"enabled": True},
        "receipts": {"enabled": True, "rooms": ["*"]},
        "typing": {"enabled": True},
    },
}
ROOM_LIST_BODY = orjson.dumps(ROOM_LIST)
TIMELINE_1 = {"room": {"timeline": {"limit": 1}}}


async def sliding_sync(
    http: Http, account: Account, pos: str | None = None, timeout: int = 0
) -> bytes:
    params = {"timeout": str(timeout)}
    if pos is not None:
        params["pos"] = pos
    status, body = await http.raw(
        "POST", SLIDING_SYNC, body=ROOM_LIST_BODY, token=account.token, params=params
    )
    if status != 200:
        raise RuntimeError(f"sliding sync: {status} {body[:300]!r}")
    return body


async def first_window(http: Http, prefix: str, rooms: int, repeats: int) -> dict[str, list[float]]:
    """The first ``[[0, 19]]`` window of an account in ``rooms`` rooms, and v3's initial sync."""
    owner = await register(http, f"{prefix}owner")
    await gather_limited(
        [lambda n=n: owner.create_room(name=f"room {n}") for n in range(rooms)], limit=8
    )
    answer = orjson.loads(await sliding_sync(http, owner))
    assert answer["lists"]["all_rooms"]["count"] == rooms, answer["lists"]
    assert len(answer["rooms"]) == min(rooms, 20)
    filter_id = await owner.upload_filter(TIMELINE_1)
    return {
        "sliding": await timed(lambda: sliding_sync(http, owner), repeats),
        "v3": await timed(lambda: owner.sync(filter_id=filter_id), repeats),
    }


class SlidingWake:
    """``clients`` users parked on sliding sync in one room; a fresh sender talks."""

    def __init__(self, http: Http, sender: Account, listeners: list[Account], room_id: str) -> None:
        self.http = http
        self.sender = sender
        self.listeners = listeners
        self.room_id = room_id
        self.pos: list[str] = []

    @classmethod
    async def create(cls, http: Http, clients: int, prefix: str) -> SlidingWake:
        self = cls(http, *await listening_room(http, clients, prefix))
        first = await gather_limited([lambda a=a: sliding_sync(http, a) for a in self.listeners])
        self.pos = [orjson.loads(body)["pos"] for body in first]
        return self

    async def park(self, index: int) -> bytes:
        return await sliding_sync(
            self.http, self.listeners[index], self.pos[index], timeout=LONG_POLL_MS
        )

    async def until_parked(self, count: int) -> int:
        params = {"count": str(count), "timeout": "10000"}
        data = await self.http.call("GET", "/_mock/parked", params=params)
        return int(data["total"])

    async def trigger(self) -> str:
        return await self.sender.send(self.room_id, WAKE_MESSAGE["body"])

    def received(self, index: int, body: bytes, marker: str) -> bool:
        data: dict[str, Any] = orjson.loads(body)
        self.pos[index] = data.get("pos", self.pos[index])
        room = data.get("rooms", {}).get(self.room_id)
        if room is None:
            return False
        return any(e.get("event_id") == marker for e in room.get("timeline", []))
