"""What SyTest's tests/31sync helpers do, for the tests that re-express them here.

Each test in this directory names the SyTest file and test it re-expresses, and keeps its
setup and assertions (matrix-org/sytest, tests/31sync/*.pl and the helpers of
tests/10apidoc/09synced.pl).
"""

from __future__ import annotations

from typing import Any

from tests.support import Account

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
