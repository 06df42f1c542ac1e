"""SyTest tests/31sync/05presence.pl, re-expressed: presence in /sync."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Account
from tests.sytest.sync31 import (
    await_sync,
    create_room_synced,
    do_and_wait_for_sync,
    matrix_sync,
    matrix_sync_again,
)

pytestmark = pytest.mark.anyio

PRESENCE = {"presence": {"types": ["m.presence"]}}


def presence_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("presence", {}).get("events", [])  # type: ignore[no-any-return]


async def test_user_sees_their_own_presence_in_a_sync(alice: Account) -> None:
    """05presence.pl, "User sees their own presence in a sync"."""
    filter_id = await alice.upload_filter({**PRESENCE, "account_data": {"types": []}})
    await do_and_wait_for_sync(
        alice,
        matrix_sync(alice, filter=filter_id),
        lambda body, _: presence_events(body)[:1],
    )
    events = presence_events(await matrix_sync(alice, filter=filter_id))
    presence = next((e for e in events if e["type"] == "m.presence"), None)
    assert presence is not None, "Expected to see our own presence"
    assert presence["sender"] == alice.user_id
    assert presence["content"]["presence"] == "online"


async def test_user_is_offline_if_they_set_presence_offline_in_their_sync(alice: Account) -> None:
    """05presence.pl, "User is offline if they set_presence=offline in their sync"."""
    filter_id = await alice.upload_filter(PRESENCE)
    body = await matrix_sync(alice, filter=filter_id, set_presence="offline")
    own = [
        e
        for e in presence_events(body)
        if e["type"] == "m.presence" and e["sender"] == alice.user_id
    ]
    # Either absent entirely, or present as "offline"; never "online".
    assert all(e["content"]["presence"] == "offline" for e in own), own


async def test_user_sees_updates_to_presence_from_other_users_in_the_incremental_sync(
    alice: Account, bob: Account
) -> None:
    """05presence.pl, "User sees updates to presence from other users in the incremental
    sync."."""
    filter_a = await alice.upload_filter(PRESENCE)
    filter_b = await bob.upload_filter(PRESENCE)
    room_id = await create_room_synced(alice)
    await bob.join(room_id)
    await matrix_sync(alice, filter=filter_a)
    await matrix_sync_again(alice, filter=filter_a)  # our own presence comes down
    await matrix_sync(bob, filter=filter_b)  # bob comes online by syncing

    def bob_online(body: dict[str, Any]) -> bool:
        for presence in presence_events(body):
            if presence["sender"] == bob.user_id:
                assert presence["content"]["presence"] == "online"
                return True
        return False

    assert await await_sync(alice, bob_online)
