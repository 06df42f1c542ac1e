"""A comparable picture of everything a store holds, to prove a rejected request changed nothing.

Tests take ``snapshot(hs.store)`` before a request the server must refuse and
assert it is equal afterwards. It reads the store's public attributes only
and covers every collection a mutation can write to.
"""

from __future__ import annotations

from typing import Any

import orjson

from mockserver.core.store import Store


def snapshot(store: Store) -> dict[str, Any]:
    return {
        "position": store.position,
        "users": {
            user_id: (
                user.password,
                user.displayname,
                user.avatar_url,
                user.deactivated,
                {
                    device_id: (device.display_name, _json(device.keys), _json(device.one_time_keys))
                    for device_id, device in user.devices.items()
                },
            )
            for user_id, user in store.users.items()
        },
        "sessions": dict(store.sessions),
        "rooms": {
            room_id: (
                [(event.event_id, _json(event.content)) for event in room.events],
                dict(room.current_state),
                dict(room.typing),
                len(room.receipts),
            )
            for room_id, room in store.rooms.items()
        },
        "aliases": dict(store.aliases),
        "public_rooms": list(store.public_rooms),
        "user_rooms": {user: list(rooms) for user, rooms in store.user_rooms.items()},
        "presence": dict(store.presence),
        "account_data": {key: _json(entry.content) for key, entry in store.account_data.items()},
        "to_device": {key: len(queue) for key, queue in store.to_device.items()},
        "filters": {user: _json(stored) for user, stored in store.filters.items()},
        "txns": dict(store.txns),
        "auth_sessions": set(store.auth_sessions),
        "turn_server": store.turn_server,
        "pushers": {user: store.pushers.of(user) for user in store.pushers.by_user},
    }


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
