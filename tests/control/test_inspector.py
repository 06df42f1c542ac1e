"""The inspector's routes over HTTP: the page, its files, the world, timelines, changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import assert_error, register

pytestmark = pytest.mark.anyio


async def test_the_page_and_its_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/_mock/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="inspector/inspector.js"' in page.text
    # Only its own files, no framing by other pages, and no CORS for other origins to read it.
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for name, kind in [("inspector.js", "text/javascript"), ("inspector.css", "text/css")]:
        asset = await client.get(f"/_mock/inspector/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(kind)
    bare = await client.get("/_mock", follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (308, "/_mock/")
    assert_error(await client.get("/_mock/inspector/secrets.py"), 404, "M_NOT_FOUND")


async def test_the_world_summary(client: httpx.AsyncClient, control: Control) -> None:
    await control.act("register", username="alice")
    await control.act("register", username="bob")
    room_id = (await control.act("create_room", user_id="@alice:localhost", name="Plans"))["room_id"]
    await control.act("invite", user_id="@alice:localhost", room_id=room_id, target="@bob:localhost")
    await control.act("typing", user_id="@alice:localhost", room_id=room_id)
    world = await control.call("GET", "/inspector/world")
    assert world["server_name"] == "localhost"
    assert world["position"].startswith("s")
    users = {user["user_id"]: user for user in world["users"]}
    assert users["@alice:localhost"]["rooms"] == {"join": [room_id]}
    assert users["@alice:localhost"]["typing_in"] == [room_id]
    assert users["@bob:localhost"]["rooms"] == {"invite": [room_id]}
    assert [d["has_keys"] for d in users["@bob:localhost"]["devices"]] == [False]
    (room,) = world["rooms"]
    assert room["name"] == "Plans"
    assert room["typing"] == ["@alice:localhost"]
    assert {(m["user_id"], m["membership"]) for m in room["members"]} == {
        ("@alice:localhost", "join"),
        ("@bob:localhost", "invite"),
    }
    assert {"m.room.create", "m.room.name", "m.room.power_levels"} <= {e["type"] for e in room["state"]}


async def test_timeline_pages_newest_first(client: httpx.AsyncClient, control: Control) -> None:
    await control.act("register", username="alice")
    room_id = (await control.act("create_room", user_id="@alice:localhost"))["room_id"]
    for n in range(7):
        await control.act("send", user_id="@alice:localhost", room_id=room_id, body=f"m{n}")
    await control.act(
        "send",
        user_id="@alice:localhost",
        room_id=room_id,
        type="m.reaction",
        content={"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x:localhost", "key": "👍"}},
    )
    first = await control.call("GET", f"/inspector/rooms/{room_id}/timeline", params={"limit": 3})
    depth = first["depth"]
    assert [e["depth"] for e in first["events"]] == [depth, depth - 1, depth - 2]
    assert first["events"][0]["relation"] == {"rel_type": "m.annotation", "event_id": "$x:localhost"}
    assert [e["content"].get("body") for e in first["events"][1:]] == ["m6", "m5"]
    seen = [e["event_id"] for e in first["events"]]
    before = first["next_before"]
    while before is not None:
        page = await control.call(
            "GET", f"/inspector/rooms/{room_id}/timeline", params={"limit": 3, "before": before}
        )
        seen += [e["event_id"] for e in page["events"]]
        before = page["next_before"]
    assert len(seen) == len(set(seen)) == depth
    assert_error(
        await client.get("/_mock/inspector/rooms/!nope:localhost/timeline"), 404, "M_NOT_FOUND"
    )
    assert_error(
        await client.get(f"/_mock/inspector/rooms/{room_id}/timeline", params={"limit": "x"}),
        400,
        "M_INVALID_PARAM",
    )


async def test_changes_wait_for_a_change(hs: Homeserver, client: httpx.AsyncClient) -> None:
    """The long-poll answers at once when behind, else when the world or journal moves."""
    alice = await register(client, "alice")
    now = (await client.get("/_mock/inspector/changes")).json()["version"]
    assert (await client.get("/_mock/inspector/changes", params={"after": now - 1})).json() == {
        "version": now
    }
    answers: list[int] = []

    async def wait() -> None:
        got = await client.get("/_mock/inspector/changes", params={"after": now, "timeout": 30000})
        answers.append(got.json()["version"])

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        assert answers == []
        await alice.create_room()
    assert answers and answers[0] > now
    # A client request alone (journaled) moves it too.
    then = hs.watch.version
    await client.get("/_matrix/client/versions")
    assert hs.watch.version > then


async def test_changes_time_out_with_the_same_version(client: httpx.AsyncClient) -> None:
    now = (await client.get("/_mock/inspector/changes")).json()["version"]
    waited = await client.get("/_mock/inspector/changes", params={"after": now, "timeout": 1})
    assert waited.json() == {"version": now}


@pytest.fixture
async def with_token() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ServerConfig(control_token="s3cret"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8008") as c:
        yield c


async def test_the_control_token_guards_the_page_and_its_reads(with_token: httpx.AsyncClient) -> None:
    assert_error(await with_token.get("/_mock/"), 401, "M_MISSING_TOKEN")
    assert_error(await with_token.get("/_mock/?control_token=wrong"), 401, "M_UNKNOWN_TOKEN")
    assert (await with_token.get("/_mock/?control_token=s3cret")).status_code == 200
    assert (
        await with_token.get("/_mock/", headers={"Authorization": "Bearer s3cret"})
    ).status_code == 200
    # The files hold no secret; every read of the world needs the token as a header.
    assert (await with_token.get("/_mock/inspector/inspector.js")).status_code == 200
    assert_error(await with_token.get("/_mock/inspector/world"), 401, "M_MISSING_TOKEN")
    assert_error(
        await with_token.get("/_mock/inspector/world?control_token=s3cret"), 401, "M_MISSING_TOKEN"
    )
    authorised = await with_token.get(
        "/_mock/inspector/world", headers={"Authorization": "Bearer s3cret"}
    )
    assert authorised.status_code == 200


async def test_no_control_no_inspector() -> None:
    app = create_app(ServerConfig(control=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8008") as c:
        for path in ["/_mock/", "/_mock", "/_mock/inspector/inspector.js", "/_mock/inspector/world"]:
            assert (await c.get(path)).status_code == 404, path


async def test_journal_entries_say_how_long_they_took(
    client: httpx.AsyncClient, control: Control
) -> None:
    await client.get("/_matrix/client/versions")
    (entry,) = await control.journal(path="/_matrix/client/versions")
    assert entry["duration_ms"] is not None and entry["duration_ms"] >= 0


async def test_other_origins_and_hosts_get_nothing(client: httpx.AsyncClient) -> None:
    """The page is for the server's own origin: a foreign page can neither drive nor read it."""
    for path in ["/_mock/", "/_mock/inspector/world", "/_mock/inspector/changes"]:
        foreign = await client.get(path, headers={"Origin": "http://evil.example"})
        assert_error(foreign, 403, "M_FORBIDDEN")
        rebound = await client.get(path, headers={"Host": "evil.example"})
        assert_error(rebound, 403, "M_FORBIDDEN")
        own = await client.get(path, headers={"Origin": "http://localhost:8008"})
        assert own.status_code == 200, path
        assert "access-control-allow-origin" not in own.headers
