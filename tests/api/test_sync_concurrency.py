"""Many clients sending and syncing at once: no event lost, none duplicated."""

from __future__ import annotations

import anyio
import httpx

from mockserver.homeserver import Homeserver
from tests.seed_sync import Follower
from tests.support import SEED, Account, register

USERS = 10
SENDS = 20


async def test_concurrent_senders_and_syncers_lose_and_duplicate_nothing(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    accounts = [await register(client, f"user{i}") for i in range(USERS)]
    observer = await register(client, "observer")
    shared = await accounts[0].create_room(preset="public_chat")
    # Each user also has a room with the next user, so rooms differ per syncer.
    pairs = [await a.create_room(preset="public_chat") for a in accounts]
    for index, account in enumerate(accounts):
        if index:
            await account.join(shared)
        await accounts[(index + 1) % USERS].join(pairs[index])
    for room in [shared, *pairs]:
        await observer.join(room)
    small = {a.user_id: await a.upload_filter({"room": {"timeline": {"limit": 3}}}, prefix=SEED)
             for a in accounts}
    followers = {a.user_id: Follower(a, small[a.user_id]) for a in accounts}
    seen: dict[str, dict[str, list[str]]] = {a.user_id: {} for a in accounts}
    sent: dict[str, list[str]] = {shared: [], **{room: [] for room in pairs}}

    async def follow(account: Account, timeout: int = 0) -> None:
        _, delivered = await followers[account.user_id].sync(timeout=timeout)
        for room_id, events in delivered.items():
            seen[account.user_id].setdefault(room_id, []).extend(events)

    async def send_and_sync(index: int, account: Account) -> None:
        await follow(account)
        for i in range(SENDS):
            room = shared if i % 2 else pairs[index if i % 4 else (index - 1) % USERS]
            sent[room].append(await account.send(room, f"{account.user_id} {i}"))
            await follow(account)

    watcher = Follower(observer)
    watched: dict[str, list[str]] = {}
    long_polls = 0

    async def watch() -> None:
        """Long-poll until every message has arrived."""
        nonlocal long_polls
        await watcher.sync()
        while sum(1 for t in watcher.types.values() if t == "m.room.message") < USERS * SENDS:
            body, delivered = await watcher.sync(timeout=30_000)
            long_polls += 1
            assert body["room_map"] or body["presence"]["events"], "woke with nothing to report"
            for room_id, events in delivered.items():
                watched.setdefault(room_id, []).extend(events)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            for index, account in enumerate(accounts):
                tg.start_soon(send_and_sync, index, account)
        for account in accounts:
            await follow(account)

    assert sum(len(events) for events in sent.values()) == USERS * SENDS
    for account in accounts:
        for room_id, events in seen[account.user_id].items():
            assert len(events) == len(set(events)), f"{account.user_id} got repeats in {room_id}"
            history = await account.messages(room_id, dir="f", limit=1000)
            in_order = [e["event_id"] for e in history["chunk"]]
            # Exactly the room's history from where the user's first sync began, in order.
            assert events == in_order[len(in_order) - len(events):], room_id
            assert set(sent[room_id]) <= set(events), f"{account.user_id} lost events in {room_id}"
        mine = {shared, pairs[accounts.index(account)], pairs[accounts.index(account) - 1]}
        assert set(seen[account.user_id]) == mine
    for room_id, events in sent.items():
        got = [e for e in watched[room_id] if e in set(events)]
        assert sorted(got) == sorted(events) and len(got) == len(set(got)), room_id
        history = await observer.messages(room_id, dir="f", limit=1000)
        in_order = [e["event_id"] for e in history["chunk"]]
        assert watched[room_id] == in_order[len(in_order) - len(watched[room_id]):], room_id
    assert 1 <= long_polls <= USERS * SENDS
