"""A sliding sync request body, checked whole and turned into frozen values.

The client sends its whole configuration every time (MSC4186 has no sticky
parameters): ``conn_id``, ``lists`` (each with ``ranges``,
``timeline_limit``, ``required_state`` and ``filters``),
``room_subscriptions``, ``unsubscribe_rooms`` and ``extensions``. Field
names and limits are those Synapse enforces (``timeline_limit`` at most
1000, list names at most 64 characters, at most 100 lists); unknown keys
and unknown extensions are ignored. A body of the wrong shape raises
``M_BAD_JSON`` (``M_INVALID_PARAM`` for a value of the right type that
makes no sense, such as a range that ends before it starts) before
anything is looked up, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mockserver.core.errors import M_BAD_JSON, M_INVALID_PARAM, MatrixError
from mockserver.core.ids import is_room_id

WILDCARD = "*"
LAZY = "$LAZY"
ME = "$ME"
MEMBER = "m.room.member"
MAX_TIMELINE_LIMIT = 1000
MAX_LISTS = 100
MAX_LIST_NAME = 64
DEFAULT_TO_DEVICE_LIMIT = 100
#: What an extension's ``lists``/``rooms`` default to: every list, every subscription.
EVERYTHING = (WILDCARD,)

StateKey = tuple[str, str]


def _bad(path: str, kind: str) -> MatrixError:
    return MatrixError(M_BAD_JSON, f"'{path}' must be {kind}")


@dataclass(frozen=True, slots=True)
class RequiredState:
    """``required_state``: which state entries a room comes with.

    ``[type, key]`` pairs, where either side may be ``*``, the key of an
    ``m.room.member`` pair may be ``$LAZY`` (the members who sent the
    timeline's events) and any key may be ``$ME`` (the syncing user). Like
    Synapse, ``["*", "*"]`` gives all state whatever else is listed.
    """

    pairs: frozenset[StateKey] = frozenset()

    @property
    def lazy_members(self) -> bool:
        return (MEMBER, LAZY) in self.pairs

    @property
    def everything(self) -> bool:
        return (WILDCARD, WILDCARD) in self.pairs

    def union(self, other: RequiredState) -> RequiredState:
        if other.pairs <= self.pairs:
            return self
        return RequiredState(self.pairs | other.pairs)

    def entries(self, user_id: str) -> frozenset[StateKey] | None:
        """Every entry the pairs can match, when none has a wildcard (None otherwise):
        then a room's entries are looked up one by one, not its whole state scanned."""
        return _entries(self.pairs, user_id)

    def matches(self, entry: StateKey, user_id: str) -> bool:
        """Whether ``entry`` is asked for by a pair other than ``$LAZY``."""
        pairs = self.pairs
        if not pairs:
            return False
        event_type, state_key = entry
        return (
            (WILDCARD, WILDCARD) in pairs
            or (event_type, WILDCARD) in pairs
            or (WILDCARD, state_key) in pairs
            or (event_type, state_key) in pairs
            or (state_key == user_id and ((event_type, ME) in pairs or (WILDCARD, ME) in pairs))
        )

    def members_asked(self, user_id: str) -> set[str]:
        """The users whose ``m.room.member`` entry a pair names (not by wildcard)."""
        named = {key for event_type, key in self.pairs if event_type in (MEMBER, WILDCARD)}
        named.discard(WILDCARD)
        named.discard(LAZY)
        if ME in named:
            named.discard(ME)
            named.add(user_id)
        return named


NO_STATE = RequiredState()


@lru_cache(maxsize=256)
def _entries(pairs: frozenset[StateKey], user_id: str) -> frozenset[StateKey] | None:
    found: set[StateKey] = set()
    for event_type, state_key in pairs:
        if event_type == WILDCARD or state_key == WILDCARD:
            return None
        found.add((event_type, state_key))
        if state_key == ME:
            found.add((event_type, user_id))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """What one room comes with: the last ``timeline_limit`` events and ``required_state``."""

    timeline_limit: int
    required_state: RequiredState

    def merge(self, other: RoomConfig) -> RoomConfig:
        """A room in several lists or subscriptions gets the widest of each."""
        if other == self:
            return self
        return RoomConfig(
            max(self.timeline_limit, other.timeline_limit),
            self.required_state.union(other.required_state),
        )


@dataclass(frozen=True, slots=True)
class ListFilters:
    """A list's ``filters``; ``None`` means "either way" (never ``False``)."""

    is_dm: bool | None = None
    is_invite: bool | None = None
    is_encrypted: bool | None = None
    #: Rooms with (True) or without (False) an ``m.room.tombstone`` (sent by matrix-rust-sdk).
    is_tombstoned: bool | None = None
    #: Room types to keep (``None`` in the tuple: rooms without a type).
    room_types: tuple[str | None, ...] | None = None
    not_room_types: tuple[str | None, ...] = ()
    spaces: tuple[str, ...] | None = None
    room_name_like: str | None = None
    tags: tuple[str, ...] | None = None
    not_tags: tuple[str, ...] = ()


NO_FILTERS = ListFilters()


@dataclass(frozen=True, slots=True)
class ListConfig:
    #: Inclusive index ranges; ``None`` (no ``ranges``) means every room of the list.
    ranges: tuple[tuple[int, int], ...] | None
    room: RoomConfig
    filters: ListFilters = NO_FILTERS


@dataclass(frozen=True, slots=True)
class ExtensionScope:
    """An extension that applies to rooms: on or off, and which lists and subscriptions."""

    enabled: bool = False
    lists: tuple[str, ...] = EVERYTHING
    rooms: tuple[str, ...] = EVERYTHING


@dataclass(frozen=True, slots=True)
class ToDeviceConfig:
    enabled: bool = False
    limit: int = DEFAULT_TO_DEVICE_LIMIT
    #: The ``next_batch`` of the previous answer: everything up to it is acknowledged.
    since: int | None = None


@dataclass(frozen=True, slots=True)
class Extensions:
    to_device: ToDeviceConfig = ToDeviceConfig()
    e2ee: bool = False
    account_data: ExtensionScope = ExtensionScope()
    receipts: ExtensionScope = ExtensionScope()
    typing: ExtensionScope = ExtensionScope()


@dataclass(frozen=True, slots=True)
class SlidingSyncRequest:
    conn_id: str | None = None
    lists: Mapping[str, ListConfig] = field(default_factory=dict)
    room_subscriptions: Mapping[str, RoomConfig] = field(default_factory=dict)
    unsubscribe_rooms: frozenset[str] = frozenset()
    extensions: Extensions = Extensions()

    def subscriptions(self) -> dict[str, RoomConfig]:
        """The rooms subscribed to, less those the same request unsubscribes."""
        return {
            room_id: config
            for room_id, config in self.room_subscriptions.items()
            if room_id not in self.unsubscribe_rooms
        }


# -- parsing -----------------------------------------------------------------------------


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _bad(path, "an object")
    return value


def _bool(body: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _bad(f"{path}.{key}", "a boolean")
    return value


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(path, "an integer")
    return value


def _strings(body: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad(f"{path}.{key}", "a list of strings")
    return tuple(value)


def _room_types(body: Mapping[str, Any], key: str, path: str) -> tuple[str | None, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(i is None or isinstance(i, str) for i in value):
        raise _bad(f"{path}.{key}", "a list of strings and nulls")
    return tuple(value)


def parse_required_state(value: Any, path: str) -> RequiredState:
    if not isinstance(value, list):
        raise _bad(path, "a list of [event type, state key] pairs")
    pairs: set[StateKey] = set()
    for index, pair in enumerate(value):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], str)
        ):
            raise _bad(f"{path}[{index}]", "an [event type, state key] pair of strings")
        pairs.add((pair[0], pair[1]))
    return RequiredState(frozenset(pairs))


def parse_room_config(body: Mapping[str, Any], path: str) -> RoomConfig:
    """``timeline_limit`` and ``required_state``, both required (as Synapse requires them)."""
    if "timeline_limit" not in body or body["timeline_limit"] is None:
        raise MatrixError(M_BAD_JSON, f"Missing '{path}.timeline_limit'")
    if "required_state" not in body or body["required_state"] is None:
        raise MatrixError(M_BAD_JSON, f"Missing '{path}.required_state'")
    limit = _int(body["timeline_limit"], f"{path}.timeline_limit")
    if not 0 <= limit <= MAX_TIMELINE_LIMIT:
        raise MatrixError(
            M_INVALID_PARAM, f"'{path}.timeline_limit' must be between 0 and {MAX_TIMELINE_LIMIT}"
        )
    return RoomConfig(limit, parse_required_state(body["required_state"], f"{path}.required_state"))


def _ranges(value: Any, path: str) -> tuple[tuple[int, int], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _bad(path, "a list of [start, end] pairs")
    ranges = []
    for index, pair in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise _bad(where, "a [start, end] pair of integers")
        start, end = _int(pair[0], where), _int(pair[1], where)
        if start < 0 or end < 0:
            raise MatrixError(M_INVALID_PARAM, f"'{where}' must not be negative")
        if start > end:
            raise MatrixError(M_INVALID_PARAM, f"'{where}' ends before it starts")
        ranges.append((start, end))
    return tuple(ranges)


def parse_filters(value: Any, path: str) -> ListFilters:
    if value is None:
        return NO_FILTERS
    body = _object(value, path)
    name = body.get("room_name_like")
    if name is not None and not isinstance(name, str):
        raise _bad(f"{path}.room_name_like", "a string")
    spaces = _strings(body, "spaces", path)
    return ListFilters(
        is_dm=_bool(body, "is_dm", path),
        is_invite=_bool(body, "is_invite", path),
        is_encrypted=_bool(body, "is_encrypted", path),
        is_tombstoned=_bool(body, "is_tombstoned", path),
        room_types=_room_types(body, "room_types", path),
        not_room_types=_room_types(body, "not_room_types", path) or (),
        spaces=spaces,
        room_name_like=name,
        tags=_strings(body, "tags", path),
        not_tags=_strings(body, "not_tags", path) or (),
    )


def parse_list(value: Any, path: str) -> ListConfig:
    body = _object(value, path)
    room = parse_room_config(body, path)
    ranges = _ranges(body.get("ranges"), f"{path}.ranges")
    if body.get("slow_get_all_rooms") is True:
        ranges = None
    return ListConfig(ranges, room, parse_filters(body.get("filters"), f"{path}.filters"))


def _scope(value: Any, path: str) -> ExtensionScope:
    if value is None:
        return ExtensionScope()
    body = _object(value, path)
    lists = _strings(body, "lists", path)
    rooms = _strings(body, "rooms", path)
    return ExtensionScope(
        enabled=bool(_bool(body, "enabled", path)),
        lists=EVERYTHING if lists is None else lists,
        rooms=EVERYTHING if rooms is None else rooms,
    )


def _to_device(value: Any, path: str) -> ToDeviceConfig:
    if value is None:
        return ToDeviceConfig()
    body = _object(value, path)
    limit = body.get("limit")
    since = body.get("since")
    if since is not None and (not isinstance(since, str) or not since.isdigit() or len(since) > 18):
        raise MatrixError(M_INVALID_PARAM, f"'{path}.since' is not a to-device position")
    return ToDeviceConfig(
        enabled=bool(_bool(body, "enabled", path)),
        limit=DEFAULT_TO_DEVICE_LIMIT if limit is None else max(0, _int(limit, f"{path}.limit")),
        since=int(since) if since is not None else None,
    )


def parse_extensions(value: Any) -> Extensions:
    if value is None:
        return Extensions()
    body = _object(value, "extensions")
    e2ee = body.get("e2ee")
    return Extensions(
        to_device=_to_device(body.get("to_device"), "extensions.to_device"),
        e2ee=bool(_bool(_object(e2ee, "extensions.e2ee"), "enabled", "extensions.e2ee"))
        if e2ee is not None
        else False,
        account_data=_scope(body.get("account_data"), "extensions.account_data"),
        receipts=_scope(body.get("receipts"), "extensions.receipts"),
        typing=_scope(body.get("typing"), "extensions.typing"),
    )


def parse_request(body: Mapping[str, Any]) -> SlidingSyncRequest:
    """The whole body as values, or the first thing wrong with it as a MatrixError."""
    conn_id = body.get("conn_id")
    if conn_id is not None and not isinstance(conn_id, str):
        raise _bad("conn_id", "a string")
    lists: dict[str, ListConfig] = {}
    raw_lists = body.get("lists")
    if raw_lists is not None:
        for name, value in _object(raw_lists, "lists").items():
            if len(name) > MAX_LIST_NAME:
                raise MatrixError(
                    M_INVALID_PARAM,
                    f"List name {name[:16]!r}... is over {MAX_LIST_NAME} characters",
                )
            lists[name] = parse_list(value, f"lists.{name}")
        if len(lists) > MAX_LISTS:
            raise MatrixError(M_INVALID_PARAM, f"At most {MAX_LISTS} lists")
    subscriptions: dict[str, RoomConfig] = {}
    raw_subscriptions = body.get("room_subscriptions")
    if raw_subscriptions is not None:
        for room_id, value in _object(raw_subscriptions, "room_subscriptions").items():
            if not is_room_id(room_id):
                raise MatrixError(M_INVALID_PARAM, f"{room_id!r} is not a room id")
            where = f"room_subscriptions.{room_id}"
            subscriptions[room_id] = parse_room_config(_object(value, where), where)
    unsubscribe = _strings(body, "unsubscribe_rooms", "body") or ()
    return SlidingSyncRequest(
        conn_id=conn_id,
        lists=lists,
        room_subscriptions=subscriptions,
        unsubscribe_rooms=frozenset(unsubscribe),
        extensions=parse_extensions(body.get("extensions")),
    )
