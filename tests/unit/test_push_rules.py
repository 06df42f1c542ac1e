"""The pure push-rule evaluator against the default rules, as a table of events."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.push_rules import (
    PushContext,
    default_push_rules,
    evaluate,
    glob_matches,
    highlights,
    member_count_matches,
    notifies,
    split_key,
)

ME = "@alice:localhost"
RULES = default_push_rules(ME)


def context(members: int = 3, sender_level: int = 0, name: str | None = "Alice") -> PushContext:
    return PushContext(
        user_id=ME,
        display_name=name,
        member_count=lambda: members,
        sender_power_level=lambda: sender_level,
        notification_levels=lambda: {"room": 50},
    )


def message(body: str, **content: Any) -> dict[str, Any]:
    return {"type": "m.room.message", "sender": "@bob:localhost", "content": {"msgtype": "m.text", "body": body, **content}}


CASES = [
    ("plain message notifies", message("hi"), context(), True, False),
    ("one-to-one message notifies with sound", message("hi"), context(members=2), True, False),
    ("notice is suppressed", message("hi", msgtype="m.notice"), context(), False, False),
    ("display name as a word highlights", message("hey alice!"), context(), True, True),
    ("display name inside a word does not", message("malice"), context(), True, False),
    ("localpart highlights", message("ALICE"), context(name=None), True, True),
    (
        "m.mentions user highlights",
        message("hi", **{"m.mentions": {"user_ids": [ME]}}),
        context(),
        True,
        True,
    ),
    (
        "m.mentions without me skips legacy name rules",
        message("alice", **{"m.mentions": {}}),
        context(),
        True,
        False,
    ),
    ("@room from a moderator highlights", message("@room look"), context(sender_level=50), True, True),
    ("@room from anyone else does not", message("@room look"), context(sender_level=0), True, False),
    (
        "edit is suppressed",
        message("* hi", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}),
        context(),
        False,
        False,
    ),
    ("reaction is silent", {"type": "m.reaction", "sender": "@bob:localhost", "content": {}}, context(), False, False),
    (
        "invite for me notifies",
        {"type": "m.room.member", "state_key": ME, "sender": "@bob:localhost", "content": {"membership": "invite"}},
        context(),
        True,
        False,
    ),
    (
        "other member events are silent",
        {"type": "m.room.member", "state_key": "@c:localhost", "sender": "@c:localhost", "content": {"membership": "join"}},
        context(),
        False,
        False,
    ),
    (
        "tombstone highlights",
        {"type": "m.room.tombstone", "state_key": "", "sender": "@bob:localhost", "content": {}},
        context(),
        True,
        True,
    ),
    ("call invite rings", {"type": "m.call.invite", "sender": "@bob:localhost", "content": {}}, context(), True, False),
    ("unknown type is silent", {"type": "org.example", "sender": "@bob:localhost", "content": {}}, context(), False, False),
]


@pytest.mark.parametrize(("event", "ctx", "notify", "highlight"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_default_rules(event: dict[str, Any], ctx: PushContext, notify: bool, highlight: bool) -> None:
    actions = evaluate(RULES, event, ctx)
    assert notifies(actions) is notify
    assert highlights(actions) is highlight


def test_one_to_one_and_call_tweaks() -> None:
    assert evaluate(RULES, message("hi"), context(members=2)) == [
        "notify",
        {"set_tweak": "sound", "value": "default"},
        {"set_tweak": "highlight", "value": False},
    ]
    call = {"type": "m.call.invite", "sender": "@bob:localhost", "content": {}}
    assert {"set_tweak": "sound", "value": "ring"} in evaluate(RULES, call, context())


def test_master_rule_when_enabled_silences_everything() -> None:
    rules = default_push_rules(ME)
    rules["global"]["override"][0]["enabled"] = True
    assert evaluate(rules, message("alice"), context()) == []


def test_default_set_is_synapses() -> None:
    ids = {kind: [r["rule_id"] for r in rules] for kind, rules in RULES["global"].items()}
    assert ids["override"] == [
        ".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
        ".m.rule.is_user_mention", ".m.rule.contains_display_name", ".m.rule.is_room_mention",
        ".m.rule.roomnotif", ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl",
        ".m.rule.suppress_edits",
    ]
    assert ids["content"] == [".m.rule.contains_user_name"]
    assert ids["underride"] == [
        ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one",
        ".m.rule.message", ".m.rule.encrypted", ".im.vector.jitsi",
    ]
    assert ids["room"] == ids["sender"] == ids["postcontent"] == []
    assert RULES["global"]["content"][0]["pattern"] == "alice"


@pytest.mark.parametrize(
    ("pattern", "value", "words", "expected"),
    [
        ("m.room.*", "m.room.message", False, True),
        ("m.room.?essage", "M.ROOM.MESSAGE", False, True),
        ("m.room", "m.room.message", False, False),
        ("cake", "I like cake.", True, True),
        ("cake", "cupcakes", True, False),
        ("ca*", "a carrot", True, True),
    ],
)
def test_globs(pattern: str, value: str, words: bool, expected: bool) -> None:
    assert glob_matches(pattern, value, words=words) is expected


@pytest.mark.parametrize(
    ("expression", "count", "expected"),
    [("2", 2, True), ("==2", 3, False), ("<3", 2, True), (">=10", 10, True), (">1", 1, False), ("x", 1, False)],
)
def test_member_count(expression: str, count: int, expected: bool) -> None:
    assert member_count_matches(expression, count) is expected


def test_split_key_escapes_dots() -> None:
    assert split_key("content.m\\.mentions.user_ids") == ["content", "m.mentions", "user_ids"]
