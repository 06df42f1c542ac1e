"""Reading the seed's ``/v2_alpha/sync`` responses in tests: shape checks and small accessors.

:func:`check_seed_shape` asserts everything the reference (§1.2) fixes about a
response, so every test that syncs also checks the shape it got.
"""

from __future__ import annotations

import re
from typing import Any

from tests.support import Account

SEED_STREAM_TOKEN = re.compile(r"s(0|[1-9][0-9]*)(_(0|[1-9][0-9]*)){2}")
SEED_ROOM_TOKEN = re.compile(r"t(0|[1-9][0-9]*)-(0|[1-9][0-9]*)(_(0|[1-9][0-9]*)){2}")

EVENT_KEYS = {"type", "sender", "content", "origin_server_ts", "state_key", "unsigned"}
STRIPPED_KEYS = {"type", "state_key", "content", "sender"}


def check_seed_shape(body: dict[str, Any]) -> dict[str, Any]:
    """Assert the seed dialect's response shape; return ``body`` for chaining."""
    assert set(body) == {"next_batch", "rooms", "room_map", "presence"}, body.keys()
    assert SEED_STREAM_TOKEN.fullmatch(body["next_batch"]), body["next_batch"]
    assert set(body["rooms"]) == {"default"}
    groups = body["rooms"]["default"]
    assert set(groups) == {"joined", "invited", "archived"}
    listed = [*groups["joined"], *groups["invited"], *groups["archived"]]
    assert len(listed) == len(set(listed)), f"a room is in two groups: {groups}"
    assert set(body["room_map"]) == set(listed)
    for room_id in groups["joined"]:
        entry = body["room_map"][room_id]
        assert set(entry) == {"event_map", "state", "timeline", "ephemeral"}, entry.keys()
        _check_room_events(entry)
        for event in entry["ephemeral"]["events"]:
            assert event["room_id"] == room_id
            assert isinstance(event["type"], str) and isinstance(event["content"], dict)
    for room_id in groups["invited"]:
        entry = body["room_map"][room_id]
        assert set(entry) == {"invite_state"}, entry.keys()
        for event in entry["invite_state"]["events"]:
            assert set(event) == STRIPPED_KEYS, event
    for room_id in groups["archived"]:
        entry = body["room_map"][room_id]
        assert set(entry) == {"event_map", "state", "timeline"}, entry.keys()
        _check_room_events(entry)
    assert set(body["presence"]) == {"events"}
    for event in body["presence"]["events"]:
        assert event["type"] == "m.presence"
        assert event["content"]["presence"] in ("online", "offline", "unavailable")
    return body


def _check_room_events(entry: dict[str, Any]) -> None:
    timeline = entry["timeline"]
    assert set(timeline) == {"events", "limited", "prev_batch"}
    assert isinstance(timeline["limited"], bool)
    assert SEED_ROOM_TOKEN.fullmatch(timeline["prev_batch"]), timeline["prev_batch"]
    state_ids = entry["state"]["events"]
    timeline_ids = timeline["events"]
    assert len(set(state_ids)) == len(state_ids) and len(set(timeline_ids)) == len(timeline_ids)
    assert set(entry["event_map"]) == set(state_ids) | set(timeline_ids)
    for event_id, event in entry["event_map"].items():
        assert event_id.startswith("$")
        assert set(event) <= EVENT_KEYS, event
        assert {"type", "sender", "content", "origin_server_ts"} <= set(event)
        assert isinstance(event["unsigned"]["age"], int) and event["unsigned"]["age"] >= 0
    for event_id in state_ids:
        assert "state_key" in entry["event_map"][event_id]


def groups(body: dict[str, Any]) -> dict[str, list[str]]:
    return body["rooms"]["default"]  # type: ignore[no-any-return]


def timeline(body: dict[str, Any], room_id: str) -> list[str]:
    return body["room_map"][room_id]["timeline"]["events"]  # type: ignore[no-any-return]


def state(body: dict[str, Any], room_id: str) -> list[str]:
    return body["room_map"][room_id]["state"]["events"]  # type: ignore[no-any-return]


def event(body: dict[str, Any], room_id: str, event_id: str) -> dict[str, Any]:
    return body["room_map"][room_id]["event_map"][event_id]  # type: ignore[no-any-return]


async def seed_sync(account: Account, **params: Any) -> dict[str, Any]:
    """A shape-checked seed sync."""
    return check_seed_shape(await account.seed_sync(**params))


async def backfill_events(
    account: Account, room_id: str, prev_batch: str, since: str | None, page: int = 4
) -> list[dict[str, Any]]:
    """Every event before ``prev_batch`` (back to ``since``), oldest first, paging by ``end``."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"dir": "b", "from": prev_batch, "limit": page}
    if since is not None:
        params["to"] = since
    while True:
        body = await account.messages(room_id, **params)
        found.extend(body["chunk"])
        if "end" not in body:
            return found[::-1]
        assert body["chunk"], "a page with an 'end' must not be empty"
        params["from"] = body["end"]


async def backfill(
    account: Account, room_id: str, prev_batch: str, since: str | None, page: int = 4
) -> list[str]:
    """The ids of :func:`backfill_events`."""
    events = await backfill_events(account, room_id, prev_batch, since, page)
    return [e["event_id"] for e in events]


class Follower:
    """A client following the seed's sync: chains ``since`` and fills every gap.

    Each :meth:`sync` returns, per joined or archived room, the events it
    delivered, oldest first: the ``/messages`` backfill from ``prev_batch``
    back to ``since`` (to the room's start on an initial sync) when the
    timeline was limited, then the timeline window itself.
    """

    def __init__(self, account: Account, filter_id: str | None = None) -> None:
        self.account = account
        self.filter_id = filter_id
        self.since: str | None = None
        #: The type of every event delivered so far.
        self.types: dict[str, str] = {}

    async def sync(self, **params: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
        body = await seed_sync(self.account, since=self.since, filter=self.filter_id, **params)
        delivered: dict[str, list[str]] = {}
        default = groups(body)
        for room_id in [*default["joined"], *default["archived"]]:
            window = body["room_map"][room_id]["timeline"]
            gap: list[str] = []
            if window["limited"]:
                events = await backfill_events(
                    self.account, room_id, window["prev_batch"], self.since
                )
                self.types.update((e["event_id"], e["type"]) for e in events)
                gap = [e["event_id"] for e in events]
            event_map = body["room_map"][room_id]["event_map"]
            self.types.update((e, event_map[e]["type"]) for e in window["events"])
            delivered[room_id] = [*gap, *window["events"]]
        self.since = body["next_batch"]
        return body, delivered
