"""A long-poll woken by a change answers as of that change (``Notifier.wait_for``): the
syncs one message wakes agree on its age however long serving them all takes, and an
answer that was not woken (an initial sync, ``timeout=0``) is made at the clock's now.

The server clock here moves 3 ms at every reading, so without the shared moment each
woken answer would fall in a new millisecond and give the message another age.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import anyio
import pytest

from mockserver.homeserver import Homeserver
from tests.sliding import Connection, room_list
from tests.support import Account


@pytest.fixture
def stepping_clock(hs: Homeserver, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count()
    start = time.time()
    monkeypatch.setattr(hs.clock, "_source", lambda: start + next(ticks) * 0.003)


async def room_of(creator: Account, *others: Account) -> str:
    """A public room of ``creator`` that ``others`` have joined."""
    room = await creator.create_room(preset="public_chat")
    for account in others:
        await account.join(room)
    return room


def ages(events: list[dict[str, Any]]) -> list[int]:
    return [e["unsigned"]["age"] for e in events]


async def test_the_syncs_one_message_wakes_agree_on_its_age(
    hs: Homeserver, alice: Account, bob: Account, carol: Account, stepping_clock: None
) -> None:
    room = await room_of(alice, bob, carol)
    since: dict[str, str] = {}
    for account in (alice, bob, carol):  # each first sync shows the others the user online
        since[account.user_id] = (await account.sync(timeout=0))["next_batch"]
    for account in (alice, bob, carol):
        since[account.user_id] = (await account.sync(since=since[account.user_id]))["next_batch"]
    answers: dict[str, dict[str, Any]] = {}

    async def long_poll(account: Account) -> None:
        answers[account.user_id] = await account.sync(since=since[account.user_id], timeout=30_000)

    async with anyio.create_task_group() as tasks:
        for account in (bob, carol, alice):
            tasks.start_soon(long_poll, account)
        with anyio.fail_after(20):
            await hs.notifier.until_total_parked(3)
        await alice.send(room, "wake up")
    timelines = {
        user: answer["rooms"]["join"][room]["timeline"]["events"] for user, answer in answers.items()
    }
    woken_ages = {user: ages(events) for user, events in timelines.items()}
    assert woken_ages[bob.user_id] == woken_ages[carol.user_id] == woken_ages[alice.user_id]
    (age,) = woken_ages[bob.user_id]
    assert 0 <= age < 30  # the change was told within a few readings of the clock
    # Only the sender's device sees its transaction id; the rest of the answers are alike.
    assert "transaction_id" in timelines[alice.user_id][0]["unsigned"]
    assert answers[bob.user_id]["rooms"] == answers[carol.user_id]["rooms"]
    # An answer that was not woken is made at the clock's now: the message is older now.
    again = await bob.sync(since=since[bob.user_id], timeout=0)
    (later,) = ages(again["rooms"]["join"][room]["timeline"]["events"])
    assert later > age


async def test_sliding_sync_long_polls_woken_by_one_message_agree_on_its_age(
    hs: Homeserver, alice: Account, bob: Account, carol: Account, stepping_clock: None
) -> None:
    room = await room_of(alice, bob, carol)
    body = {"lists": {"all": room_list(timeline_limit=1)}}
    connections = [Connection(bob), Connection(carol)]
    for connection in connections:
        await connection.sync(body)
    answers: list[dict[str, Any]] = []

    async def long_poll(connection: Connection) -> None:
        answers.append(await connection.sync(body, timeout=30_000))

    async with anyio.create_task_group() as tasks:
        for connection in connections:
            tasks.start_soon(long_poll, connection)
        with anyio.fail_after(20):
            await hs.notifier.until_total_parked(2)
        await alice.send(room, "wake up")
    first, second = (ages(a["rooms"][room]["timeline"]) for a in answers)
    assert first == second
    assert 0 <= first[0] < 30
