"""The room rules a real server enforces, as pure functions of room state.

Power levels follow the spec's defaults when a room has no
``m.room.power_levels`` event: the creator (sender of ``m.room.create``)
has 100, everyone else 0, state events need 0 and kick/ban/redact need 50.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.core.errors import forbidden
from mockserver.core.model import Event, StateKey

StateMap = Mapping[StateKey, Event]

#: The power level content createRoom gives a new room (before overrides).
DEFAULT_POWER_LEVELS: dict[str, Any] = {
    "users_default": 0,
    "events_default": 0,
    "state_default": 50,
    "ban": 50,
    "kick": 50,
    "redact": 50,
    "invite": 0,
    "events": {
        "m.room.name": 50,
        "m.room.power_levels": 100,
        "m.room.history_visibility": 100,
        "m.room.canonical_alias": 50,
        "m.room.avatar": 50,
        "m.room.tombstone": 100,
        "m.room.server_acl": 100,
        "m.room.encryption": 100,
    },
    "notifications": {"room": 50},
}


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


class PowerLevels:
    def __init__(self, state: StateMap) -> None:
        event = state.get(("m.room.power_levels", ""))
        create = state.get(("m.room.create", ""))
        self.content: Mapping[str, Any] = event.content if event is not None else {}
        self.explicit = event is not None
        self.creator = create.sender if create is not None else None

    def of_user(self, user_id: str) -> int:
        if not self.explicit:
            return 100 if user_id == self.creator else 0
        users = self.content.get("users")
        if isinstance(users, dict) and user_id in users:
            return _int(users[user_id], 0)
        return _int(self.content.get("users_default"), 0)

    def for_action(self, action: str) -> int:
        defaults = {"invite": 0, "kick": 50, "ban": 50, "redact": 50}
        return _int(self.content.get(action), defaults[action])

    def for_event(self, event_type: str, is_state: bool) -> int:
        events = self.content.get("events")
        if isinstance(events, dict) and event_type in events:
            return _int(events[event_type], 0)
        if is_state:
            return _int(self.content.get("state_default"), 50 if self.explicit else 0)
        return _int(self.content.get("events_default"), 0)


def membership_of(state: StateMap, user_id: str) -> str | None:
    event = state.get(("m.room.member", user_id))
    return event.membership if event is not None else None


def join_rule(state: StateMap) -> str:
    event = state.get(("m.room.join_rules", ""))
    if event is None:
        return "invite"
    rule = event.content.get("join_rule")
    return rule if isinstance(rule, str) else "invite"


def may_notify_room(state: StateMap, sender: str) -> bool:
    """Whether ``sender`` may mention the whole room (``@room``): their power level
    reaches ``notifications.room`` (50 unless the power levels say otherwise)."""
    levels = PowerLevels(state)
    notifications = levels.content.get("notifications")
    needed = _int(notifications.get("room"), 50) if isinstance(notifications, dict) else 50
    return levels.of_user(sender) >= needed


def check_can_send(state: StateMap, sender: str, event_type: str, state_key: str | None) -> None:
    """Raise ``M_FORBIDDEN`` unless ``sender`` may send this event."""
    if event_type == "m.room.create":
        raise forbidden("m.room.create can only be the first event of a room")
    if membership_of(state, sender) != "join":
        raise forbidden(f"User {sender} is not in the room")
    levels = PowerLevels(state)
    needed = levels.for_event(event_type, state_key is not None)
    if levels.of_user(sender) < needed:
        raise forbidden(
            f"You don't have permission to send {event_type} (needs power level {needed})"
        )


def check_membership_change(
    state: StateMap, sender: str, target: str, membership: str
) -> None:
    """Raise ``M_FORBIDDEN`` unless ``sender`` may move ``target`` to ``membership``."""
    current = membership_of(state, target)
    sender_membership = membership_of(state, sender)
    levels = PowerLevels(state)
    if membership == "join":
        if sender != target:
            raise forbidden("Cannot force another user to join")
        if current == "ban":
            raise forbidden(f"User {target} is banned from the room")
        if current in ("join", "invite"):
            return
        if join_rule(state) != "public":
            raise forbidden("You are not invited to this room.")
        return
    if membership == "invite":
        if sender_membership != "join":
            raise forbidden(f"User {sender} is not in the room")
        if current == "join":
            raise forbidden(f"{target} is already in the room.")
        if current == "ban":
            raise forbidden(f"{target} is banned from the room")
        if levels.of_user(sender) < levels.for_action("invite"):
            raise forbidden("You don't have permission to invite users")
        return
    if membership == "leave":
        if sender == target:
            if current not in ("join", "invite", "knock"):
                raise forbidden(f"User {target} is not in the room")
            return
        # Kick, or unban when the target is banned.
        if sender_membership != "join":
            raise forbidden(f"User {sender} is not in the room")
        if current == "ban":
            if levels.of_user(sender) < levels.for_action("ban"):
                raise forbidden("You don't have permission to unban users")
            return
        if current not in ("join", "invite", "knock"):
            raise forbidden(f"User {target} is not in the room")
        if levels.of_user(sender) < levels.for_action("kick"):
            raise forbidden("You don't have permission to kick users")
        if levels.of_user(sender) <= levels.of_user(target):
            raise forbidden("You cannot kick a user with an equal or higher power level")
        return
    if membership == "ban":
        if sender_membership != "join":
            raise forbidden(f"User {sender} is not in the room")
        if levels.of_user(sender) < levels.for_action("ban"):
            raise forbidden("You don't have permission to ban users")
        if sender != target and levels.of_user(sender) <= levels.of_user(target):
            raise forbidden("You cannot ban a user with an equal or higher power level")
        return
    if membership == "knock":
        if join_rule(state) not in ("knock", "knock_restricted") or not supports_knocking(state):
            raise forbidden("You don't have permission to knock")
        if sender != target:
            raise forbidden("You cannot knock for other users")
        if current == "join":
            raise forbidden("You cannot knock on a room you are already in")
        if current == "invite":
            raise forbidden("You are already invited to this room")
        if current == "ban":
            raise forbidden("You are banned from this room")
        return
    raise forbidden(f"Unsupported membership {membership!r}")


#: Room versions without the ``knock`` join rule (it came with version 7).
_NO_KNOCKING = frozenset({"1", "2", "3", "4", "5", "6"})


def supports_knocking(state: StateMap) -> bool:
    create = state.get(("m.room.create", ""))
    version = create.content.get("room_version", "1") if create is not None else "1"
    return version not in _NO_KNOCKING


def check_power_levels_content(state: StateMap, sender: str, content: Mapping[str, Any]) -> None:
    """A power level change may not grant or take levels above the sender's own."""
    levels = PowerLevels(state)
    own = levels.of_user(sender)
    users = content.get("users")
    if isinstance(users, dict):
        for user_id, value in users.items():
            new = _int(value, 0)
            old = levels.of_user(user_id)
            if new == old:
                continue
            if new > own:
                raise forbidden("You cannot grant a power level above your own")
            if user_id != sender and old >= own:
                raise forbidden("You cannot change the power level of a user at or above your own")


def check_can_redact(state: StateMap, sender: str, target: Event | None) -> None:
    if membership_of(state, sender) != "join":
        raise forbidden(f"User {sender} is not in the room")
    if target is not None and target.sender == sender:
        return
    levels = PowerLevels(state)
    if levels.of_user(sender) < levels.for_action("redact"):
        raise forbidden("You don't have permission to redact events")
