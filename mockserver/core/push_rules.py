"""Push rules: the server-default rule set Synapse serves, and evaluating rules on an event.

The default set is Synapse's base rules as its ``GET /pushrules/`` formats
them with its default configuration: the rules behind experimental flags
that are off by default (extensible events, MSC3664 replies, polls,
MSC4028 encrypted events, MSC4306 thread subscriptions) are left out, and
``user_id``/``user_localpart`` pattern types are filled in for the user.
Evaluation follows the spec's push rule semantics as Synapse implements
them: the first enabled rule whose conditions all hold gives the actions,
``content.body`` is matched word by word, every glob is case-insensitive,
an unknown condition never holds, and an event with ``m.mentions`` skips
the legacy body-based mention rules.

Pure: no store, no clock. What an evaluation needs of the room comes in a
:class:`PushContext`, whose costlier facts (member count, power levels)
are asked for only when a condition needs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

JsonDict = dict[str, Any]
KINDS = ("override", "content", "room", "sender", "underride")
#: Rule kinds as Synapse lists them in ``global`` (``postcontent`` is MSC4306's, empty here).
RESPONSE_KINDS = ("underride", "sender", "room", "postcontent", "content", "override")

SOUND_DEFAULT: JsonDict = {"set_tweak": "sound", "value": "default"}
SOUND_RING: JsonDict = {"set_tweak": "sound", "value": "ring"}
HIGHLIGHT: JsonDict = {"set_tweak": "highlight"}
NO_HIGHLIGHT: JsonDict = {"set_tweak": "highlight", "value": False}
#: Rules Synapse skips for an event that carries ``m.mentions`` (the spec's legacy mentions).
LEGACY_MENTION_RULES = frozenset(
    {".m.rule.contains_display_name", ".m.rule.contains_user_name", ".m.rule.roomnotif"}
)


def _match(key: str, pattern: str) -> JsonDict:
    return {"kind": "event_match", "key": key, "pattern": pattern}


def _one_to_one(event_type: str) -> list[JsonDict]:
    return [_match("type", event_type), {"kind": "room_member_count", "is": "2"}]


def _rule(rule_id: str, conditions: list[JsonDict], actions: list[Any], enabled: bool = True) -> JsonDict:
    return {
        "rule_id": rule_id,
        "default": True,
        "enabled": enabled,
        "conditions": conditions,
        "actions": actions,
    }


def default_push_rules(user_id: str) -> JsonDict:
    """``GET /pushrules/`` for ``user_id`` on a server with Synapse's default rules."""
    localpart = user_id[1:].split(":", 1)[0]
    mentions = [
        "notify",
        HIGHLIGHT,
        SOUND_DEFAULT,
    ]
    override = [
        _rule(".m.rule.master", [], [], enabled=False),
        _rule(".m.rule.suppress_notices", [_match("content.msgtype", "m.notice")], []),
        _rule(
            ".m.rule.invite_for_me",
            [
                _match("type", "m.room.member"),
                _match("content.membership", "invite"),
                _match("state_key", user_id),
            ],
            ["notify", NO_HIGHLIGHT, SOUND_DEFAULT],
        ),
        _rule(".m.rule.member_event", [_match("type", "m.room.member")], []),
        _rule(
            ".m.rule.is_user_mention",
            [{"kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": user_id}],
            mentions,
        ),
        _rule(".m.rule.contains_display_name", [{"kind": "contains_display_name"}], mentions),
        _rule(
            ".m.rule.is_room_mention",
            [
                {"kind": "event_property_is", "key": "content.m\\.mentions.room", "value": True},
                {"kind": "sender_notification_permission", "key": "room"},
            ],
            ["notify", HIGHLIGHT],
        ),
        _rule(
            ".m.rule.roomnotif",
            [
                {"kind": "sender_notification_permission", "key": "room"},
                _match("content.body", "@room"),
            ],
            ["notify", HIGHLIGHT],
        ),
        _rule(
            ".m.rule.tombstone",
            [_match("type", "m.room.tombstone"), _match("state_key", "")],
            ["notify", HIGHLIGHT],
        ),
        _rule(".m.rule.reaction", [_match("type", "m.reaction")], []),
        _rule(
            ".m.rule.room.server_acl",
            [_match("type", "m.room.server_acl"), _match("state_key", "")],
            [],
        ),
        _rule(
            ".m.rule.suppress_edits",
            [{"kind": "event_property_is", "key": "content.m\\.relates_to.rel_type", "value": "m.replace"}],
            [],
        ),
    ]
    content = [
        {
            "actions": mentions,
            "pattern": localpart,
            "rule_id": ".m.rule.contains_user_name",
            "default": True,
            "enabled": True,
        }
    ]
    one_to_one_actions = ["notify", SOUND_DEFAULT, NO_HIGHLIGHT]
    underride = [
        _rule(".m.rule.call", [_match("type", "m.call.invite")], ["notify", SOUND_RING, NO_HIGHLIGHT]),
        _rule(".m.rule.encrypted_room_one_to_one", _one_to_one("m.room.encrypted"), one_to_one_actions),
        _rule(".m.rule.room_one_to_one", _one_to_one("m.room.message"), one_to_one_actions),
        _rule(".m.rule.message", [_match("type", "m.room.message")], ["notify", NO_HIGHLIGHT]),
        _rule(".m.rule.encrypted", [_match("type", "m.room.encrypted")], ["notify", NO_HIGHLIGHT]),
        _rule(
            ".im.vector.jitsi",
            [
                _match("type", "im.vector.modular.widgets"),
                _match("content.type", "jitsi"),
                _match("state_key", "*"),
            ],
            ["notify", NO_HIGHLIGHT],
        ),
    ]
    rules: dict[str, list[JsonDict]] = {kind: [] for kind in RESPONSE_KINDS}
    rules.update(override=override, content=content, underride=underride)
    return {"global": rules}


