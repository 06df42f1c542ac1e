from __future__ import annotations

import anyio

from mockserver.homeserver import Homeserver
from tests.support import Account


async def test_seed_sync_limited_timeline_prev_batch_fills_gap(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = [await alice.send(room, f"m{i}") for i in range(15)]
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 3}}})
    body = await alice.seed_sync(filter=filter_id)
    entry = body["room_map"][room]
    assert entry["timeline"]["events"] == sent[-3:]
    assert entry["timeline"]["limited"] is True
    back = await alice.messages(room, dir="b", **{"from": entry["timeline"]["prev_batch"]}, limit=100)
    ids = [e["event_id"] for e in back["chunk"]]
    assert ids[:12] == sent[:12][::-1]
    assert back["chunk"][-1]["type"] == "m.room.create"
    assert "end" not in back


async def test_long_poll_wakes_on_send(hs: Homeserver, alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await bob.seed_sync()
    results = {}

    async def park() -> None:
        results["body"] = await bob.seed_sync(since=first["next_batch"], timeout=30000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(bob.user_id)
            event_id = await alice.send(room, "wake up")
    assert results["body"]["room_map"][room]["timeline"]["events"] == [event_id]
