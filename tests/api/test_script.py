"""Scenario scripts: steps released by the clock, by syncs and by ``POST /_mock/script/next``."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.scenario_docs import bearer, client_for, frozen_homeserver, small_world
from tests.support import V3, Account, assert_error

ROOM = "!created:localhost"


def _with_script(*steps: dict[str, Any], repeat: bool = False) -> dict[str, Any]:
    doc = small_world()
    doc["users"].append({"user_id": "@carol:localhost", "access_token": "carol_token"})
    doc["script"] = {"repeat": repeat, "steps": list(steps)}
    return doc


def _say(body: str, sender: str = "@bob:localhost", room_id: str = ROOM) -> dict[str, Any]:
    return {"room_id": room_id, "sender": sender, "body": body}


def _bodies(hs: Homeserver, room_id: str = ROOM) -> list[str]:
    return [
        e.content["body"]
        for e in hs.store.room(room_id).events
        if e.type == "m.room.message" and "body" in e.content
    ]


async def test_after_ms_steps_follow_the_server_clock() -> None:
    hs = frozen_homeserver()
    hs.load_fixture(
        _with_script(
            {"after_ms": 5000, "send": _say("five seconds")},
            {"after_ms": 1000, "send": _say("one more")},
            {"after_ms": 1000, "send": _say("and another")},
        ),
        "t.json",
    )
    hs.clock.advance(4999)
    assert _bodies(hs)[-1] == "four"
    hs.clock.advance(1)
    assert _bodies(hs)[-1] == "five seconds"
    hs.clock.advance(2500)
    assert _bodies(hs)[-3:] == ["five seconds", "one more", "and another"]
    assert hs.script.pending() == 0


async def test_a_released_step_reaches_a_parked_sync() -> None:
    import anyio

    hs = frozen_homeserver()
    hs.load_fixture(_with_script({"after_ms": 30_000, "send": _say("wake up")}), "t.json")
    async with client_for(hs) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "")
        first = await alice.sync()
        result: dict[str, Any] = {}

        async def park() -> None:
            result["sync"] = await alice.sync(since=first["next_batch"], timeout=60_000)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(park)
                await hs.notifier.until_parked("@alice:localhost")
                hs.clock.advance(30_000)
    events = result["sync"]["rooms"]["join"][ROOM]["timeline"]["events"]
    assert [e["content"]["body"] for e in events] == ["wake up"]


async def test_after_sync_counts_the_users_syncs_since_the_last_step() -> None:
    hs = frozen_homeserver()
    hs.load_fixture(
        _with_script(
            {
                "after_sync": {"user_id": "@alice:localhost", "count": 2},
                "send": _say("seen you twice"),
            },
            {"after_sync": {"user_id": "@alice:localhost"}, "send": _say("and once more")},
        ),
        "t.json",
    )
    async with client_for(hs) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "")
        bob = Account(client, "@bob:localhost", "bob_token", "BOB")
        await bob.sync()
        first = await alice.sync()
        assert "seen you twice" not in _bodies(hs)
        second = await alice.sync(since=first["next_batch"])
        assert ROOM not in second["rooms"]["join"]
        assert _bodies(hs)[-1] == "seen you twice"
        third = await alice.sync(since=second["next_batch"])
    events = third["rooms"]["join"][ROOM]["timeline"]["events"]
    assert [e["content"]["body"] for e in events] == ["seen you twice"]
    assert _bodies(hs)[-1] == "and once more"


async def test_next_releases_on_next_steps_and_anything_waiting(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    hs.load_fixture(
        _with_script(
            {"on_next": True, "send": _say("on cue")},
            {"after_ms": 3_600_000, "send": _say("an hour later, or now")},
        ),
        "t.json",
    )
    response = await client.post("/_mock/script/next")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "source": "t.json",
        "step": "script.steps[0]",
        "action": "send",
        "remaining": 1,
        "error": None,
    }
    assert _bodies(hs)[-1] == "on cue"
    second = await client.post("/_mock/script/next")
    assert second.json()["remaining"] == 0
    assert _bodies(hs)[-1] == "an hour later, or now"
    assert_error(await client.post("/_mock/script/next"), 404, "M_NOT_FOUND")


async def test_every_action_acts_under_the_rooms_rules(hs: Homeserver) -> None:
    hs.load_fixture(
        _with_script(
            {
                "on_next": True,
                "invite": {
                    "room_id": ROOM,
                    "sender": "@alice:localhost",
                    "user_id": "@carol:localhost",
                },
            },
            {"on_next": True, "join": {"room_id": ROOM, "user_id": "@carol:localhost"}},
            {
                "on_next": True,
                "state": {
                    "room_id": ROOM,
                    "sender": "@alice:localhost",
                    "type": "m.room.topic",
                    "content": {"topic": "scripted"},
                },
            },
            {
                "on_next": True,
                "send": {
                    "room_id": ROOM,
                    "sender": "@carol:localhost",
                    "type": "m.room.message",
                    "content": {"msgtype": "m.notice", "body": "hi all"},
                },
            },
            {
                "on_next": True,
                "typing": {"room_id": ROOM, "user_id": "@carol:localhost", "timeout_ms": 5000},
            },
            {
                "on_next": True,
                "presence": {
                    "user_id": "@carol:localhost",
                    "presence": "online",
                    "status_msg": "here",
                },
            },
            {"on_next": True, "leave": {"room_id": ROOM, "user_id": "@carol:localhost"}},
            {
                "on_next": True,
                "kick": {
                    "room_id": ROOM,
                    "sender": "@alice:localhost",
                    "user_id": "@bob:localhost",
                    "reason": "bye",
                },
            },
            {
                "on_next": True,
                "ban": {
                    "room_id": ROOM,
                    "sender": "@alice:localhost",
                    "user_id": "@carol:localhost",
                },
            },
        ),
        "t.json",
    )
    store = hs.store
    checks = [
        lambda: store.membership("@carol:localhost", ROOM) == "invite",
        lambda: store.membership("@carol:localhost", ROOM) == "join",
        lambda: (
            getattr(store.room(ROOM).current("m.room.topic"), "content", None)
            == {"topic": "scripted"}
        ),
        lambda: store.room(ROOM).events[-1].content == {"msgtype": "m.notice", "body": "hi all"},
        lambda: "@carol:localhost" in store.room(ROOM).typing,
        lambda: getattr(store.presence.get("@carol:localhost"), "status_msg", None) == "here",
        lambda: store.membership("@carol:localhost", ROOM) == "leave",
        lambda: store.room(ROOM).events[-1].content == {"membership": "leave", "reason": "bye"},
        lambda: store.membership("@carol:localhost", ROOM) == "ban",
    ]
    for check in checks:
        assert not check()
        release = hs.script.next()
        assert release is not None and release.error is None
        assert check()
    assert hs.script.failures == []


async def test_a_refused_action_is_recorded_and_the_script_goes_on(hs: Homeserver) -> None:
    hs.load_fixture(
        _with_script(
            {"after_ms": 0, "send": _say("not a member", sender="@carol:localhost")},
            {"after_ms": 0, "send": _say("still going")},
        ),
        "t.json",
    )
    assert _bodies(hs)[-1] == "still going"
    assert len(hs.script.failures) == 1
    where, error = hs.script.failures[0]
    assert where == "t.json: script.steps[0]"
    assert error.startswith("M_FORBIDDEN: ")


async def test_a_repeating_script_starts_over(hs: Homeserver) -> None:
    hs.load_fixture(
        _with_script(
            {"on_next": True, "send": _say("ping")},
            {"on_next": True, "send": _say("pong")},
            repeat=True,
        ),
        "t.json",
    )
    releases = [hs.script.next() for _ in range(5)]
    assert [r.index for r in releases if r is not None] == [0, 1, 0, 1, 0]
    assert all(r is not None and r.remaining is None for r in releases)
    assert _bodies(hs)[-5:] == ["ping", "pong", "ping", "pong", "ping"]


async def test_a_long_clock_jump_plays_a_repeating_script_once_round() -> None:
    hs = frozen_homeserver()
    hs.load_fixture(
        _with_script(
            {"after_ms": 1000, "send": _say("tick")},
            {"after_ms": 1000, "send": _say("tock")},
            repeat=True,
        ),
        "t.json",
    )
    hs.clock.advance(86_400_000)
    assert _bodies(hs)[-3:] == ["four", "tick", "tock"]
    hs.clock.advance(1000)
    assert _bodies(hs)[-1] == "tick"


async def test_reset_stops_scripts_and_reload_restarts_them() -> None:
    hs = frozen_homeserver()
    hs.load_fixture(_with_script({"after_ms": 1000, "send": _say("later")}), "t.json")
    hs.reset(reload_fixtures=False)
    hs.clock.advance(5000)
    assert hs.script.pending() == 0
    hs.load_fixture(_with_script({"after_ms": 1000, "send": _say("later")}), "t.json")
    hs.clock.advance(500)
    hs.reset(reload_fixtures=True)
    hs.clock.advance(500)
    assert _bodies(hs)[-1] == "four"
    hs.clock.advance(500)
    assert _bodies(hs)[-1] == "later"


def test_the_app_lifespan_releases_timed_steps_in_real_time() -> None:
    """Over a real socket, with the clock running: the runner task started by the lifespan."""
    hs = Homeserver.create(ServerConfig(port=0))
    hs.load_fixture(_with_script({"after_ms": 50, "send": _say("on time")}), "t.json")
    server = ThreadedServer(hs).start()
    try:
        with httpx.Client(base_url=server.base_url, headers=bearer("alice_token"), timeout=20) as c:
            deadline = threading.Event()
            since = None
            while not deadline.is_set():
                params: dict[str, Any] = {"timeout": 10_000}
                if since is not None:
                    params["since"] = since
                body = c.get(f"{V3}/sync", params=params).json()
                since = body["next_batch"]
                room = body["rooms"]["join"].get(ROOM)
                if room and any(
                    e["content"].get("body") == "on time" for e in room["timeline"]["events"]
                ):
                    deadline.set()
    finally:
        server.stop()
    assert _bodies(hs)[-1] == "on time"


@pytest.mark.parametrize("trigger", [{"after_ms": 0}, {"on_next": True}])
def test_a_script_needs_no_loop_to_be_loaded(trigger: dict[str, Any]) -> None:
    hs = frozen_homeserver()
    hs.load_fixture(_with_script({**trigger, "send": _say("ready")}), "t.json")
    assert hs.script.pending() == (0 if "after_ms" in trigger else 1)
