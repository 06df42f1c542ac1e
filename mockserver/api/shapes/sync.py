"""JSON Schemas for today's ``/sync`` response and the events in it.

Transcribed by hand from the Matrix spec (matrix-org/matrix-spec,
``data/api/client-server/sync.yaml`` with its ``definitions/`` and the
event schemas under ``data/event-schemas/schema/``): the required fields
and types the spec publishes, nothing more. A few rules the spec states in
prose are added where a schema can say them (``state`` and ``state_after``
never together; ``m.heroes`` never empty strings). Tests validate every
stable ``/sync`` body they see against :data:`SYNC_RESPONSE`
(``tests/matrix_schemas.py``), and the OpenAPI document gives it as
``/sync``'s answer.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

USER_ID: Schema = {"type": "string", "pattern": "^@[^:]+:.+"}
EVENT_ID: Schema = {"type": "string", "pattern": r"^\$"}
ROOM_ID_PATTERN = "^!"

# data/api/client-server/definitions/client_event_without_room_id.yaml
UNSIGNED: Schema = {
    "type": "object",
    "properties": {
        "age": {"type": "integer"},
        "redacted_because": {"type": "object"},
        "transaction_id": {"type": "string"},
        "prev_content": {"type": "object"},
        "replaces_state": EVENT_ID,
        "membership": {"type": "string"},
    },
}

CLIENT_EVENT_WITHOUT_ROOM_ID: Schema = {
    "type": "object",
    "required": ["event_id", "type", "sender", "origin_server_ts", "content"],
    "properties": {
        "event_id": EVENT_ID,
        "type": {"type": "string"},
        "state_key": {"type": "string"},
        "sender": USER_ID,
        "origin_server_ts": {"type": "integer"},
        "content": {"type": "object"},
        "unsigned": UNSIGNED,
    },
    "not": {"required": ["room_id"]},
}

# A state event is a ClientEventWithoutRoomID with a state_key (sync_state_event.yaml).
STATE_EVENT: Schema = {"allOf": [CLIENT_EVENT_WITHOUT_ROOM_ID, {"required": ["state_key"]}]}

# definitions/state_event_batch.yaml (items must be state events: they are room state)
STATE_EVENT_BATCH: Schema = {
    "type": "object",
    "properties": {"events": {"type": "array", "items": STATE_EVENT}},
}

# definitions/timeline_batch.yaml
TIMELINE_BATCH: Schema = {
    "type": "object",
    "required": ["events"],
    "properties": {
        "limited": {"type": "boolean"},
        "prev_batch": {"type": "string"},
        "events": {"type": "array", "items": CLIENT_EVENT_WITHOUT_ROOM_ID},
    },
}

# core-event-schema/event.yaml and definitions/event_batch.yaml
EVENT: Schema = {
    "type": "object",
    "required": ["type", "content"],
    "properties": {"type": {"type": "string"}, "content": {"type": "object"}},
}


def event_batch(item: Schema = EVENT) -> Schema:
    return {"type": "object", "properties": {"events": {"type": "array", "items": item}}}


# event-schemas/schema/m.typing.yaml
TYPING_EVENT: Schema = {
    "allOf": [EVENT],
    "properties": {
        "type": {"enum": ["m.typing"]},
        "content": {
            "type": "object",
            "required": ["user_ids"],
            "properties": {"user_ids": {"type": "array", "items": USER_ID}},
        },
    },
}

# event-schemas/schema/m.receipt.yaml
_RECEIPT_USERS: Schema = {
    "type": "object",
    "patternProperties": {
        "^@": {
            "type": "object",
            "properties": {"ts": {"type": "integer"}, "thread_id": {"type": "string"}},
        }
    },
    "additionalProperties": False,
}
RECEIPT_EVENT: Schema = {
    "allOf": [EVENT],
    "properties": {
        "type": {"enum": ["m.receipt", "m.receipt.private"]},
        "content": {
            "type": "object",
            "patternProperties": {
                r"^\$": {
                    "type": "object",
                    "properties": {"m.read": _RECEIPT_USERS, "m.read.private": _RECEIPT_USERS},
                }
            },
            "additionalProperties": False,
        },
    },
}

# Ephemeral events in this version of the spec: typing and receipts.
EPHEMERAL_EVENT: Schema = {
    "allOf": [EVENT],
    "if": {"properties": {"type": {"const": "m.typing"}}},
    "then": TYPING_EVENT,
    "else": RECEIPT_EVENT,
}

# event-schemas/schema/m.presence.yaml
PRESENCE_EVENT: Schema = {
    "type": "object",
    "required": ["sender", "type", "content"],
    "properties": {
        "type": {"enum": ["m.presence"]},
        "sender": USER_ID,
        "content": {
            "type": "object",
            "required": ["presence"],
            "properties": {
                "avatar_url": {"type": "string", "pattern": "^mxc://"},
                "displayname": {"type": "string"},
                "last_active_ago": {"type": "number"},
                "presence": {"enum": ["online", "offline", "unavailable"]},
                "currently_active": {"type": "boolean"},
                "status_msg": {"type": "string"},
            },
        },
    },
}

# event-schemas/schema/core-event-schema/stripped_state.yaml
STRIPPED_STATE: Schema = {
    "type": "object",
    "required": ["type", "state_key", "content", "sender"],
    "properties": {
        "content": {"type": "object"},
        "state_key": {"type": "string"},
        "type": {"type": "string"},
        "sender": USER_ID,
    },
}

# modules/send_to_device.md, "Extensions to /sync"
TO_DEVICE_EVENT: Schema = {
    "type": "object",
    "required": ["content", "sender", "type"],
    "properties": {"content": {"type": "object"}, "sender": USER_ID, "type": {"type": "string"}},
}

_COUNTS: Schema = {
    "type": "object",
    "properties": {
        "highlight_count": {"type": "integer", "minimum": 0},
        "notification_count": {"type": "integer", "minimum": 0},
    },
}

# "MUST be omitted if use_state_after was set": never both.
_NOT_BOTH_STATES: Schema = {"not": {"required": ["state", "state_after"]}}

JOINED_ROOM: Schema = {
    "type": "object",
    "allOf": [_NOT_BOTH_STATES],
    "properties": {
        "summary": {
            "type": "object",
            "properties": {
                "m.heroes": {"type": "array", "items": USER_ID},
                "m.joined_member_count": {"type": "integer", "minimum": 0},
                "m.invited_member_count": {"type": "integer", "minimum": 0},
            },
        },
        "state": STATE_EVENT_BATCH,
        "state_after": STATE_EVENT_BATCH,
        "org.matrix.msc4222.state_after": STATE_EVENT_BATCH,
        "timeline": TIMELINE_BATCH,
        "ephemeral": event_batch(EPHEMERAL_EVENT),
        "account_data": event_batch(),
        "unread_notifications": _COUNTS,
        "unread_thread_notifications": {
            "type": "object",
            "patternProperties": {r"^\$": _COUNTS},
            "additionalProperties": False,
        },
    },
}

INVITED_ROOM: Schema = {
    "type": "object",
    "properties": {"invite_state": event_batch(STRIPPED_STATE)},
}

KNOCKED_ROOM: Schema = {
    "type": "object",
    "properties": {"knock_state": event_batch(STRIPPED_STATE)},
}

LEFT_ROOM: Schema = {
    "type": "object",
    "allOf": [_NOT_BOTH_STATES],
    "properties": {
        "state": STATE_EVENT_BATCH,
        "state_after": STATE_EVENT_BATCH,
        "org.matrix.msc4222.state_after": STATE_EVENT_BATCH,
        "timeline": TIMELINE_BATCH,
        "account_data": event_batch(),
    },
}


def _rooms_of(schema: Schema) -> Schema:
    return {
        "type": "object",
        "patternProperties": {ROOM_ID_PATTERN: schema},
        "additionalProperties": False,
    }


# data/api/client-server/sync.yaml, GET /sync, 200
SYNC_RESPONSE: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["next_batch"],
    "properties": {
        "next_batch": {"type": "string"},
        "rooms": {
            "type": "object",
            "properties": {
                "join": _rooms_of(JOINED_ROOM),
                "invite": _rooms_of(INVITED_ROOM),
                "knock": _rooms_of(KNOCKED_ROOM),
                "leave": _rooms_of(LEFT_ROOM),
            },
        },
        "presence": event_batch(PRESENCE_EVENT),
        "account_data": event_batch(),
        "to_device": event_batch(TO_DEVICE_EVENT),
        "device_lists": {
            "type": "object",
            "properties": {
                "changed": {"type": "array", "items": USER_ID},
                "left": {"type": "array", "items": USER_ID},
            },
        },
        "device_one_time_keys_count": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
        },
        "device_unused_fallback_key_types": {"type": "array", "items": {"type": "string"}},
    },
}
