"""The current world as a scenario document.

Loading the export into a fresh server reproduces the same ``/sync`` and
``/messages`` answers (tokens aside): every event is written in full, in the
server's stream order, as top-level ``events`` (so rooms interleave as they
did and each user's rooms keep their order), with ids, timestamps,
transaction ids and redactions as they are; rooms carry their aliases,
directory listing, typing, receipts and room account data; users their
devices and access tokens, filters and account data; uploaded media inline
(base64); presence last.
Pending to-device messages, uploaded keys and the script are not exported.
"""

from __future__ import annotations

import copy
from typing import Any

from mockserver.core.model import Event, JsonDict
from mockserver.core.store import Store
from mockserver.scenarios.media import export_media


def _event(event: Event) -> JsonDict:
    body: JsonDict = {"room_id": event.room_id, "event_id": event.event_id, "type": event.type}
    if event.state_key is not None:
        body["state_key"] = event.state_key
    body["sender"] = event.sender
    body["content"] = copy.deepcopy(event.content)
    body["origin_server_ts"] = event.origin_server_ts
    if event.txn is not None:
        _user, device_id, txn_id = event.txn
        body["txn_id"] = txn_id
        body["device_id"] = device_id
    return body


def _users(store: Store) -> list[JsonDict]:
    devices: dict[str, list[JsonDict]] = {}
    for token, session in store.sessions.items():
        device = store.users[session.user_id].devices.get(session.device_id)
        entry: JsonDict = {"device_id": session.device_id, "access_token": token}
        if device is not None and device.display_name is not None:
            entry["display_name"] = device.display_name
        devices.setdefault(session.user_id, []).append(entry)
    global_data: dict[str, dict[str, Any]] = {}
    for data in sorted(store.account_data.values(), key=lambda e: e.stream):
        if data.room_id is None:
            global_data.setdefault(data.user_id, {})[data.type] = copy.deepcopy(data.content)
    users = []
    for user_id, user in store.users.items():
        body: JsonDict = {
            "user_id": user_id,
            "password": user.password,
            "displayname": user.displayname,
            "avatar_url": user.avatar_url,
        }
        if user_id in devices:
            body["devices"] = devices[user_id]
        if user_id in global_data:
            body["account_data"] = global_data[user_id]
        if store.filters.get(user_id):
            body["filters"] = copy.deepcopy(store.filters[user_id])
        if user.deactivated:
            body["deactivated"] = True
        pushers = store.pushers.of(user_id)
        if pushers:
            body["pushers"] = [pusher.as_json() for pusher in pushers]
        users.append(body)
    return users


def _rooms(store: Store) -> list[JsonDict]:
    aliases: dict[str, list[str]] = {}
    for alias, room_id in store.aliases.items():
        aliases.setdefault(room_id, []).append(alias)
    now = store.now()
    rooms = []
    for room_id, room in store.rooms.items():
        body: JsonDict = {"room_id": room_id}
        if room_id in aliases:
            body["aliases"] = aliases[room_id]
        if room_id in store.public_rooms:
            body["visibility"] = "public"
        typing = [
            {"user_id": user_id, "timeout_ms": expiry - now}
            for user_id, expiry in room.typing.items()
            if expiry > now
        ]
        if typing:
            body["typing"] = typing
        receipts = []
        for receipt in sorted(room.latest_receipts.values(), key=lambda r: r.stream):
            item: JsonDict = {
                "user_id": receipt.user_id,
                "event_id": receipt.event_id,
                "receipt_type": receipt.receipt_type,
                "ts": receipt.ts,
            }
            if receipt.thread_id is not None:
                item["thread_id"] = receipt.thread_id
            receipts.append(item)
        if receipts:
            body["receipts"] = receipts
        data = [
            {"user_id": entry.user_id, "type": entry.type, "content": copy.deepcopy(entry.content)}
            for entry in sorted(store.account_data.values(), key=lambda e: e.stream)
            if entry.room_id == room_id
        ]
        if data:
            body["account_data"] = data
        rooms.append(body)
    return rooms


def export_scenario(store: Store) -> JsonDict:
    """The world ``store`` holds, as a document :func:`load_scenario` accepts."""
    events = sorted(
        (event for room in store.rooms.values() for event in room.events),
        key=lambda event: event.stream,
    )
    now = store.now()
    presence = []
    for state in sorted(store.presence.values(), key=lambda p: p.stream):
        item: JsonDict = {"user_id": state.user_id, "presence": state.presence}
        if state.status_msg is not None:
            item["status_msg"] = state.status_msg
        if state.last_active_ts is not None:
            item["last_active_ago"] = max(0, now - state.last_active_ts)
        presence.append(item)
    document: JsonDict = {
        "server_name": store.server_name,
        "users": _users(store),
        "media": export_media(store),
        "rooms": _rooms(store),
        "events": [_event(event) for event in events],
        "presence": presence,
    }
    if store.turn_server is not None:
        document["turn_server"] = store.turn_server.as_json()
    return document
