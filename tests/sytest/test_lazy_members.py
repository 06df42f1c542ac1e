"""SyTest tests/31sync/15lazy-members.pl, re-expressed: lazy-loading room members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Account, register
from tests.sytest.sync31 import LAZY, assert_room_members, fillers, joined, public_named_room, state_types

pytestmark = pytest.mark.anyio


async def sync(account: Account, filter_id: str, *, again: bool = True) -> dict[str, Any]:
    """``matrix_sync`` (initial) or ``matrix_sync_again`` (from the last next_batch)."""
    body = await account.sync(filter=filter_id, since=account.next_batch if again else None)
    account.next_batch = body["next_batch"]
    return body


async def bob_spoke_and_alice_synced(
    alice: Account, bob: Account, charlie: Account
) -> tuple[str, str]:
    """The setup most of these tests share: bob and charlie join alice's named room, bob
    sends 10 fillers, and alice's initial lazy sync has only herself and bob as members."""
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await fillers(bob, room_id, 10)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, bob.user_id])
    return filter_id, room_id


@pytest.fixture
async def users(client: httpx.AsyncClient) -> list[Account]:
    return [await register(client, name) for name in ("alice", "bob", "charlie", "dave")]


async def test_lazy_loading_parameters_in_the_filter_are_strictly_boolean(users: list[Account]) -> None:
    alice = users[0]
    for key in ("lazy_load_members", "include_redundant_members"):
        for value in ("true", 1):
            await alice.call(
                "POST",
                f"/user/{alice.user_id}/filter",
                json={"room": {"state": {key: value}}},
                expect=400,
            )


async def test_the_only_membership_state_in_an_initial_sync_is_for_the_timelines_senders(
    users: list[Account],
) -> None:
    alice, bob, charlie, _ = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await fillers(bob, room_id, 10)
    await fillers(charlie, room_id, 10)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, charlie.user_id])


async def test_the_only_membership_state_in_an_incremental_sync_is_for_the_timelines_senders(
    users: list[Account],
) -> None:
    alice, bob, charlie, _ = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await fillers(bob, room_id, 10)
    body = await sync(alice, filter_id, again=False)
    assert state_types(body, room_id) == sorted(
        [
            ("m.room.create", ""),
            ("m.room.join_rules", ""),
            ("m.room.power_levels", ""),
            ("m.room.name", ""),
            ("m.room.history_visibility", ""),
            ("m.room.member", alice.user_id),
            ("m.room.member", bob.user_id),
        ]
    )
    await charlie.send(room_id, "Message from charlie")
    body = await sync(alice, filter_id)
    assert state_types(body, room_id) == [("m.room.member", charlie.user_id)]
    # Syncing again returns no state changes (and no room at all).
    body = await sync(alice, filter_id)
    assert body.get("rooms", {}).get("join", {}) == {}


async def test_gapped_incremental_syncs_include_all_state_changes(users: list[Account]) -> None:
    alice, bob, charlie, dave = users
    filter_id, room_id = await bob_spoke_and_alice_synced(alice, bob, charlie)
    await dave.join(room_id)
    await fillers(charlie, room_id, 20)
    body = await sync(alice, filter_id)
    assert_room_members(body, room_id, [charlie.user_id, dave.user_id])
    await dave.leave(room_id)
    await fillers(charlie, room_id, 20)
    body = await sync(alice, filter_id)
    room = joined(body, room_id)
    assert room is not None
    members = [e for e in room["state"]["events"] if e["type"] == "m.room.member"]
    assert {e["state_key"]: e["content"]["membership"] for e in members} == {dave.user_id: "leave"}


async def test_old_leaves_are_present_in_gapped_incremental_syncs(users: list[Account]) -> None:
    alice, bob, charlie, _ = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await charlie.send(room_id, "Hello world")
    await fillers(bob, room_id, 10)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, bob.user_id])
    await charlie.leave(room_id)
    await fillers(bob, room_id, 10)
    body = await sync(alice, filter_id)
    assert_room_members(body, room_id, {charlie.user_id: "leave"})


async def test_leaves_are_present_in_non_gapped_incremental_syncs(users: list[Account]) -> None:
    alice, bob, charlie, _ = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await charlie.send(room_id, "Hello world")
    await fillers(bob, room_id, 10)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, bob.user_id])
    await charlie.leave(room_id)
    await fillers(bob, room_id, 5)
    body = await sync(alice, filter_id)
    room = joined(body, room_id)
    assert room is not None
    first = room["timeline"]["events"][0]
    assert (first["type"], first["state_key"]) == ("m.room.member", charlie.user_id)


async def test_old_members_are_included_in_gappy_incr_ll_sync_if_they_start_speaking(
    users: list[Account],
) -> None:
    alice, bob, charlie, _ = users
    filter_id, room_id = await bob_spoke_and_alice_synced(alice, bob, charlie)
    await fillers(bob, room_id, 10)
    await fillers(charlie, room_id, 10)
    body = await sync(alice, filter_id)
    assert_room_members(body, room_id, [charlie.user_id])


async def test_members_from_the_gap_are_included_in_gappy_incr_ll_sync(users: list[Account]) -> None:
    alice, bob, charlie, dave = users
    filter_id, room_id = await bob_spoke_and_alice_synced(alice, bob, charlie)
    await dave.join(room_id)
    await fillers(charlie, room_id, 10)
    body = await sync(alice, filter_id)
    assert_room_members(body, room_id, [charlie.user_id, dave.user_id])


async def test_we_dont_send_redundant_membership_state_across_incremental_syncs_by_default(
    users: list[Account],
) -> None:
    alice, bob, charlie, _ = users
    filter_id = await alice.upload_filter(LAZY)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await fillers(bob, room_id, 10)
    await fillers(charlie, room_id, 5)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, bob.user_id, charlie.user_id])
    await bob.send(room_id, "New message from bob")
    await charlie.send(room_id, "New message from charlie")
    body = await sync(alice, filter_id)
    assert_room_members(body, room_id, [])


async def test_we_do_send_redundant_membership_state_across_incremental_syncs_if_asked(
    users: list[Account],
) -> None:
    alice, bob, charlie, _ = users
    redundant = {
        "room": {
            "state": {"lazy_load_members": True, "include_redundant_members": True},
            "timeline": {"limit": 10},
        }
    }
    filter_id = await alice.upload_filter(redundant)
    room_id = await public_named_room(alice)
    await bob.join(room_id)
    await charlie.join(room_id)
    await fillers(bob, room_id, 10)
    await fillers(charlie, room_id, 5)
    body = await sync(alice, filter_id, again=False)
    assert_room_members(body, room_id, [alice.user_id, bob.user_id, charlie.user_id])
    await bob.send(room_id, "New message from bob")
    await charlie.send(room_id, "New message from charlie")
    body = await sync(alice, filter_id)
    # Alice's own membership is never redundant-sent.
    assert_room_members(body, room_id, [bob.user_id, charlie.user_id])
