"""Discovery: ``/versions``, ``/.well-known/matrix/client``, capabilities, push rules."""

from __future__ import annotations

from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.store import DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS

SPEC_VERSIONS = ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1"] + [
    f"v1.{minor}" for minor in range(1, 17)
]


@endpoint("/_matrix/client/versions", "GET", public=True)
async def get_versions(call: Call) -> Reply:
    return {"versions": SPEC_VERSIONS, "unstable_features": {}}


@endpoint("/.well-known/matrix/client", "GET", public=True)
async def get_well_known(call: Call) -> Reply:
    return {"m.homeserver": {"base_url": call.hs.base_url()}}


@endpoint("/capabilities", "GET")
async def get_capabilities(call: Call) -> Reply:
    return {
        "capabilities": {
            "m.room_versions": {
                "default": DEFAULT_ROOM_VERSION,
                "available": {version: "stable" for version in SUPPORTED_ROOM_VERSIONS},
            },
            "m.change_password": {"enabled": False},
            "m.set_displayname": {"enabled": True},
            "m.set_avatar_url": {"enabled": True},
            "m.3pid_changes": {"enabled": False},
        }
    }


def default_push_rules(user_id: str) -> dict[str, object]:
    """A small, valid default rule set: enough for clients to start, not a push engine."""
    localpart = user_id[1:].split(":", 1)[0]
    notify = ["notify"]
    sound = [*notify, {"set_tweak": "sound", "value": "default"}]
    return {
        "global": {
            "override": [
                {
                    "rule_id": ".m.rule.master",
                    "default": True,
                    "enabled": False,
                    "conditions": [],
                    "actions": [],
                },
                {
                    "rule_id": ".m.rule.suppress_notices",
                    "default": True,
                    "enabled": True,
                    "conditions": [
                        {"kind": "event_match", "key": "content.msgtype", "pattern": "m.notice"}
                    ],
                    "actions": [],
                },
                {
                    "rule_id": ".m.rule.invite_for_me",
                    "default": True,
                    "enabled": True,
                    "conditions": [
                        {"kind": "event_match", "key": "type", "pattern": "m.room.member"},
                        {"kind": "event_match", "key": "content.membership", "pattern": "invite"},
                        {"kind": "event_match", "key": "state_key", "pattern": user_id},
                    ],
                    "actions": sound,
                },
                {
                    "rule_id": ".m.rule.member_event",
                    "default": True,
                    "enabled": True,
                    "conditions": [
                        {"kind": "event_match", "key": "type", "pattern": "m.room.member"}
                    ],
                    "actions": [],
                },
            ],
            "content": [
                {
                    "rule_id": ".m.rule.contains_user_name",
                    "default": True,
                    "enabled": True,
                    "pattern": localpart,
                    "actions": [*sound, {"set_tweak": "highlight"}],
                }
            ],
            "room": [],
            "sender": [],
            "underride": [
                {
                    "rule_id": ".m.rule.message",
                    "default": True,
                    "enabled": True,
                    "conditions": [
                        {"kind": "event_match", "key": "type", "pattern": "m.room.message"}
                    ],
                    "actions": notify,
                },
                {
                    "rule_id": ".m.rule.encrypted",
                    "default": True,
                    "enabled": True,
                    "conditions": [
                        {"kind": "event_match", "key": "type", "pattern": "m.room.encrypted"}
                    ],
                    "actions": notify,
                },
            ],
        }
    }


@endpoint("/pushrules/", "GET")
async def get_push_rules(call: Call) -> Reply:
    return default_push_rules(call.user_id)


@endpoint("/pushrules", "GET")
async def get_push_rules_no_slash(call: Call) -> Reply:
    return default_push_rules(call.user_id)


unprefixed_routes = [get_versions, get_well_known]
routes = [get_capabilities, get_push_rules, get_push_rules_no_slash]
