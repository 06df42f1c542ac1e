"""The scenario checker: a bad document is refused whole, naming the file, JSON path and problem.

Each case breaks the small valid world of :mod:`tests.scenario_docs` in one
place. ``schema`` says whether ``fixtures/scenario.schema.json`` can see the
problem too (structure) or only the loader can (references, memberships,
uniqueness); the schema test runs the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mockserver.core.store import Store
from mockserver.scenarios import ScenarioError, export_scenario, load_scenario
from tests.scenario_docs import small_world

Doc = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Doc], Any]
    error: str
    schema: bool


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting ``value`` at a dotted path (numbers index lists)."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _append(path: str, value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node.setdefault(part, [])
        node.append(value)

    return mutate


def _msg(sender: str, body: str = "hi", **extra: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "sender": sender,
        "content": {"msgtype": "m.text", "body": body},
        **extra,
    }


def _script(*steps: dict[str, Any], repeat: bool = False) -> Callable[[Doc], None]:
    return _set("script", {"repeat": repeat, "steps": list(steps)})


SEND = {"room_id": "!created:localhost", "sender": "@bob:localhost", "body": "hi"}

CASES = [
    Case(
        "unknown sender",
        _set("rooms.0.timeline.2.sender", "@carol:localhost"),
        "rooms[0].timeline[2].sender: unknown user @carol:localhost",
        False,
    ),
    Case(
        "document not an object", lambda doc: ["a list"], "$: expected an object, got a list", True
    ),
    Case(
        "unknown top-level key",
        _set("user", []),
        "user: unknown key (expected one of: $schema, description, server_name, users,"
        " media, rooms, events, presence, turn_server, script)",
        True,
    ),
    Case(
        "user without user_id",
        lambda doc: doc["users"][1].pop("user_id") and None,
        "users[1]: missing required key 'user_id'",
        True,
    ),
    Case(
        "user listed twice",
        _set("users.1.user_id", "@alice:localhost"),
        "users[1].user_id: user @alice:localhost already exists",
        False,
    ),
    Case(
        "user of another server",
        _set("users.1.user_id", "@bob:elsewhere"),
        "users[1].user_id: @bob:elsewhere is not on this server (localhost)",
        False,
    ),
    Case(
        "access token reused",
        _set("users.1.access_token", "alice_token"),
        "users[1].access_token: access token already in use",
        False,
    ),
    Case(
        "room id without sigil",
        _set("rooms.0.room_id", "created"),
        "rooms[0].room_id: 'created' is not a room id (!opaque:localhost)",
        True,
    ),
    Case(
        "room id reused",
        _set("rooms.1.room_id", "!created:localhost"),
        "rooms[1].room_id: room !created:localhost already exists",
        False,
    ),
    Case(
        "unknown preset",
        _set("rooms.0.preset", "party"),
        "rooms[0].preset: 'party' is not one of: private_chat, trusted_private_chat, public_chat",
        True,
    ),
    Case(
        "name on a room without creator",
        _set("rooms.1.name", "Bare"),
        "rooms[1].name: only a room with a 'creator' (created with m.room.create) takes"
        " this; give the state as events instead",
        True,
    ),
    Case(
        "sender not joined",
        _append("rooms.1.timeline", _msg("@bob:localhost")),
        "rooms[1].timeline[1].sender: @bob:localhost is not joined to the room at this point",
        False,
    ),
    Case(
        "late m.room.create",
        _set(
            "rooms.0.timeline.0",
            {"type": "m.room.create", "state_key": "", "sender": "@alice:localhost", "content": {}},
        ),
        "rooms[0].timeline[0].type: m.room.create must be the room's first event",
        False,
    ),
    Case(
        "member event without state_key",
        lambda doc: doc["rooms"][1]["timeline"][0].pop("state_key") and None,
        "rooms[1].timeline[0]: an m.room.member event needs the member's user id as 'state_key'",
        False,
    ),
    Case(
        "unknown membership",
        _set("rooms.1.timeline.0.content", {"membership": "joined"}),
        "rooms[1].timeline[0].content.membership: 'joined' is not one of: join, invite,"
        " leave, ban, knock",
        False,
    ),
    Case(
        "invite by a non-member",
        _set(
            "rooms.1.members",
            [{"user_id": "@alice:localhost", "membership": "invite", "by": "@bob:localhost"}],
        ),
        "rooms[1].members[0].by: @bob:localhost is not joined to the room, so cannot invite"
        " @alice:localhost",
        False,
    ),
    Case(
        "event id reused",
        lambda doc: (
            (
                doc["rooms"][0]["timeline"][0].update(event_id="$same"),
                doc["rooms"][0]["timeline"][1].update(event_id="$same"),
            )
            and None
        ),
        "rooms[0].timeline[1].event_id: event id $same is already used",
        False,
    ),
    Case(
        "content not an object",
        _set("rooms.0.timeline.0.content", "hi"),
        "rooms[0].timeline[0].content: expected an object, got a string",
        True,
    ),
    Case(
        "negative timestamp",
        _set("rooms.0.timeline.0.origin_server_ts", -1),
        "rooms[0].timeline[0].origin_server_ts: must be at least 0",
        True,
    ),
    Case(
        "txn from another user's device",
        _set("rooms.0.timeline.1", _msg("@alice:localhost", txn_id="t1", device_id="BOB")),
        "rooms[0].timeline[1].device_id: @alice:localhost has no device BOB",
        False,
    ),
    Case(
        "generate nothing",
        _append("rooms.0.timeline", {"generate": {"count": 0, "sender": "@bob:localhost"}}),
        "rooms[0].timeline[4].generate.count: must be at least 1",
        True,
    ),
    Case(
        "generated sender not joined",
        _append("rooms.1.timeline", {"generate": {"count": 3, "sender": "@bob:localhost"}}),
        "rooms[1].timeline[1].generate.sender: @bob:localhost is not joined to the room at"
        " this point",
        False,
    ),
    Case(
        "typing outside the room",
        _set("rooms.1.typing", ["@bob:localhost"]),
        "rooms[1].typing[0]: @bob:localhost is not joined to the room, so cannot be typing",
        False,
    ),
    Case(
        "receipt for an unknown event",
        _set("rooms.0.receipts", [{"user_id": "@bob:localhost", "event_id": "$nope"}]),
        "rooms[0].receipts[0].event_id: $nope is not an event of this room",
        False,
    ),
    Case(
        "unknown presence state",
        _set("presence", [{"user_id": "@alice:localhost", "presence": "away"}]),
        "presence[0].presence: 'away' is not one of: offline, online, unavailable",
        True,
    ),
    Case(
        "script in an unknown room",
        _script({"after_ms": 0, "send": {**SEND, "room_id": "!nope:localhost"}}),
        "script.steps[0].send.room_id: unknown room !nope:localhost",
        False,
    ),
    Case(
        "two triggers",
        _script({"after_ms": 0, "on_next": True, "send": SEND}),
        "script.steps[0]: a step needs exactly one trigger: after_ms, after_sync, on_next",
        True,
    ),
    Case(
        "no action",
        _script({"after_ms": 5}),
        "script.steps[0]: a step needs exactly one action: send, state, invite, join, leave,"
        " kick, ban, typing, presence",
        True,
    ),
    Case(
        "repeat that never waits",
        _script({"after_ms": 0, "send": SEND}, repeat=True),
        "script.repeat: a repeating script needs a step that waits (after_ms > 0,"
        " after_sync or on_next)",
        False,
    ),
    Case(
        "send with body and content",
        _script({"on_next": True, "send": {**SEND, "content": {"body": "x"}}}),
        "script.steps[0].send: give exactly one of 'content' or 'body'",
        True,
    ),
    Case(
        "after_sync of an unknown user",
        _script({"after_sync": {"user_id": "@zed:localhost"}, "send": SEND}),
        "script.steps[0].after_sync.user_id: unknown user @zed:localhost",
        False,
    ),
    Case(
        "alias of another server",
        _set("rooms.0.alias", "#x:elsewhere"),
        "rooms[0].alias: '#x:elsewhere' is not a room alias on this server (#name:localhost)",
        False,
    ),
    Case(
        "event over 64 KiB",
        _set("rooms.0.timeline.0.content", {"body": "x" * 70_000}),
        "rooms[0].timeline[0].content: the event is larger than 64 KiB",
        False,
    ),
    Case(
        "generated message over 64 KiB",
        _append(
            "rooms.0.timeline",
            {"generate": {"count": 10, "sender": "@bob:localhost", "body": "x" * 65_400 + "{n}"}},
        ),
        "rooms[0].timeline[4].generate: a generated message would be larger than 64 KiB",
        False,
    ),
    Case(
        "top-level event in an unknown room",
        _set("events", [{**_msg("@alice:localhost"), "room_id": "!nope:localhost"}]),
        "events[0].room_id: unknown room !nope:localhost (events must name a room of this fixture)",
        False,
    ),
    Case(
        "invalid filter",
        _set("users.0.filters", [{"room": {"timeline": {"limit": -1}}}]),
        "users[0].filters[0]: invalid filter: ",
        False,
    ),
    Case(
        "media id with a slash",
        _append("media", {"media_id": "a/b", "base64": ""}),
        "media[0].media_id: 'a/b' is not a media id",
        True,
    ),
    Case(
        "media without its bytes",
        _append("media", {"media_id": "pic", "content_type": "image/png"}),
        "media[0]: missing the bytes",
        True,
    ),
    Case(
        "media of an unknown uploader",
        _append("media", {"media_id": "pic", "user_id": "@carol:localhost", "base64": ""}),
        "media[0].user_id: unknown user @carol:localhost",
        False,
    ),
    Case(
        "media bytes that are not base64",
        _append("media", {"media_id": "pic", "base64": "!!"}),
        "media[0].base64: not valid base64",
        False,
    ),
    Case(
        "generated users without the counter",
        _append("users", {"generate": {"count": 3, "user_id": "@same:localhost"}}),
        "users[2].generate.user_id: must contain {n} (the counter), or every one would be the same",
        True,
    ),
    Case(
        "generated users that already exist",
        lambda doc: doc["users"].extend(
            [{"user_id": "@b2:localhost"}, {"generate": {"count": 3, "user_id": "@b{n}:localhost"}}]
        ),
        "users[3].generate.user_id: user @b2:localhost already exists",
        False,
    ),
    Case(
        "generated users with an unknown key",
        _append("users", {"generate": {"count": 3, "user_id": "@u{n}:localhost", "tokens": 1}}),
        "users[2].generate.tokens: unknown key",
        True,
    ),
    Case(
        "generated members who are not users",
        _append("rooms.0.members", {"generate": {"count": 2, "user_id": "@nobody{n}:localhost"}}),
        "rooms[0].members[1].generate.user_id: unknown user @nobody1:localhost (number 1)",
        False,
    ),
    Case(
        "a repeated room with one fixed id",
        _set("rooms.0.repeat", 2),
        "rooms[0].room_id: a repeated room's id must contain {i} (its number)",
        False,
    ),
    Case(
        "a repeat of zero rooms",
        _set("rooms.0.repeat", 0),
        "rooms[0].repeat: must be at least 1",
        True,
    ),
    Case(
        "account data that is not an object",
        _set("users.0.account_data", {"m.direct": []}),
        'users[0].account_data["m.direct"]: expected an object, got a list',
        True,
    ),
]


def _broken(case: Case) -> Any:
    doc = small_world()
    replaced = case.mutate(doc)
    return doc if replaced is None else replaced


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_document_is_refused_naming_source_path_and_problem(case: Case) -> None:
    store = Store()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(store, _broken(case), source="test.json")
    assert str(caught.value).startswith(f"test.json: {case.error}")
    assert store.users == {} and store.rooms == {} and store.position.room == 0


def test_the_small_world_itself_loads() -> None:
    store = Store()
    scenario = load_scenario(store, small_world(), source="test.json")
    assert scenario.rooms == ("!created:localhost", "!bare:localhost")
    assert store.session_for("bob_token") is not None


def test_a_late_error_leaves_a_populated_world_untouched() -> None:
    store = Store()
    load_scenario(store, small_world(), source="first.json")
    before = export_scenario(store)
    position = store.position
    second = {
        "users": [{"user_id": "@carol:localhost", "access_token": "carol_token"}],
        "rooms": [
            {
                "creator": "@carol:localhost",
                "members": [{"user_id": "@alice:localhost", "membership": "join"}],
            }
        ],
        "presence": [{"user_id": "@carol:localhost", "presence": "online"}],
        "script": {"steps": [{"after_ms": 1, "send": {**SEND, "sender": "@nobody:localhost"}}]},
    }
    with pytest.raises(ScenarioError, match=r"^second.json: script.steps\[0\].send.sender: "):
        load_scenario(store, second, source="second.json")
    assert export_scenario(store) == before
    assert store.position == position


def test_a_second_fixture_may_use_the_first_ones_users_and_rooms() -> None:
    store = Store()
    load_scenario(store, small_world(), source="first.json")
    load_scenario(
        store,
        {
            "rooms": [
                {
                    "room_id": "!more:localhost",
                    "creator": "@bob:localhost",
                    "members": [{"user_id": "@alice:localhost", "membership": "join"}],
                    "timeline": [_msg("@alice:localhost", txn_id="t1")],
                }
            ],
            "script": {"steps": [{"on_next": True, "send": SEND}]},
        },
        source="second.json",
    )
    assert store.membership("@alice:localhost", "!more:localhost") == "join"
    last = store.room("!more:localhost").events[-1]
    assert last.txn is not None and last.txn[0] == "@alice:localhost"


def test_a_fixture_for_another_server_needs_an_empty_world() -> None:
    store = Store()
    load_scenario(store, small_world(), source="first.json")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(store, {"server_name": "example.com"}, source="other.json")
    assert str(caught.value) == (
        "other.json: server_name: the fixture is for example.com but the server already holds"
        " a world for localhost (reset it first)"
    )
    empty = Store()
    load_scenario(empty, {"server_name": "example.com"}, source="other.json")
    assert empty.server_name == "example.com"


def test_member_sugar_expands_to_membership_events_with_profiles() -> None:
    store = Store()
    load_scenario(
        store,
        {
            "users": [
                {"user_id": "@alice:localhost", "displayname": "Alice"},
                {"user_id": "@bob:localhost", "displayname": None},
                {"user_id": "@carol:localhost", "avatar_url": "mxc://localhost/c"},
            ],
            "rooms": [
                {
                    "room_id": "!r:localhost",
                    "creator": "@alice:localhost",
                    "is_direct": True,
                    "members": [
                        {"user_id": "@bob:localhost", "membership": "invite"},
                        {"user_id": "@carol:localhost", "membership": "ban", "reason": "spam"},
                        {"user_id": "@alice:localhost", "membership": "join"},
                    ],
                }
            ],
        },
        source="t.json",
    )
    members = [
        (e.sender, e.state_key, e.content)
        for e in store.room("!r:localhost").events
        if e.type == "m.room.member"
    ]
    assert members == [
        ("@alice:localhost", "@alice:localhost", {"membership": "join", "displayname": "Alice"}),
        ("@alice:localhost", "@bob:localhost", {"membership": "invite", "is_direct": True}),
        (
            "@carol:localhost",
            "@carol:localhost",
            {"membership": "join", "displayname": "carol", "avatar_url": "mxc://localhost/c"},
        ),
        ("@alice:localhost", "@carol:localhost", {"membership": "ban", "reason": "spam"}),
    ]
