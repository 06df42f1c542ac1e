"""What a room looks like from outside: the fields of the spec's published-room chunk.

Shared by ``/publicRooms`` and the space ``/hierarchy``, built as Synapse's
room summary builds them: fields whose state is absent are left out, while
``num_joined_members``, ``world_readable`` and ``guest_can_join`` are
always there.
"""

from __future__ import annotations

from typing import Any

from mockserver.core.room import Room

JsonDict = dict[str, Any]

#: (state event type, content key, summary field) of the string fields.
_STRING_FIELDS = (
    ("m.room.name", "name", "name"),
    ("m.room.topic", "topic", "topic"),
    ("m.room.canonical_alias", "alias", "canonical_alias"),
    ("m.room.avatar", "url", "avatar_url"),
    ("m.room.join_rules", "join_rule", "join_rule"),
)


def _content(room: Room, event_type: str, key: str) -> Any:
    event = room.current(event_type)
    return event.content.get(key) if event is not None else None


def is_world_readable(room: Room) -> bool:
    """Whether anyone may read the room's history (``history_visibility: world_readable``)."""
    return bool(_content(room, "m.room.history_visibility", "history_visibility") == "world_readable")


def join_rule_now(room: Room) -> str | None:
    rule = _content(room, "m.room.join_rules", "join_rule")
    return rule if isinstance(rule, str) else None


def room_summary(room: Room) -> JsonDict:
    entry: JsonDict = {
        "room_id": room.room_id,
        "num_joined_members": sum(1 for _ in room.members("join")),
        "world_readable": is_world_readable(room),
        "guest_can_join": _content(room, "m.room.guest_access", "guest_access") == "can_join",
    }
    for event_type, key, name in _STRING_FIELDS:
        value = _content(room, event_type, key)
        if isinstance(value, str):
            entry[name] = value
    for key, name in (("type", "room_type"), ("room_version", "room_version")):
        value = _content(room, "m.room.create", key)
        if isinstance(value, str):
            entry[name] = value
    algorithm = _content(room, "m.room.encryption", "algorithm")
    if isinstance(algorithm, str):
        entry["encryption"] = algorithm
    return entry
