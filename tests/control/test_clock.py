"""The server clock through ``/_mock/clock``."""

from __future__ import annotations

import anyio
import pytest

from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account, assert_error

pytestmark = pytest.mark.anyio


async def test_frozen_clock_stamps_events(control: Control, alice: Account) -> None:
    assert await control.call("POST", "/clock/freeze", json={"at_ms": 1_600_000_000_000}) == {
        "now_ms": 1_600_000_000_000,
        "frozen": True,
    }
    room_id = await alice.create_room()
    first = await alice.send(room_id, "one")
    await control.call("POST", "/clock/advance", json={"ms": 2500})
    second = await alice.send(room_id, "two")
    one = await alice.call("GET", f"/rooms/{room_id}/event/{first}")
    two = await alice.call("GET", f"/rooms/{room_id}/event/{second}")
    assert one["origin_server_ts"] == 1_600_000_000_000
    assert two["origin_server_ts"] == 1_600_000_002_500
    assert one["unsigned"]["age"] == 2500
    assert await control.call("GET", "/clock") == {"now_ms": 1_600_000_002_500, "frozen": True}


async def test_unfreeze_keeps_the_time_reached(hs: Homeserver, control: Control) -> None:
    now = (await control.call("GET", "/clock"))["now_ms"]
    await control.call("POST", "/clock/freeze", json={})
    await control.call("POST", "/clock/advance", json={"ms": 3_600_000})
    body = await control.call("POST", "/clock/unfreeze")
    assert body["frozen"] is False
    assert body["now_ms"] >= now + 3_600_000


async def test_advance_ends_a_long_poll_at_once(
    hs: Homeserver, control: Control, alice: Account
) -> None:
    await control.call("POST", "/clock/freeze", json={})
    first = await alice.sync()
    result = {}

    async def park() -> None:
        result["body"] = await alice.sync(since=first["next_batch"], timeout=30_000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            await control.call("POST", "/clock/advance", json={"ms": 29_999})
            await anyio.wait_all_tasks_blocked()
            assert "body" not in result
            await control.call("POST", "/clock/advance", json={"ms": 1})
    assert result["body"]["next_batch"] == first["next_batch"]
    assert result["body"]["rooms"]["join"] == {}


async def test_typing_expires_on_the_server_clock(
    control: Control, alice: Account, bob: Account
) -> None:
    await control.call("POST", "/clock/freeze", json={})
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await control.act("typing", user_id=bob.user_id, room_id=room_id, timeout=5_000)
    first = await alice.sync()
    typing = first["rooms"]["join"][room_id]["ephemeral"]["events"]
    assert {"type": "m.typing", "content": {"user_ids": [bob.user_id]}} in typing
    await control.call("POST", "/clock/advance", json={"ms": 5_000})
    later = await alice.sync(since=first["next_batch"])
    typing = later["rooms"]["join"][room_id]["ephemeral"]["events"]
    assert {"type": "m.typing", "content": {"user_ids": []}} in typing


async def test_presence_last_active_ago_follows_the_clock(control: Control, alice: Account) -> None:
    await control.call("POST", "/clock/freeze", json={})
    await control.act("presence", user_id=alice.user_id, presence="online")
    await control.call("POST", "/clock/advance", json={"ms": 60_000})
    status = await alice.call("GET", f"/presence/{alice.user_id}/status")
    assert status["last_active_ago"] == 60_000


async def test_bad_clock_calls(control: Control) -> None:
    assert_error(
        await control.client.post("/_mock/clock/advance", json={"ms": -1}), 400, "M_INVALID_PARAM"
    )
    assert_error(await control.client.post("/_mock/clock/advance", json={}), 400, "M_MISSING_PARAM")
    assert_error(
        await control.client.post("/_mock/clock/freeze", json={"at_ms": "now"}), 400, "M_BAD_JSON"
    )
    assert (await control.call("GET", "/clock"))["frozen"] is False
