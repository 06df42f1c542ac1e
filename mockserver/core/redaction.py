"""What a redaction leaves of an event's content (room versions 1-10 rules)."""

from __future__ import annotations

from mockserver.core.model import JsonDict

_KEPT_CONTENT: dict[str, tuple[str, ...]] = {
    "m.room.member": ("membership", "join_authorised_via_users_server"),
    "m.room.create": ("creator",),
    "m.room.join_rules": ("join_rule", "allow"),
    "m.room.power_levels": (
        "ban",
        "events",
        "events_default",
        "kick",
        "redact",
        "state_default",
        "users",
        "users_default",
        "invite",
    ),
    "m.room.history_visibility": ("history_visibility",),
}


def redacted_content(event_type: str, content: JsonDict) -> JsonDict:
    kept = _KEPT_CONTENT.get(event_type, ())
    if event_type == "m.room.create":
        return dict(content)
    return {key: content[key] for key in kept if key in content}
