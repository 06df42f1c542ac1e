"""Notifier introspection through ``/_mock/parked``."""

from __future__ import annotations

import anyio
import pytest

from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account

pytestmark = pytest.mark.anyio


async def test_counts_parked_long_polls_per_user(
    hs: Homeserver, control: Control, alice: Account
) -> None:
    assert await control.call("GET", "/parked") == {
        "parked": {},
        "total": 0,
        "wakeups": {},
        "reached": False,
    }
    first = await alice.sync()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: alice.sync(since=first["next_batch"], timeout=30_000))
            await hs.notifier.until_parked(alice.user_id)
            body = await control.call("GET", "/parked", params={"user_id": alice.user_id})
            assert (body["parked"], body["total"], body["reached"]) == ({alice.user_id: 1}, 1, True)
            await control.call("POST", "/clock/advance", json={"ms": 30_000})
    assert (await control.call("GET", "/parked"))["parked"] == {}


async def test_waits_until_a_user_is_parked(control: Control, alice: Account) -> None:
    first = await alice.sync()
    seen = {}

    async def wait() -> None:
        seen["body"] = await control.call(
            "GET", "/parked", params={"user_id": alice.user_id, "timeout": 10_000}
        )
        await control.call("POST", "/clock/advance", json={"ms": 30_000})

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            assert "body" not in seen
            await alice.sync(since=first["next_batch"], timeout=30_000)
    assert seen["body"]["reached"] is True
    assert seen["body"]["parked"] == {alice.user_id: 1}


async def test_wait_for_a_total(control: Control, alice: Account, bob: Account) -> None:
    tokens = {a.user_id: (await a.sync())["next_batch"] for a in (alice, bob)}
    seen = {}

    async def wait() -> None:
        seen["body"] = await control.call("GET", "/parked", params={"count": 2, "timeout": 10_000})
        await control.call("POST", "/clock/advance", json={"ms": 30_000})

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            for account in (alice, bob):
                tg.start_soon(lambda a=account: a.sync(since=tokens[a.user_id], timeout=30_000))
    assert (seen["body"]["total"], seen["body"]["reached"]) == (2, True)


async def test_gives_up_after_the_timeout(control: Control, alice: Account) -> None:
    body = await control.call("GET", "/parked", params={"user_id": alice.user_id, "timeout": 1})
    assert (body["parked"], body["reached"]) == ({}, False)
