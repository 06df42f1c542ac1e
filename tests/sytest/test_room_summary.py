"""SyTest tests/31sync/16room-summary.pl, re-expressed: the room summary in /sync."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Account, register

pytestmark = pytest.mark.anyio

LAZY = {"room": {"state": {"lazy_load_members": True}}}


async def summary_of(account: Account, filter_id: str, room_id: str) -> dict[str, Any]:
    body = await account.sync(filter=filter_id, since=account.next_batch)
    account.next_batch = body["next_batch"]
    return body["rooms"]["join"][room_id]["summary"]  # type: ignore[no-any-return]


@pytest.fixture
async def users(client: httpx.AsyncClient) -> list[Account]:
    # Registered in user id order, so join order and sorted order agree (as SyTest's).
    return [await register(client, f"user{n}") for n in range(6)]


async def test_unnamed_room_comes_with_a_name_summary(users: list[Account]) -> None:
    alice, bob, charlie = users[:3]
    filter_id = await alice.upload_filter(LAZY)
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await charlie.join(room_id)
    assert await summary_of(alice, filter_id, room_id) == {
        "m.joined_member_count": 3,
        "m.invited_member_count": 0,
        "m.heroes": [bob.user_id, charlie.user_id],
    }


async def test_named_room_comes_with_just_joined_member_count_summary(users: list[Account]) -> None:
    alice, bob, charlie = users[:3]
    filter_id = await alice.upload_filter(LAZY)
    room_id = await alice.create_room(preset="public_chat")
    await alice.put_state(room_id, "m.room.name", {"name": "A room name"})
    await bob.join(room_id)
    await charlie.join(room_id)
    assert await summary_of(alice, filter_id, room_id) == {
        "m.joined_member_count": 3,
        "m.invited_member_count": 0,
    }


async def test_a_canonical_alias_names_the_room_too(users: list[Account]) -> None:
    """Synapse's rule for heroes: none once the room has a name or a canonical alias."""
    alice, bob = users[:2]
    filter_id = await alice.upload_filter(LAZY)
    room_id = await alice.create_room(preset="public_chat", room_alias_name="summary")
    await bob.join(room_id)
    assert "m.heroes" not in await summary_of(alice, filter_id, room_id)


async def test_room_summary_only_has_5_heroes(users: list[Account]) -> None:
    alice, *others = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await alice.create_room(preset="public_chat")
    for other in others[:5]:
        await other.join(room_id)
    assert await summary_of(alice, filter_id, room_id) == {
        "m.joined_member_count": 6,
        "m.invited_member_count": 0,
        "m.heroes": sorted(o.user_id for o in others[:5])[:5],
    }


async def test_room_summary_counts_change_when_membership_changes(users: list[Account]) -> None:
    alice, bob, charlie = users[:3]
    filter_id = await alice.upload_filter(LAZY)
    room_id = await alice.create_room(preset="public_chat")
    await alice.put_state(room_id, "m.room.name", {"name": "A room name"})
    await bob.join(room_id)
    counts = {"m.joined_member_count": 2, "m.invited_member_count": 0}
    assert await summary_of(alice, filter_id, room_id) == counts
    await charlie.join(room_id)
    assert await summary_of(alice, filter_id, room_id) == {**counts, "m.joined_member_count": 3}
    await bob.leave(room_id)
    assert await summary_of(alice, filter_id, room_id) == counts
