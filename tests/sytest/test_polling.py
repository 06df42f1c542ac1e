"""SyTest tests/31sync/08polling.pl, re-expressed: a long-polling sync is woken by a
message and by a leave. SyTest acts 0.1 s after starting the poll; here the action waits
until the poll is parked (``GET /_mock/parked``), with no sleep."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from tests.sliding import wait_parked
from tests.support import Account
from tests.sytest.sync31 import create_room_synced, matrix_sync, matrix_sync_again

pytestmark = pytest.mark.anyio

NO_PRESENCE = {"presence": {"not_types": ["m.presence"]}}


async def poll_while(
    account: Account, filter_id: str, action: Callable[[], Awaitable[Any]]
) -> tuple[dict[str, Any], Any]:
    """``matrix_sync_again`` with a 10 s timeout, and ``action`` once it is parked."""
    answer: dict[str, Any] = {}

    async def poll() -> None:
        answer.update(await matrix_sync_again(account, filter=filter_id, timeout=10_000))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(poll)
        with anyio.fail_after(30):
            await wait_parked(account.client, account.user_id)
        result = await action()
    return answer, result


async def test_sync_can_be_polled_for_updates(alice: Account) -> None:
    """08polling.pl, "Sync can be polled for updates"."""
    filter_id = await alice.upload_filter(NO_PRESENCE)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    body, event_id = await poll_while(alice, filter_id, lambda: alice.send(room_id, "1"))
    events = body["rooms"]["join"][room_id]["timeline"]["events"]
    assert [e["event_id"] for e in events] == [event_id]


async def test_sync_is_woken_up_for_leaves(alice: Account) -> None:
    """08polling.pl, "Sync is woken up for leaves"."""
    filter_id = await alice.upload_filter(NO_PRESENCE)
    room_id = await create_room_synced(alice)
    await matrix_sync(alice, filter=filter_id)
    body, _ = await poll_while(alice, filter_id, lambda: alice.leave(room_id))
    assert len(body["rooms"]["leave"][room_id]["timeline"]["events"]) == 1
