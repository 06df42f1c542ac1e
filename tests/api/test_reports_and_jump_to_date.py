"""Reporting rooms and events, and timestamp_to_event (in process and over a socket)."""

from __future__ import annotations

import httpx

from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401  (fixtures: each test runs both ways)
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error

V1 = "/_matrix/client/v1"


async def test_reports_are_acknowledged_and_journaled(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    event_id = await alice.send(room, "spam")
    assert await bob.call("POST", f"/rooms/{room}/report/{event_id}", json={"reason": "spam", "score": -100}) == {}
    assert await bob.call("POST", f"/rooms/{room}/report", json={"reason": "a spam room"}) == {}
    journal = (await client.get("/_mock/journal", params={"path": "*/report*"})).json()["requests"]
    assert [entry["body"]["reason"] for entry in journal] == ["spam", "a spam room"]


async def test_bad_reports_are_refused_and_change_nothing(
    client: httpx.AsyncClient, hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room()
    event_id = await alice.send(room, "private")
    before = snapshot(hs.store)

    async def refused(path: str, body: object, status: int, errcode: str) -> None:
        assert_error(await client.post(V3 + path, json=body, headers=bob.headers), status, errcode)

    await refused(f"/rooms/{room}/report/{event_id}", {"reason": "x"}, 404, "M_NOT_FOUND")  # bob cannot see it
    await refused(f"/rooms/{room}/report/$missing", {}, 404, "M_NOT_FOUND")
    await refused(f"/rooms/{room}/report/{event_id}", {"score": -101}, 400, "M_INVALID_PARAM")
    await refused(f"/rooms/{room}/report/{event_id}", {"reason": 3}, 400, "M_INVALID_PARAM")
    await refused("/rooms/!nowhere:localhost/report", {"reason": "x"}, 404, "M_NOT_FOUND")
    await refused(f"/rooms/{room}/report", {}, 400, "M_MISSING_PARAM")
    assert snapshot(hs.store) == before


async def test_timestamp_to_event_finds_the_closest_in_each_direction(
    hs: Homeserver, alice: Account
) -> None:
    hs.clock.freeze(1_000_000)
    room = await alice.create_room()
    hs.clock.advance(1000)
    early = await alice.send(room, "early")
    hs.clock.advance(1000)
    late = await alice.send(room, "late")
    path = f"/rooms/{room}/timestamp_to_event"
    forward = await alice.call("GET", path, params={"ts": 1_001_500, "dir": "f"}, prefix=V1)
    assert forward == {"event_id": late, "origin_server_ts": 1_002_000}
    back = await alice.call("GET", path, params={"ts": 1_001_500, "dir": "b"}, prefix=V1)
    assert back == {"event_id": early, "origin_server_ts": 1_001_000}
    beyond = await alice.client.get(V1 + path, params={"ts": 2_000_000, "dir": "f"}, headers=alice.headers)
    assert_error(beyond, 404, "M_NOT_FOUND")


async def test_timestamp_to_event_checks_its_query_and_the_room(alice: Account, bob: Account) -> None:
    room = await alice.create_room()
    path = f"{V1}/rooms/{room}/timestamp_to_event"
    for query, errcode in (({"dir": "f"}, "M_MISSING_PARAM"), ({"ts": "1"}, "M_MISSING_PARAM"),
                           ({"ts": "x", "dir": "f"}, "M_INVALID_PARAM"), ({"ts": "1", "dir": "up"}, "M_INVALID_PARAM")):
        assert_error(await alice.client.get(path, params=query, headers=alice.headers), 400, errcode)
    outsider = await bob.client.get(path, params={"ts": "1", "dir": "f"}, headers=bob.headers)
    assert_error(outsider, 403, "M_FORBIDDEN")
