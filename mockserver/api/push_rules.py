"""``GET /pushrules/``: the spec's server-default push rules for the user.

mockserver has no push engine; clients only need a complete, valid rule set
to start (matrix-js-sdk fetches ``pushrules/`` before its first ``/sync``
and warns about every default rule it misses). The rules are the spec's
predefined ones as of v1.16 (the last version mockserver announces), in the
spec's order, including the body-based mention rules v1.17 dropped: they
match how mockserver counts highlights (see ``Store._highlighted``).
"""

from __future__ import annotations

from typing import Any

from mockserver.api.routing import Call, Reply, endpoint

Rule = dict[str, Any]

NOTIFY_SOUND: list[Any] = ["notify", {"set_tweak": "sound", "value": "default"}]
HIGHLIGHT_SOUND: list[Any] = [*NOTIFY_SOUND, {"set_tweak": "highlight"}]
HIGHLIGHT: list[Any] = ["notify", {"set_tweak": "highlight"}]


def _rule(rule_id: str, conditions: list[Rule], actions: list[Any], enabled: bool = True) -> Rule:
    return {
        "rule_id": rule_id,
        "default": True,
        "enabled": enabled,
        "conditions": conditions,
        "actions": actions,
    }


def _match(key: str, pattern: str) -> Rule:
    return {"kind": "event_match", "key": key, "pattern": pattern}


def _property_is(key: str, value: Any) -> Rule:
    return {"kind": "event_property_is", "key": key, "value": value}


def _one_to_one(event_type: str) -> list[Rule]:
    return [{"kind": "room_member_count", "is": "2"}, _match("type", event_type)]


def default_push_rules(user_id: str) -> dict[str, Any]:
    localpart = user_id[1:].split(":", 1)[0]
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
            NOTIFY_SOUND,
        ),
        _rule(".m.rule.member_event", [_match("type", "m.room.member")], []),
        _rule(
            ".m.rule.is_user_mention",
            [
                {
                    "kind": "event_property_contains",
                    "key": "content.m\\.mentions.user_ids",
                    "value": user_id,
                }
            ],
            HIGHLIGHT_SOUND,
        ),
        _rule(".m.rule.contains_display_name", [{"kind": "contains_display_name"}], HIGHLIGHT_SOUND),
        _rule(
            ".m.rule.is_room_mention",
            [
                _property_is("content.m\\.mentions.room", True),
                {"kind": "sender_notification_permission", "key": "room"},
            ],
            HIGHLIGHT,
        ),
        _rule(
            ".m.rule.roomnotif",
            [
                _match("content.body", "@room"),
                {"kind": "sender_notification_permission", "key": "room"},
            ],
            HIGHLIGHT,
        ),
        _rule(
            ".m.rule.tombstone",
            [_match("type", "m.room.tombstone"), _match("state_key", "")],
            HIGHLIGHT,
        ),
        _rule(".m.rule.reaction", [_match("type", "m.reaction")], []),
        _rule(
            ".m.rule.room.server_acl",
            [_match("type", "m.room.server_acl"), _match("state_key", "")],
            [],
        ),
        _rule(
            ".m.rule.suppress_edits",
            [_property_is("content.m\\.relates_to.rel_type", "m.replace")],
            [],
        ),
    ]
    content = [
        {
            "rule_id": ".m.rule.contains_user_name",
            "default": True,
            "enabled": True,
            "pattern": localpart,
            "actions": HIGHLIGHT_SOUND,
        }
    ]
    underride = [
        _rule(
            ".m.rule.call",
            [_match("type", "m.call.invite")],
            ["notify", {"set_tweak": "sound", "value": "ring"}],
        ),
        _rule(".m.rule.encrypted_room_one_to_one", _one_to_one("m.room.encrypted"), NOTIFY_SOUND),
        _rule(".m.rule.room_one_to_one", _one_to_one("m.room.message"), NOTIFY_SOUND),
        _rule(".m.rule.message", [_match("type", "m.room.message")], ["notify"]),
        _rule(".m.rule.encrypted", [_match("type", "m.room.encrypted")], ["notify"]),
    ]
    return {
        "global": {
            "override": override,
            "content": content,
            "room": [],
            "sender": [],
            "underride": underride,
        }
    }


@endpoint("/pushrules/", "GET")
async def get_push_rules(call: Call) -> Reply:
    return default_push_rules(call.user_id)


@endpoint("/pushrules", "GET")
async def get_push_rules_no_slash(call: Call) -> Reply:
    return default_push_rules(call.user_id)


routes = [get_push_rules, get_push_rules_no_slash]
