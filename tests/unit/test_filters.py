"""Filter validation (every refusal is ``M_BAD_JSON``) and the pure matching rules."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mockserver.core.errors import M_BAD_JSON, MatrixError
from mockserver.core.filters import (
    EMPTY_EVENT_FILTER,
    EMPTY_FILTER,
    MAX_LIMIT,
    EventFilter,
    matches_any,
    parse_event_filter,
    parse_filter,
    project_fields,
)


@pytest.mark.parametrize(
    "definition",
    [
        [],
        "filter",
        None,
        {"room": []},
        {"room": {"timeline": []}},
        {"room": {"timeline": {"limit": -1}}},
        {"room": {"timeline": {"limit": -3}}},
        {"room": {"timeline": {"limit": "10"}}},
        {"room": {"timeline": {"limit": 1.5}}},
        {"room": {"timeline": {"limit": True}}},
        {"room": {"timeline": {"types": "m.room.message"}}},
        {"room": {"timeline": {"types": [1]}}},
        {"room": {"state": {"not_types": [None]}}},
        {"room": {"ephemeral": {"senders": {"a": 1}}}},
        {"room": {"timeline": {"not_senders": "@a:x"}}},
        {"room": {"timeline": {"rooms": "!r:x"}}},
        {"room": {"timeline": {"not_rooms": [3]}}},
        {"room": {"timeline": {"contains_url": "yes"}}},
        {"room": {"state": {"lazy_load_members": 1}}},
        {"room": {"rooms": "!r:x"}},
        {"room": {"include_leave": "true"}},
        {"presence": []},
        {"presence": {"limit": -1}},
        {"presence": {"senders": "@a:x"}},
        {"account_data": {"types": [1]}},
        {"event_fields": "content.body"},
        {"event_fields": [1]},
        {"event_format": "json"},
    ],
)
def test_invalid_filters_are_bad_json(definition: Any) -> None:
    with pytest.raises(MatrixError) as caught:
        parse_filter(definition)
    assert caught.value.errcode == M_BAD_JSON
    assert caught.value.status == 400


def test_unknown_keys_are_ignored_like_the_seed_examples_emphemeral() -> None:
    parsed = parse_filter(
        {"room": {"emphemeral": {"types": []}, "timeline": {"limit": 5}}, "future": 1}
    )
    assert parsed.ephemeral == EMPTY_EVENT_FILTER
    assert parsed.timeline.limit == 5


def test_empty_filter_imposes_nothing() -> None:
    assert parse_filter({}) == EMPTY_FILTER
    assert EMPTY_EVENT_FILTER.allows("anything", "@anyone:x", {"url": "mxc://x/y"})
    assert EMPTY_EVENT_FILTER.allows_room("!any:x")
    assert EMPTY_EVENT_FILTER.limit_or() == 10


def test_limit_is_clamped_not_rejected() -> None:
    assert parse_event_filter({"limit": 10**9}).limit == MAX_LIMIT


@pytest.mark.parametrize(
    ("value", "patterns", "expected"),
    [
        ("m.room.message", ["m.room.message"], True),
        ("m.room.message", ["m.room.*"], True),
        ("m.room.message", ["m.*"], True),
        ("m.room.message", ["*"], True),
        ("m.room.message", ["*.message"], True),
        ("m.room.message", ["m.*.message"], True),
        ("m.room.message", ["m.room"], False),
        ("m.room.message", ["m.room.messag"], False),
        ("m.roomXmessage", ["m.room.message"], False),  # '.' is literal, not a regex dot
        ("m.room.message", ["m.room.message.*"], False),
        ("m.room.message", [], False),
        ("a+b", ["a+b"], True),
        ("a(b", ["a(*"], True),
        ("a\nb", ["*"], True),  # '*' spans any character, newlines included
        ("a\nb", ["a*b"], True),
        ("m.room.message\n", ["m.room.message"], False),
    ],
)
def test_globs(value: str, patterns: list[str], expected: bool) -> None:
    assert matches_any(value, patterns) is expected


def test_types_empty_list_matches_nothing() -> None:
    nothing = parse_event_filter({"types": []})
    assert not nothing.allows("m.room.message", "@a:x")
    assert not nothing.allows("m.typing", None)
    assert parse_event_filter({"senders": []}).allows("m.room.message", "@a:x") is False
    assert parse_event_filter({"rooms": []}).allows_room("!r:x") is False


def test_not_lists_win_over_positive_lists() -> None:
    event_filter = parse_event_filter(
        {
            "types": ["m.room.*"],
            "not_types": ["m.room.member"],
            "senders": ["@a:x", "@b:x"],
            "not_senders": ["@b:x"],
            "rooms": ["!yes:x", "!no:x"],
            "not_rooms": ["!no:x"],
        }
    )
    assert event_filter.allows("m.room.message", "@a:x")
    assert not event_filter.allows("m.room.member", "@a:x")
    assert not event_filter.allows("m.room.message", "@b:x")
    assert not event_filter.allows("m.presence", "@a:x")
    assert event_filter.allows_room("!yes:x")
    assert not event_filter.allows_room("!no:x")
    assert parse_event_filter({"types": ["*"], "not_types": ["*"]}).allows("t", "@a:x") is False


@pytest.mark.parametrize("key", ["rooms", "senders"])
def test_room_and_sender_lists_are_exact_ids_not_patterns(key: str) -> None:
    # The spec has wildcards in types only; Synapse compares rooms and senders exactly.
    listed = parse_event_filter({key: ["*", "!a*", "@a*"]})
    excluded = parse_event_filter({f"not_{key}": ["*", "!a*", "@a*"]})
    for value in ["!ab:x", "@ab:x"]:
        allowed = listed.allows_room(value) if key == "rooms" else listed.allows("t", value)
        assert not allowed
        allowed = excluded.allows_room(value) if key == "rooms" else excluded.allows("t", value)
        assert allowed
    assert listed.allows_room("*") if key == "rooms" else listed.allows("t", "*")


def test_sender_lists_and_events_without_sender() -> None:
    """Typing has no sender: a ``senders`` list excludes it, ``not_senders`` does not."""
    assert not parse_event_filter({"senders": ["@a:x"]}).allows("m.typing", None)
    assert parse_event_filter({"not_senders": ["@a:x"]}).allows("m.typing", None)


@pytest.mark.parametrize(
    ("contains_url", "content", "expected"),
    [
        (True, {"url": "mxc://h/m"}, True),
        (True, {"body": "x"}, False),
        (False, {"url": "mxc://h/m"}, False),
        (False, {"body": "x"}, True),
        (None, {"url": "mxc://h/m"}, True),
        (None, {}, True),
    ],
)
def test_contains_url(contains_url: bool | None, content: dict[str, Any], expected: bool) -> None:
    definition: dict[str, Any] = {}
    if contains_url is not None:
        definition["contains_url"] = contains_url
    assert parse_event_filter(definition).allows("m.room.message", "@a:x", content) is expected


def test_room_level_and_section_filters_are_parsed_separately() -> None:
    parsed = parse_filter(
        {
            "room": {
                "rooms": ["!a:x"],
                "not_rooms": ["!b:x"],
                "include_leave": True,
                "timeline": {"limit": 3, "types": ["m.room.message"]},
                "state": {"types": ["m.room.name"], "lazy_load_members": True},
                "ephemeral": {"not_types": ["m.typing"]},
                "account_data": {"types": ["m.tag"]},
            },
            "presence": {"senders": ["@a:x"], "limit": 2},
            "account_data": {"not_types": ["*"]},
            "event_fields": ["content.body"],
            "event_format": "federation",
        }
    )
    assert parsed.allows_room("!a:x") and not parsed.allows_room("!b:x")
    assert not parsed.allows_room("!c:x")
    assert parsed.include_leave
    assert parsed.timeline == EventFilter(limit=3, types=("m.room.message",))
    assert parsed.state.lazy_load_members and parsed.state.types == ("m.room.name",)
    assert not parsed.ephemeral.allows("m.typing", None)
    assert parsed.room_account_data.types == ("m.tag",)
    assert parsed.presence == EventFilter(limit=2, senders=frozenset({"@a:x"}))
    assert not parsed.account_data.allows("m.direct", None)
    assert parsed.event_fields == ("content.body",)
    assert parsed.event_format == "federation"


def test_is_limit_only() -> None:
    assert EventFilter(limit=4).is_limit_only()
    assert EMPTY_EVENT_FILTER.is_limit_only()
    assert not EventFilter(types=("*",)).is_limit_only()
    assert not EventFilter(not_rooms=frozenset({"!a:x"})).is_limit_only()


@pytest.mark.parametrize(
    "name", [f.name for f in dataclasses.fields(EventFilter) if f.name != "limit"]
)
def test_is_limit_only_is_false_once_any_other_field_is_set(name: str) -> None:
    default = getattr(EMPTY_EVENT_FILTER, name)
    changed = {None: ("x",), (): ("x",), frozenset(): frozenset("x"), False: True}[default]
    if name == "contains_url":
        changed = False
    assert not dataclasses.replace(EMPTY_EVENT_FILTER, **{name: changed}).is_limit_only()


EVENT = {
    "type": "m.room.message",
    "sender": "@a:x",
    "content": {"body": "hi", "msgtype": "m.text", "m.relates_to": {"rel_type": "x"}},
    "origin_server_ts": 5,
    "unsigned": {"age": 1},
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([], {}),
        (["type"], {"type": "m.room.message"}),
        (["content.body"], {"content": {"body": "hi"}}),
        (
            ["content.body", "sender", "content.msgtype"],
            {"content": {"body": "hi", "msgtype": "m.text"}, "sender": "@a:x"},
        ),
        (["content.m\\.relates_to"], {"content": {"m.relates_to": {"rel_type": "x"}}}),
        (["content.m\\.relates_to.rel_type"], {"content": {"m.relates_to": {"rel_type": "x"}}}),
        (["content.m.relates_to"], {}),  # without the escape, 'm' is looked up: absent
        (["content.missing", "nothing"], {}),
        (["type.deeper"], {}),  # a path through a non-object is absent
    ],
)
def test_event_fields_projection(fields: list[str], expected: dict[str, Any]) -> None:
    assert project_fields(EVENT, fields) == expected


def test_event_fields_projection_never_changes_the_event() -> None:
    before = repr(EVENT)
    project_fields(EVENT, ["content", "content.m\\.relates_to.rel_type", "content.x.y", "unsigned"])
    assert repr(EVENT) == before
