"""What SyTest's tests/31sync helpers do, for the tests that re-express them here.

Each test in this directory names the SyTest file and test it re-expresses, and keeps its
setup and assertions (matrix-org/sytest, tests/31sync/*.pl and the helpers of
tests/10apidoc/09synced.pl).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from tests.support import Account

T = TypeVar("T")

FILLER = "a.made.up.filler.type"
LAZY = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 10}}}


async def public_named_room(alice: Account) -> str:
    """``matrix_create_room_synced`` then the room name the lazy-member tests set."""
    room_id = await alice.create_room(preset="public_chat")
    await alice.put_state(room_id, "m.room.name", {"name": "A room name"})
    return room_id


async def fillers(account: Account, room_id: str, count: int) -> None:
    """``matrix_send_filler_messages_synced``: events of a made-up type, numbered 1..count."""
    for number in range(1, count + 1):
        await account.send(room_id, {"filler": number}, event_type=FILLER)


def joined(body: dict[str, Any], room_id: str) -> dict[str, Any] | None:
    rooms: dict[str, Any] = body.get("rooms", {}).get("join", {})
    return rooms.get(room_id)


def state_members(events: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["state_key"]: e["content"]["membership"] for e in events if e["type"] == "m.room.member"
    }


def assert_room_members(body: dict[str, Any], room_id: str, expected: list[str] | dict[str, str]) -> None:
    """SyTest's ``assert_room_members``: exactly these member events in the room's state."""
    room = joined(body, room_id)
    memberships = {user: "join" for user in expected} if isinstance(expected, list) else expected
    if not memberships and (room is None or "state" not in room):
        return
    assert room is not None, f"{room_id} is not in rooms.join"
    assert state_members(room["state"]["events"]) == memberships, room["state"]["events"]


def state_types(body: dict[str, Any], room_id: str) -> list[tuple[str, str]]:
    room = joined(body, room_id)
    assert room is not None
    return sorted((e["type"], e["state_key"]) for e in room["state"]["events"])


# -- the v3 sync helpers of tests/10apidoc (03events-initial.pl, 09synced.pl) ----------------

#: ``matrix_do_and_wait_for_sync``'s own sync: no rooms, no presence, and offline (which,
#: in Synapse and here, leaves the user's presence alone).
QUIET = '{"room":{"rooms":[]},"account_data":{},"presence":{"types":[]}}'
#: SyTest waits with long-polls of 1000 ms times its timeout factor; generous here.
POLL_MS = 10_000


async def matrix_sync(account: Account, **params: Any) -> dict[str, Any]:
    """``matrix_sync``: one ``/sync`` (initial unless ``since`` is given) that records
    ``next_batch`` for ``matrix_sync_again``."""
    body = await account.sync(**params)
    account.next_batch = body["next_batch"]
    return body


async def matrix_sync_again(account: Account, **params: Any) -> dict[str, Any]:
    """``matrix_sync_again``: from the ``next_batch`` the last ``matrix_sync`` recorded."""
    return await matrix_sync(account, since=account.next_batch, **params)


async def await_sync(
    account: Account, check: Callable[[dict[str, Any]], Any], since: str | None = None, **params: Any
) -> Any:
    """``await_sync``: long-poll from ``since`` (or the recorded ``next_batch``) until
    ``check`` answers something true, which it returns; ``next_batch`` is not recorded."""
    since = since if since is not None else account.next_batch
    with anyio.fail_after(60):
        while True:
            query = {"timeout": POLL_MS, "set_presence": "offline", **params}
            body = await account.sync(since=since, **query)
            since = body["next_batch"]
            if found := check(body):
                return found


async def do_and_wait_for_sync(
    account: Account, action: Awaitable[T], check: Callable[[dict[str, Any], T], Any]
) -> T:
    """``matrix_do_and_wait_for_sync``: a quiet sync, the action, then ``await_sync`` from
    there until ``check(body, result)`` holds; the action's result."""
    since = (await account.sync(filter=QUIET, set_presence="offline"))["next_batch"]
    result = await action
    await await_sync(account, lambda body: check(body, result), since=since)
    return result


def timeline_has(body: dict[str, Any], room_id: str, event_id: str) -> bool:
    """``sync_timeline_contains`` for one event id."""
    room = joined(body, room_id) or {}
    return any(e["event_id"] == event_id for e in room.get("timeline", {}).get("events", []))


async def create_room_synced(account: Account, **body: Any) -> str:
    """``matrix_create_room_synced``: ``matrix_create_room`` (``public_chat`` unless told),
    then the sentinel ``m.room.test`` event it waits for in the sync."""
    room_id = await account.create_room(**{"preset": "public_chat", **body})
    await send_synced(account, room_id, {}, event_type="m.room.test")
    return room_id


async def send_synced(
    account: Account,
    room_id: str,
    body: str | dict[str, Any],
    *,
    event_type: str = "m.room.message",
    txn_id: str | None = None,
) -> str:
    """``matrix_send_room_text_message_synced`` / ``matrix_send_room_message_synced``."""
    return await do_and_wait_for_sync(
        account,
        account.send(room_id, body, event_type=event_type, txn_id=txn_id),
        lambda sync, event_id: timeline_has(sync, room_id, event_id),
    )


async def fillers_synced(account: Account, room_id: str, count: int) -> None:
    """``matrix_send_filler_messages_synced``: 1..count-1, then count waited for."""
    await fillers(account, room_id, count - 1)
    await send_synced(account, room_id, {"filler": count}, event_type=FILLER)
