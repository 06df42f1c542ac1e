"""The extensions of a sliding sync answer: to-device, e2ee, account data, receipts, typing.

Each is computed only when enabled, from the same store functions as v3
``/sync``'s sections. ``account_data``, ``receipts`` and ``typing`` apply
to the rooms of the lists and subscriptions their ``lists``/``rooms``
name (``*``: all); a room new to the connection gets its current
receipts, typing set and account data, a room it has gets what changed
since the connection's position. ``to_device`` is acknowledged by
``since``: the messages after it are sent again and again until a
request's ``since`` moves past them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from mockserver.core.model import AccountData, Receipt, ToDeviceMessage
from mockserver.core.room import Room
from mockserver.core.sliding_sync.request import WILDCARD, ExtensionScope, Extensions
from mockserver.core.store import Store
from mockserver.core.filters import EMPTY_EVENT_FILTER
from mockserver.core.sync import account_data, ephemeral
from mockserver.core.sync.device_lists import device_lists, state_changes
from mockserver.core.sync.model import DeviceLists
from mockserver.core.sync.to_device import to_device
from mockserver.core.tokens import StreamToken


@dataclass(slots=True)
class ToDevice:
    next_batch: int
    events: list[ToDeviceMessage]


@dataclass(slots=True)
class E2ee:
    one_time_key_counts: dict[str, int]
    fallback_key_types: list[str]
    #: None on a new connection (nothing to compare with).
    device_lists: DeviceLists | None


@dataclass(slots=True)
class AccountDataResult:
    global_data: list[AccountData]
    rooms: dict[str, list[AccountData]]


@dataclass(slots=True)
class ExtensionsResult:
    to_device: ToDevice | None = None
    e2ee: E2ee | None = None
    account_data: AccountDataResult | None = None
    #: room id -> receipts to send (an ``m.receipt`` event each).
    receipts: dict[str, list[Receipt]] | None = None
    #: room id -> who is typing now.
    typing: dict[str, list[str]] | None = None

    def __bool__(self) -> bool:
        """True when an extension has news (keys counts alone are not news)."""
        return bool(
            (self.to_device is not None and self.to_device.events)
            or (
                self.e2ee is not None
                and self.e2ee.device_lists is not None
                and (self.e2ee.device_lists.changed or self.e2ee.device_lists.left)
            )
            or (
                self.account_data is not None
                and (self.account_data.global_data or self.account_data.rooms)
            )
            or self.receipts
            or self.typing
        )


@dataclass(frozen=True, slots=True)
class Scope:
    """The rooms of the answer an extension may speak of, by where they came from."""

    #: list name -> room ids in its window.
    windows: Mapping[str, Iterable[str]]
    subscriptions: Iterable[str]
    #: Rooms the connection gets whole in this answer (initial).
    fresh: frozenset[str] = field(default_factory=frozenset)

    def rooms(self, scope: ExtensionScope) -> list[str]:
        found: dict[str, None] = {}
        every_list = WILDCARD in scope.lists
        for name, window in self.windows.items():
            if every_list or name in scope.lists:
                found.update(dict.fromkeys(window))
        every_room = WILDCARD in scope.rooms
        for room_id in self.subscriptions:
            if every_room or room_id in scope.rooms:
                found[room_id] = None
        return list(found)


def compute_extensions(
    store: Store,
    user_id: str,
    device_id: str,
    extensions: Extensions,
    since: StreamToken | None,
    scope: Scope,
) -> ExtensionsResult:
    now = store.position
    result = ExtensionsResult()
    if extensions.to_device.enabled:
        result.to_device = _to_device(store, user_id, device_id, extensions, now)
    if extensions.e2ee:
        result.e2ee = _e2ee(store, user_id, device_id, since, now)
    if extensions.account_data.enabled:
        result.account_data = _account_data(
            store, user_id, since, now, scope.rooms(extensions.account_data), scope.fresh
        )
    if extensions.receipts.enabled:
        result.receipts = _receipts(
            store, user_id, since, now, scope.rooms(extensions.receipts), scope.fresh
        )
    if extensions.typing.enabled:
        result.typing = _typing(
            store, user_id, since, scope.rooms(extensions.typing), scope.fresh
        )
    return result


def _to_device(
    store: Store, user_id: str, device_id: str, extensions: Extensions, now: StreamToken
) -> ToDevice:
    config = extensions.to_device
    since = min(config.since or 0, now.to_device)
    messages = to_device(store, user_id, device_id, since, now.to_device)
    if len(messages) > config.limit:
        messages = messages[: config.limit]
        return ToDevice(messages[-1].stream if messages else since, messages)
    return ToDevice(now.to_device, messages)


def _e2ee(
    store: Store, user_id: str, device_id: str, since: StreamToken | None, now: StreamToken
) -> E2ee:
    lists = None
    if since is not None:
        joined = [store.rooms[r] for r in store.joined_rooms(user_id)]
        lists = device_lists(user_id, joined, state_changes(store, user_id, since, now))
    return E2ee(
        store.one_time_key_counts(user_id, device_id),
        store.fallback_key_types(user_id, device_id),
        lists,
    )


def _account_data(
    store: Store,
    user_id: str,
    since: StreamToken | None,
    now: StreamToken,
    room_ids: list[str],
    fresh: frozenset[str],
) -> AccountDataResult:
    changed = account_data.latest(
        store, user_id, None if since is None else since.account_data, now.account_data
    )
    wanted = set(room_ids)
    rooms: dict[str, list[AccountData]] = {}
    for entry in changed:
        if entry.room_id is not None and entry.room_id in wanted:
            rooms.setdefault(entry.room_id, []).append(entry)
    if since is not None and fresh & wanted:
        # Rooms new to the connection: all their account data, not only the changes.
        for (owner, room_id, _type), entry in store.account_data.items():
            if owner == user_id and room_id in fresh and room_id in wanted:
                if entry not in rooms.get(room_id, ()):
                    rooms.setdefault(room_id, []).append(entry)
    return AccountDataResult([e for e in changed if e.room_id is None], rooms)


def _joined(
    store: Store,
    user_id: str,
    room_ids: list[str],
    since: StreamToken | None,
    fresh: frozenset[str],
) -> Iterator[tuple[Room, bool]]:
    """The rooms of ``room_ids`` the user is joined to (ephemeral events are for members),
    each with whether the connection gets it whole."""
    for room_id in room_ids:
        if store.membership(user_id, room_id) == "join":
            yield store.rooms[room_id], since is None or room_id in fresh


def _receipts(
    store: Store,
    user_id: str,
    since: StreamToken | None,
    now: StreamToken,
    room_ids: list[str],
    fresh: frozenset[str],
) -> dict[str, list[Receipt]]:
    found: dict[str, list[Receipt]] = {}
    since_receipt = 0 if since is None else since.receipt
    for room, full in _joined(store, user_id, room_ids, since, fresh):
        receipts = ephemeral.receipts(
            room, EMPTY_EVENT_FILTER, user_id, full, since_receipt, now.receipt
        )
        if receipts:
            found[room.room_id] = receipts
    return found


def _typing(
    store: Store,
    user_id: str,
    since: StreamToken | None,
    room_ids: list[str],
    fresh: frozenset[str],
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    since_typing = 0 if since is None else since.typing
    for room, full in _joined(store, user_id, room_ids, since, fresh):
        users = ephemeral.typing(room, EMPTY_EVENT_FILTER, full, since_typing)
        if users is not None:
            found[room.room_id] = users
    return found