# -- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PushContext:
    """What rules may ask about the room, for one user, just before the event.

    The callables are asked only when a condition needs their answer.
    """

    user_id: str
    display_name: str | None
    member_count: Callable[[], int]
    sender_power_level: Callable[[], int]
    #: The room's ``notifications`` power levels (``room`` defaults to 50).
    notification_levels: Callable[[], Mapping[str, int]]


def split_key(key: str) -> list[str]:
    """A dotted key's parts; ``\\.`` is a literal dot and ``\\\\`` a backslash."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in key:
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


_MISSING: Any = object()


def event_property(event: Mapping[str, Any], key: str) -> Any:
    value: Any = event
    for part in split_key(key):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


@lru_cache(maxsize=512)
def _glob(pattern: str, words: bool) -> re.Pattern[str]:
    body = "".join(
        ".*?" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    if words:
        return re.compile(rf"(?:^|\b|\W){body}(?:\b|\W|$)", re.IGNORECASE | re.DOTALL)
    return re.compile(rf"{body}", re.IGNORECASE | re.DOTALL)


def glob_matches(pattern: str, value: str, *, words: bool) -> bool:
    regex = _glob(pattern, words)
    return bool(regex.search(value) if words else regex.fullmatch(value))


_MEMBER_COUNT = re.compile(r"^(==|<=|>=|<|>)?([0-9]+)$")


def member_count_matches(expression: Any, count: int) -> bool:
    if not isinstance(expression, str):
        return False
    found = _MEMBER_COUNT.match(expression)
    if found is None:
        return False
    operator, number = found.group(1) or "==", int(found.group(2))
    return {
        "==": count == number,
        "<": count < number,
        ">": count > number,
        "<=": count <= number,
        ">=": count >= number,
    }[operator]


def _condition_holds(condition: Any, event: Mapping[str, Any], context: PushContext) -> bool:
    if not isinstance(condition, Mapping):
        return False
    kind = condition.get("kind")
    key = condition.get("key")
    if kind == "event_match":
        pattern = condition.get("pattern")
        if not isinstance(key, str) or not isinstance(pattern, str):
            return False
        value = event_property(event, key)
        return isinstance(value, str) and glob_matches(pattern, value, words=key == "content.body")
    if kind == "event_property_is":
        value = event_property(event, key) if isinstance(key, str) else _MISSING
        wanted = condition.get("value", _MISSING)
        return value is not _MISSING and _same_scalar(value, wanted)
    if kind == "event_property_contains":
        value = event_property(event, key) if isinstance(key, str) else _MISSING
        wanted = condition.get("value", _MISSING)
        return isinstance(value, list) and any(_same_scalar(item, wanted) for item in value)
    if kind == "contains_display_name":
        body = event_property(event, "content.body")
        name = context.display_name
        return isinstance(body, str) and bool(name) and glob_matches(name or "", body, words=True)
    if kind == "room_member_count":
        return member_count_matches(condition.get("is"), context.member_count())
    if kind == "sender_notification_permission":
        if not isinstance(key, str):
            return False
        needed = context.notification_levels().get(key, 50)
        return context.sender_power_level() >= needed
    return False


def _same_scalar(value: Any, wanted: Any) -> bool:
    """Equality of JSON scalars, where ``True`` is not ``1``."""
    if isinstance(value, (dict, list)) or isinstance(wanted, (dict, list)):
        return False
    return type(value) is type(wanted) and value == wanted


def _conditions(kind: str, rule: Mapping[str, Any]) -> list[Any] | None:
    """A rule's conditions; content, room and sender rules' are implied by their kind."""
    if kind == "content":
        pattern = rule.get("pattern")
        return [_match("content.body", pattern)] if isinstance(pattern, str) else None
    if kind == "room":
        return [_match("room_id", rule.get("rule_id", ""))]
    if kind == "sender":
        return [_match("sender", rule.get("rule_id", ""))]
    conditions = rule.get("conditions", [])
    return conditions if isinstance(conditions, list) else None


def evaluate(rules: Mapping[str, Any], event: Mapping[str, Any], context: PushContext) -> list[Any]:
    """The actions of the first enabled rule that matches ``event`` ([] when none does).

    ``rules`` is a ``GET /pushrules/`` body; ``dont_notify`` and ``coalesce``
    are dropped from the answer, as Synapse drops them.
    """
    ruleset = rules.get("global", {})
    has_mentions = isinstance(event.get("content"), Mapping) and "m.mentions" in event["content"]
    for kind in KINDS:
        for rule in ruleset.get(kind, []):
            if not rule.get("enabled", True):
                continue
            if has_mentions and rule.get("rule_id") in LEGACY_MENTION_RULES:
                continue
            conditions = _conditions(kind, rule)
            if conditions is None:
                continue
            if all(_condition_holds(c, event, context) for c in conditions):
                return [a for a in rule.get("actions", []) if a not in ("dont_notify", "coalesce")]
    return []


def notifies(actions: list[Any]) -> bool:
    return "notify" in actions


def highlights(actions: list[Any]) -> bool:
    """Whether the actions set the highlight tweak (to true, or with no value)."""
    return any(
        isinstance(a, Mapping) and a.get("set_tweak") == "highlight" and a.get("value", True) is True
        for a in actions
    )
