"""The account data sections: the user's global entries and each room's.

:func:`latest` finds what changed for the user once per answer; :func:`of_room`
and :func:`global_entries` pick the entries each section shows.
"""

from __future__ import annotations

from mockserver.core.filters import EventFilter
from mockserver.core.model import AccountData
from mockserver.core.store import Store


def latest(store: Store, user_id: str, since: int | None, now: int) -> list[AccountData]:
    """Every entry of the user (``since`` None: an initial sync), oldest first, or the
    latest of each entry changed in (since, now]."""
    if since is None:
        entries = [
            entry
            for (owner, _room, _type), entry in store.account_data.items()
            if owner == user_id
        ]
        return sorted(entries, key=lambda entry: entry.stream)
    if since >= now:
        return []
    found: dict[tuple[str | None, str], AccountData] = {}
    for entry in store.account_data_changes(user_id, since, now):
        found.pop((entry.room_id, entry.type), None)
        found[(entry.room_id, entry.type)] = entry
    return list(found.values())


def of_room(entries: list[AccountData], room_id: str, room_filter: EventFilter) -> list[AccountData]:
    """The entries of ``room_id`` that ``room_filter`` (``room.account_data``) lets through."""
    if not entries or not room_filter.allows_room(room_id):
        return []
    return [e for e in entries if e.room_id == room_id and room_filter.allows(e.type, None)]


def global_entries(entries: list[AccountData], account_filter: EventFilter) -> list[AccountData]:
    """The user's global entries that ``account_filter`` lets through."""
    return [e for e in entries if e.room_id is None and account_filter.allows(e.type, None)]
