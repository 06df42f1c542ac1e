"""Generated users, members and repeated rooms: a big world from a few lines of scenario."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.store import Store
from mockserver.scenarios import ScenarioError, check_scenario, load_scenario, read_file
from mockserver.scenarios.plan import EventSpec, GeneratedMessages


def _world(**room: Any) -> dict[str, Any]:
    return {
        "users": [
            {"user_id": "@me:localhost", "access_token": "me_token"},
            {"generate": {"count": 30, "user_id": "@u{n}:localhost", "displayname": "U {n}"}},
        ],
        "rooms": [
            {
                "repeat": 3,
                "room_id": "!r{i}:localhost",
                "creator": "@me:localhost",
                "name": "Room {i}",
                "members": [{"generate": {"count": 4, "first": 10, "user_id": "@u{n}:localhost"}}],
                "timeline": [{"generate": {"count": 5, "sender": "@u12:localhost", "body": "m{n} in {i}"}}],
                **room,
            }
        ],
    }


def _joined(store: Store, room_id: str) -> set[str]:
    room = store.rooms[room_id]
    return {user for user, _ in room.joined_names()}


def test_generated_users_members_and_repeated_rooms_load() -> None:
    store = Store()
    loaded = load_scenario(store, _world(), source="gen.json")
    assert loaded.rooms == ("!r1:localhost", "!r2:localhost", "!r3:localhost")
    assert store.user("@u30:localhost").displayname == "U 30"
    assert "@u31:localhost" not in store.users
    for number in (1, 2, 3):
        room_id = f"!r{number}:localhost"
        name = store.rooms[room_id].current("m.room.name")
        assert name is not None and name.content == {"name": f"Room {number}"}
        assert _joined(store, room_id) == {"@me:localhost"} | {f"@u{n}:localhost" for n in range(10, 14)}
        bodies = [e.content.get("body") for e in store.rooms[room_id].events if e.type == "m.room.message"]
        assert bodies == [f"m{n} in {number}" for n in range(1, 6)]


def test_generated_members_can_be_invited_by_the_creator() -> None:
    store = Store()
    world = _world(members=[{"generate": {"count": 2, "user_id": "@u{n}:localhost", "membership": "invite"}}])
    world["rooms"][0]["timeline"] = []
    load_scenario(store, world, source="gen.json")
    invites = [
        (e.sender, e.state_key)
        for e in store.rooms["!r2:localhost"].events
        if e.type == "m.room.member" and e.content["membership"] == "invite"
    ]
    assert invites == [("@me:localhost", "@u1:localhost"), ("@me:localhost", "@u2:localhost")]


def test_a_repeated_room_with_a_problem_reports_it_once_and_loads_nothing() -> None:
    store = Store()
    world = _world(timeline=[{"generate": {"count": 1, "sender": "@u1:localhost"}}])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(store, world, source="gen.json")
    assert caught.value.lines() == [
        "gen.json: rooms[0].timeline[0].generate.sender:"
        " @u1:localhost is not joined to the room at this point"
    ]
    assert store.users == {} and store.rooms == {}


def test_big_account_plans_the_account_the_issue_asks_for() -> None:
    plan = check_scenario(Store(), read_file("big_account"), source="big_account")
    rooms = {room.room_id: room for room in plan.rooms}
    me = "@me:localhost"

    # A generated run of messages is one item of the plan, which the store expands.
    def events(room_id: str) -> list[EventSpec]:
        return [e for e in rooms[room_id].events if isinstance(e, EventSpec)]

    def messages(room_id: str) -> int:
        return sum(e.count for e in rooms[room_id].events if isinstance(e, GeneratedMessages))

    def memberships(room_id: str) -> list[str]:
        return [e.content["membership"] for e in events(room_id) if e.state_key == me]

    ordinary = [r for r in rooms if r and r.startswith("!room")]
    assert len(ordinary) == 1000
    # createRoom makes 7 events (a name among them); members and timeline the other 43.
    assert all(len(events(r)) + messages(r) == 50 - 7 for r in ordinary)
    assert all(
        len({e.state_key for e in events(r) if e.type == "m.room.member"}) == 19
        for r in ordinary
    )
    crowd = {e.state_key for e in events("!crowd:localhost") if e.type == "m.room.member"}
    assert len(crowd) == 9999  # and the creator: 10,000 members
    assert messages("!history:localhost") == 100_000
    assert [memberships(f"!invite{n}:localhost") for n in range(1, 11)] == [["invite"]] * 10
    assert [memberships(f"!left{n}:localhost") for n in range(1, 11)] == [["join", "leave"]] * 10
