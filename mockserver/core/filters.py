"""Filters: validate a filter document and apply it with pure functions.

One code path serves the seed's filter schema (``room.{state,timeline,
ephemeral}``, ``presence``, ``event_fields``) and today's (``room.rooms``,
``include_leave``, ``account_data``, ``contains_url``, lazy loading).
Unknown keys are ignored, as real servers do, so the seed example's
``emphemeral`` uploads fine and filters nothing. This module does not know
whether a filter came from the filter API or inline JSON.

``types`` and ``not_types`` are patterns (``*`` matches anything);
``rooms``, ``senders`` and their ``not_`` lists are exact ids, kept as sets,
as the spec and Synapse have them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mockserver.core.errors import bad_json
from mockserver.core.model import JsonDict

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    return any(_glob(pattern).fullmatch(value) for pattern in patterns)


def _allowed(value: str | None, include: tuple[str, ...] | None, exclude: tuple[str, ...]) -> bool:
    """For ``types``: patterns where ``*`` matches any run of characters."""
    if value is None:
        return include is None
    if exclude and matches_any(value, exclude):
        return False
    return include is None or matches_any(value, include)


def _listed(value: str | None, include: frozenset[str] | None, exclude: frozenset[str]) -> bool:
    """For ``rooms`` and ``senders``: exact ids, looked up in a set (no globbing).

    A filter may list tens of thousands of rooms; matching each id against
    each pattern made one client's /sync stall every other one.
    """
    if value is None:
        return include is None
    return value not in exclude and (include is None or value in include)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """An EventFilter, or a RoomEventFilter when ``rooms``/``not_rooms`` are used."""

    limit: int | None = None
    types: tuple[str, ...] | None = None
    not_types: tuple[str, ...] = ()
    senders: frozenset[str] | None = None
    not_senders: frozenset[str] = frozenset()
    rooms: frozenset[str] | None = None
    not_rooms: frozenset[str] = frozenset()
    contains_url: bool | None = None
    lazy_load_members: bool = False
    include_redundant_members: bool = False

    def limit_or(self, default: int = DEFAULT_LIMIT) -> int:
        return self.limit if self.limit is not None else default

    def allows_room(self, room_id: str) -> bool:
        return _listed(room_id, self.rooms, self.not_rooms)

    def allows(
        self, event_type: str, sender: str | None, content: Mapping[str, Any] | None = None
    ) -> bool:
        if not _allowed(event_type, self.types, self.not_types):
            return False
        if not _listed(sender, self.senders, self.not_senders):
            return False
        if self.contains_url is not None and content is not None:
            if ("url" in content) != self.contains_url:
                return False
        return True

    def selects_every_event(self) -> bool:
        """True when :meth:`allows` lets every event through (rooms and lazy loading aside)."""
        return (
            self.types is None
            and not self.not_types
            and self.senders is None
            and not self.not_senders
            and self.contains_url is None
        )

    def is_limit_only(self) -> bool:
        """True when the filter selects every event and at most sets a limit."""
        # Spelled out rather than compared with EMPTY_EVENT_FILTER field by field: asked
        # on every sync of every room. A unit test sets each other field in turn, so a
        # new field cannot be forgotten here.
        return (
            self.types is None
            and not self.not_types
            and self.senders is None
            and not self.not_senders
            and self.rooms is None
            and not self.not_rooms
            and self.contains_url is None
            and not self.lazy_load_members
            and not self.include_redundant_members
        )


EMPTY_EVENT_FILTER = EventFilter()


@dataclass(frozen=True, slots=True)
class Filter:
    """A whole sync filter (``Filter`` in today's spec, ``sync_filter`` in the seed)."""

    rooms: frozenset[str] | None = None
    not_rooms: frozenset[str] = frozenset()
    include_leave: bool = False
    timeline: EventFilter = EMPTY_EVENT_FILTER
    state: EventFilter = EMPTY_EVENT_FILTER
    ephemeral: EventFilter = EMPTY_EVENT_FILTER
    room_account_data: EventFilter = EMPTY_EVENT_FILTER
    presence: EventFilter = EMPTY_EVENT_FILTER
    account_data: EventFilter = EMPTY_EVENT_FILTER
    event_fields: tuple[str, ...] | None = None
    event_format: str = "client"
    #: ``room.timeline.unread_thread_notifications``: count each thread apart in /sync.
    unread_thread_notifications: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def allows_room(self, room_id: str) -> bool:
        return _listed(room_id, self.rooms, self.not_rooms)


EMPTY_FILTER = Filter()


# -- validation ---------------------------------------------------------------------


def _string_list(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_json(f"{path} must be a list of strings")
    return tuple(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad_json(f"{path} must be a boolean")
    return value


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise bad_json(f"{path} must be an object")
    return value


def parse_event_filter(value: Any, path: str = "filter") -> EventFilter:
    data = _object(value, path)
    limit = data.get("limit")
    if limit is not None:
        # 0 is allowed: an empty timeline (SyTest 13filtered_sync.pl, as Synapse).
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise bad_json(f"{path}.limit must be a non-negative integer")
        limit = min(limit, MAX_LIMIT)
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("types", "not_types"):
        if key in data and data[key] is not None:
            lists[key] = _string_list(data[key], f"{path}.{key}")
    ids: dict[str, frozenset[str]] = {}
    for key in ("senders", "not_senders", "rooms", "not_rooms"):
        if key in data and data[key] is not None:
            ids[key] = frozenset(_string_list(data[key], f"{path}.{key}"))
    flags: dict[str, bool] = {}
    for key in ("lazy_load_members", "include_redundant_members"):
        if key in data:
            flags[key] = _bool(data[key], f"{path}.{key}")
    contains_url = data.get("contains_url")
    if contains_url is not None:
        contains_url = _bool(contains_url, f"{path}.contains_url")
    return EventFilter(
        limit=limit,
        types=lists.get("types"),
        not_types=lists.get("not_types", ()),
        senders=ids.get("senders"),
        not_senders=ids.get("not_senders", frozenset()),
        rooms=ids.get("rooms"),
        not_rooms=ids.get("not_rooms", frozenset()),
        contains_url=contains_url,
        **flags,
    )


def parse_filter(value: Any) -> Filter:
    """Validate a filter document; raise ``M_BAD_JSON`` naming the bad key."""
    data = _object(value, "filter")
    room = _object(data.get("room", {}), "room")
    sections: dict[str, EventFilter] = {}
    for key in ("timeline", "state", "ephemeral", "account_data"):
        if key in room and room[key] is not None:
            sections[key] = parse_event_filter(room[key], f"room.{key}")
    rooms = room.get("rooms")
    not_rooms = room.get("not_rooms", [])
    event_fields = data.get("event_fields")
    timeline = room.get("timeline")
    threads_apart = isinstance(timeline, dict) and _bool(
        timeline.get("unread_thread_notifications", False),
        "room.timeline.unread_thread_notifications",
    )
    event_format = data.get("event_format", "client")
    if event_format not in ("client", "federation"):
        raise bad_json("event_format must be 'client' or 'federation'")
    return Filter(
        rooms=frozenset(_string_list(rooms, "room.rooms")) if rooms is not None else None,
        not_rooms=frozenset(_string_list(not_rooms, "room.not_rooms")),
        include_leave=_bool(room.get("include_leave", False), "room.include_leave"),
        timeline=sections.get("timeline", EMPTY_EVENT_FILTER),
        state=sections.get("state", EMPTY_EVENT_FILTER),
        ephemeral=sections.get("ephemeral", EMPTY_EVENT_FILTER),
        room_account_data=sections.get("account_data", EMPTY_EVENT_FILTER),
        presence=parse_event_filter(data.get("presence", {}), "presence"),
        account_data=parse_event_filter(data.get("account_data", {}), "account_data"),
        event_fields=(
            _string_list(event_fields, "event_fields") if event_fields is not None else None
        ),
        event_format=event_format,
        unread_thread_notifications=threads_apart,
    )


# -- event_fields ---------------------------------------------------------------------


def _split_field(path: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in path:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def project_fields(event: JsonDict, event_fields: Iterable[str]) -> JsonDict:
    """Keep only the dotted ``event_fields`` of a client-format event."""
    result: JsonDict = {}
    for path in event_fields:
        parts = _split_field(path)
        source: Any = event
        for part in parts:
            if not isinstance(source, dict) or part not in source:
                break
            source = source[part]
        else:
            target = result
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = source
    return result
