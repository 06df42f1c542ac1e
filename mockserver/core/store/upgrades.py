"""Room upgrades (``POST /rooms/{roomId}/upgrade``), in the steps Synapse takes.

1. The new room is created (private-chat preset) in the new version, its
   ``m.room.create`` naming the old room and the tombstone as
   ``predecessor`` and keeping the old room's ``type`` (a space stays a
   space) and ``m.federate: false``. It starts with a copy of the old
   room's join rules, name, topic, history visibility, guest access,
   avatar, encryption, server ACL and power levels (a space also keeps its
   children), the upgrader's level raised, if need be, to send them all.
2. Bans are copied.
3. The old room gets its ``m.room.tombstone`` pointing at the new one.
4. The old room's aliases move to the new room, with its canonical alias
   (sent in both rooms), and so does its listing in the public directory.
5. The old room's power levels are raised so that ordinary members can no
   longer talk or invite (``events_default`` and ``invite`` to at least 50),
   and the new room gets the old room's power levels as they were.

Everything that can refuse the upgrade is checked before step 1: the room
exists, the version is supported, the upgrader may send the tombstone.
Steps 4 and 5 in the old room are skipped where the upgrader lacks the
power, as Synapse skips them.
"""

from __future__ import annotations

import copy
from typing import Any

from mockserver.core import rules
from mockserver.core.errors import MatrixError
from mockserver.core.model import JsonDict
from mockserver.core.room import Room
from mockserver.core.store.rooms import SUPPORTED_ROOM_VERSIONS, CreateRoom, Rooms

M_UNSUPPORTED_ROOM_VERSION = "M_UNSUPPORTED_ROOM_VERSION"
COPIED_STATE = (
    "m.room.join_rules",
    "m.room.name",
    "m.room.topic",
    "m.room.history_visibility",
    "m.room.guest_access",
    "m.room.avatar",
    "m.room.encryption",
    "m.room.server_acl",
)
TOMBSTONE_BODY = "This room has been replaced"


def _level(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _raised_for(power_levels: JsonDict, user_id: str) -> JsonDict:
    """The power levels with ``user_id`` raised to what sending every state event needs."""
    raised = copy.deepcopy(power_levels)
    events = raised.get("events")
    event_levels = [_level(v, 0) for v in events.values()] if isinstance(events, dict) else []
    needed = max(
        _level(raised.get("state_default", 50), 50),
        _level(raised.get("ban", 50), 50),
        max(event_levels, default=0),
    )
    users = raised.setdefault("users", {})
    if isinstance(users, dict):
        if _level(users.get(user_id, raised.get("users_default", 0)), 0) < needed:
            users[user_id] = needed
    return raised


def _restricted(power_levels: JsonDict) -> JsonDict | None:
    """The old room's power levels once ordinary members may not talk or invite (None: as is)."""
    restricted = copy.deepcopy(power_levels)
    level = max(_level(restricted.get("users_default", 0), 0) + 1, 50)
    changed = False
    for key in ("invite", "events_default"):
        if _level(restricted.get(key, 0), 0) < level:
            restricted[key] = level
            changed = True
    return restricted if changed else None


def _send_if_allowed(rooms: Rooms, room: Room, user_id: str, event_type: str, content: JsonDict) -> None:
    state = room.state_now()
    try:
        rules.check_can_send(state, user_id, event_type, "")
        if event_type == "m.room.power_levels":
            rules.check_power_levels_content(state, user_id, content)
    except MatrixError:
        return
    rooms.persist(room, event_type, user_id, content, state_key="")


def upgrade_room(rooms: Rooms, user_id: str, old_room_id: str, new_version: str) -> str:
    """Replace ``old_room_id`` with a new room of ``new_version``; return the new room's id."""
    old = rooms.room(old_room_id)
    if new_version not in SUPPORTED_ROOM_VERSIONS:
        raise MatrixError(
            M_UNSUPPORTED_ROOM_VERSION, "Your homeserver does not support this room version"
        )
    state = old.state_now()
    rules.check_can_send(state, user_id, "m.room.tombstone", "")

    new_room_id = rooms.fresh_room_id()
    tombstone_id = rooms.fresh_event_id()
    create = state.get(("m.room.create", ""))
    old_create: JsonDict = create.content if create is not None else {}
    creation_content: JsonDict = {"predecessor": {"room_id": old_room_id, "event_id": tombstone_id}}
    if old_create.get("m.federate", True) is False:
        creation_content["m.federate"] = False
    room_type = old_create.get("type")
    if room_type is not None:
        creation_content["type"] = room_type
    initial: list[JsonDict] = [
        {"type": t, "state_key": "", "content": copy.deepcopy(e.content)}
        for t in COPIED_STATE
        if (e := state.get((t, ""))) is not None
    ]
    if room_type == "m.space":
        initial += [
            {"type": key[0], "state_key": key[1], "content": copy.deepcopy(e.content)}
            for key, e in state.items()
            if key[0] == "m.space.child" and e.content
        ]
    levels = state.get(("m.room.power_levels", ""))
    if levels is not None:
        raised = _raised_for(levels.content, user_id)
        initial.append({"type": "m.room.power_levels", "state_key": "", "content": raised})
    rooms.create_room(
        user_id,
        CreateRoom(
            preset="private_chat",
            room_version=new_version,
            creation_content=creation_content,
            initial_state=tuple(initial),
        ),
        room_id=new_room_id,
    )
    new = rooms.rooms[new_room_id]
    for key, event in state.items():
        if key[0] == "m.room.member" and event.membership == "ban":
            rooms.persist(new, "m.room.member", user_id, copy.deepcopy(event.content), state_key=key[1])

    tombstone = {"body": TOMBSTONE_BODY, "replacement_room": new_room_id}
    rooms.persist(old, "m.room.tombstone", user_id, tombstone, state_key="", event_id=tombstone_id)
    _move_aliases(rooms, old, new, user_id)
    if old_room_id in rooms.public_rooms:
        rooms.publish_room(old_room_id, False)
        rooms.publish_room(new_room_id, True)
    if levels is not None:
        restricted = _restricted(levels.content)
        if restricted is not None:
            _send_if_allowed(rooms, old, user_id, "m.room.power_levels", restricted)
        rooms.persist(new, "m.room.power_levels", user_id, copy.deepcopy(levels.content), state_key="")
    return new_room_id


def _move_aliases(rooms: Rooms, old: Room, new: Room, user_id: str) -> None:
    for alias in [a for a, room_id in rooms.aliases.items() if room_id == old.room_id]:
        rooms.aliases[alias] = new.room_id
    canonical = old.current("m.room.canonical_alias")
    if canonical is None or not canonical.content:
        return
    old_content = dict(canonical.content)
    new_content: JsonDict = {}
    alias = old_content.pop("alias", None)
    if isinstance(alias, str):
        new_content["alias"] = alias
    alt = old_content.pop("alt_aliases", None)
    if isinstance(alt, list) and alt:
        new_content["alt_aliases"] = list(alt)
    _send_if_allowed(rooms, old, user_id, "m.room.canonical_alias", old_content)
    rooms.persist(new, "m.room.canonical_alias", user_id, new_content, state_key="")
