"""The notifier's ``member_of`` waiters: woken by a change to a room their user is joined
to when the change comes, whichever way it finds them (the parked users, or the room's
members, whichever are fewer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio

from mockserver.core.clock import Clock
from mockserver.core.store import Change
from mockserver.notifier import Notifier


class Members:
    """Joined members by room, as the store would answer."""

    def __init__(self, rooms: dict[str, list[str]]) -> None:
        self.rooms = rooms

    def is_joined(self, room_id: str, user_id: str) -> bool:
        return user_id in self.rooms.get(room_id, [])

    def joined_members(self, room_id: str) -> Sequence[str]:
        return self.rooms.get(room_id, [])


async def woken_by(
    notifier: Notifier,
    parked: list[str],
    change: Change,
    meanwhile: Callable[[], None] = lambda: None,
) -> set[str]:
    """Which of ``parked`` (one long-poll each) wake when ``change`` comes (after
    ``meanwhile``, called once they are all parked)."""
    woken: set[str] = set()
    calls = dict.fromkeys(parked, 0)

    async def park(user_id: str) -> None:
        def compute() -> bool:
            calls[user_id] += 1
            return calls[user_id] > 1  # nothing at first; something once woken

        deadline = notifier.clock.now_ms() + 60_000
        value, _ = await notifier.wait_for(
            compute, keys=lambda: [], deadline_ms=deadline, label=user_id, member_of=user_id
        )
        if value:
            woken.add(user_id)

    async with anyio.create_task_group() as tasks:
        for user_id in parked:
            tasks.start_soon(park, user_id)
        with anyio.fail_after(10):
            await notifier.until_total_parked(len(parked))
        meanwhile()
        notifier.on_change(change)
        with anyio.fail_after(10):
            while len(woken) < len(set(parked) & _joined(notifier, change)):
                await anyio.sleep(0)
        tasks.cancel_scope.cancel()
    return woken


def _joined(notifier: Notifier, change: Change) -> set[str]:
    members = notifier.members
    assert isinstance(members, Members)
    return {u for room_id in change.rooms for u in members.rooms.get(room_id, [])}


async def test_fewer_parked_than_members_wakes_the_parked_members() -> None:
    members = Members({"!big": [f"@u{n}" for n in range(50)], "!other": ["@x"]})
    notifier = Notifier(Clock(), members)
    woken = await woken_by(notifier, ["@u3", "@u7", "@x"], Change(rooms=frozenset({"!big"})))
    assert woken == {"@u3", "@u7"}


async def test_more_parked_than_members_wakes_the_members_parked() -> None:
    members = Members({"!small": ["@a", "@b"]})
    notifier = Notifier(Clock(), members)
    parked = ["@a", "@b", *(f"@p{n}" for n in range(10))]
    woken = await woken_by(notifier, parked, Change(rooms=frozenset({"!small"})))
    assert woken == {"@a", "@b"}


async def test_membership_is_read_when_the_change_comes() -> None:
    members = Members({"!room": ["@a"]})
    notifier = Notifier(Clock(), members)

    def join_b() -> None:  # @b joins while parked: a later change to the room wakes them
        members.rooms["!room"].append("@b")

    woken = await woken_by(notifier, ["@b", "@c"], Change(rooms=frozenset({"!room"})), join_b)
    assert woken == {"@b"}
