"""Long-poll waiters, woken by store changes: no polling loops anywhere.

A parked request registers one waiter (an asyncio future, resolved to wake
it) under the keys it cares about (``user:<id>`` for its own user,
``room:<id>`` for a room), and may ask to be woken by a change to any room
its user is joined to (``member_of``): that is looked up when a change
comes, from the rooms' joined members (:class:`JoinedMembers`), so a user in
1,000 rooms parks under one key, not 1,000. The store reports every change
with the rooms and users it concerns, and the notifier wakes exactly the
waiters registered under those keys and those of the parked members of those
rooms.
A woken request recomputes; if the result is still empty (say, everything
new was filtered out) it parks again for the rest of its timeout.

Deadlines come from the server :class:`~mockserver.core.clock.Clock`. When
the clock jumps (frozen, advanced), every waiter re-checks its deadline, so
tests end a 30-second long-poll by advancing the clock instead of waiting.
The notifier knows nothing about the sync format.

A long-poll woken by a change answers as of that change: :meth:`Notifier.wait_for`
gives the clock's reading at the latest change as the answer's moment (the
``now`` its ``unsigned.age`` and ``last_active_ago`` are measured at), so the
hundreds of answers one message wakes agree on their ages, and the same answer
is encoded once for them all, however many milliseconds serving them takes
(they are served one after another, and a new millisecond used to mean
encoding anew). Each event in such an answer was committed before the change
was told, so no age is negative; a clock jump forgets the moment.

A wait is one future and one timer of the running asyncio loop (uvicorn's;
mockserver runs on nothing else), which resolves the future at the deadline.
One change wakes hundreds of long-polls at once: an anyio cancel scope and
event per wait (a scope entered and left, a backend lookup per event, two more
coroutine frames resumed per wake) were ~15 us of a woken answer's ~95 in
process (bench/README.md, issue 19's wake-up round).
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import anyio

from mockserver.core.clock import Clock
from mockserver.core.store import Change

T = TypeVar("T")


def room_key(room_id: str) -> str:
    return f"room:{room_id}"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


class JoinedMembers(Protocol):
    """Who is joined to a room now (the store answers it)."""

    def is_joined(self, room_id: str, user_id: str) -> bool: ...

    def joined_members(self, room_id: str) -> Sequence[str]: ...


class _Waiter:
    __slots__ = ("woken", "keys", "label", "member_of")

    def __init__(
        self,
        keys: frozenset[str],
        label: str,
        member_of: str | None,
        woken: asyncio.Future[bool],
    ) -> None:
        #: Resolved to wake the waiter (by a change, the clock, or its deadline's timer).
        self.woken = woken
        self.keys = keys
        self.label = label
        self.member_of = member_of


def _wake(woken: asyncio.Future[bool]) -> None:
    """Wake a waiter for another reason than a change (its deadline, a clock jump)."""
    if not woken.done():
        woken.set_result(False)


class Notifier:
    def __init__(self, clock: Clock, members: JoinedMembers | None = None) -> None:
        self.clock = clock
        self.members = members
        self._by_key: dict[str, set[_Waiter]] = {}
        #: Waiters woken by a change to any room their user is joined to, by user.
        self._by_member: dict[str, set[_Waiter]] = {}
        self._all: set[_Waiter] = set()
        #: How many waiters each label (a user id) has parked right now.
        self.parked: Counter[str] = Counter()
        #: How many times waiters of each label were woken by a change.
        self.wakeups: Counter[str] = Counter()
        #: How many times waiters of each label have parked, ever (a re-park after a wake counts).
        self.parks: Counter[str] = Counter()
        self._parked_changed: anyio.Event | None = None
        #: Called whenever a waiter parks or leaves (the inspector's watch).
        self.on_parked: Callable[[], None] | None = None
        #: The clock's reading at the latest change (None once the clock jumped since).
        self._changed_at: int | None = None
        clock.on_change(self._wake_everyone)

    # -- the store's side ------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        self._changed_at = self.clock.now_ms()
        woken: set[_Waiter] = set()
        for room_id in change.rooms:
            woken.update(self._by_key.get(room_key(room_id), ()))
            if self._by_member:
                self._joined_waiters(room_id, woken)
        for user_id in change.users:
            woken.update(self._by_key.get(user_key(user_id), ()))
        for waiter in woken:
            if not waiter.woken.done():
                self.wakeups[waiter.label] += 1
                waiter.woken.set_result(True)

    def _joined_waiters(self, room_id: str, woken: set[_Waiter]) -> None:
        """Add the waiters of the room's joined members: whichever is fewer is walked,
        the parked users or the members."""
        members = self.members
        if members is None:
            return
        by_member = self._by_member
        joined = members.joined_members(room_id)
        if len(by_member) < len(joined):
            for user_id, waiters in by_member.items():
                if members.is_joined(room_id, user_id):
                    woken.update(waiters)
        else:
            for user_id in joined:
                found = by_member.get(user_id)
                if found is not None:
                    woken.update(found)

    def _wake_everyone(self) -> None:
        self._changed_at = None
        for waiter in list(self._all):
            _wake(waiter.woken)

    # -- the request's side ----------------------------------------------------------------

    async def wait_for(
        self,
        compute: Callable[[], T],
        *,
        keys: Callable[[], Iterable[str]],
        deadline_ms: int,
        label: str = "",
        next_wake_ms: Callable[[], int | None] = lambda: None,
        member_of: str | None = None,
    ) -> tuple[T, int]:
        """``compute()`` once it is truthy, or its last value at the deadline, and the
        moment it is an answer at: that of the latest change when a change woke it (see
        the module's docstring), else the clock's now.

        ``keys`` is asked afresh before each wait; ``member_of`` (a user id)
        also wakes on any change to a room that user is joined to when the
        change comes (a user who joins a room while parked is then woken by
        it too); ``next_wake_ms`` names an extra moment to recompute at, such
        as a typing notification expiring.
        """
        by_change = False
        while True:
            result = compute()
            now = self.clock.now_ms()
            if result or now >= deadline_ms:
                changed_at = self._changed_at
                if by_change and changed_at is not None:
                    return result, changed_at
                return result, now
            wake_at = deadline_ms
            extra = next_wake_ms()
            if extra is not None:
                wake_at = min(wake_at, max(extra, now))
            loop = asyncio.get_running_loop()
            waiter = self._park(frozenset(keys()), label, member_of, loop.create_future())
            delay = self.clock.seconds_until(wake_at)
            timer = None if delay == math.inf else loop.call_later(delay, _wake, waiter.woken)
            try:
                by_change = await waiter.woken
            finally:
                if timer is not None:
                    timer.cancel()
                self._unpark(waiter)

    def _park(
        self,
        keys: frozenset[str],
        label: str,
        member_of: str | None,
        woken: asyncio.Future[bool],
    ) -> _Waiter:
        waiter = _Waiter(keys, label, member_of, woken)
        for key in keys:
            self._by_key.setdefault(key, set()).add(waiter)
        if member_of is not None:
            self._by_member.setdefault(member_of, set()).add(waiter)
        self._all.add(waiter)
        self.parked[label] += 1
        self.parks[label] += 1
        self._signal_parked()
        return waiter

    def _unpark(self, waiter: _Waiter) -> None:
        by_key = self._by_key
        for key in waiter.keys:
            waiters = by_key.get(key)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del by_key[key]
        member_of = waiter.member_of
        if member_of is not None:
            parked = self._by_member.get(member_of)
            if parked is not None:
                parked.discard(waiter)
                if not parked:
                    del self._by_member[member_of]
        self._all.discard(waiter)
        label = waiter.label
        remaining = self.parked[label] - 1
        if remaining:
            self.parked[label] = remaining
        else:
            self.parked.pop(label)
        self._signal_parked()

    def _signal_parked(self) -> None:
        if self.on_parked is not None:
            self.on_parked()
        if self._parked_changed is not None:
            self._parked_changed.set()
            self._parked_changed = None

    def total_parked(self) -> int:
        return len(self._all)

    async def until_parked(self, label: str, count: int = 1) -> None:
        """Wait until ``label`` has at least ``count`` parked waiters (for tests and benches)."""
        while self.parked[label] < count:
            if self._parked_changed is None:
                self._parked_changed = anyio.Event()
            await self._parked_changed.wait()

    async def until_parks(self, label: str, total: int) -> None:
        """Wait until ``label`` has parked ``total`` times in all (parked again after a wake)."""
        while self.parks[label] < total:
            if self._parked_changed is None:
                self._parked_changed = anyio.Event()
            await self._parked_changed.wait()

    async def until_total_parked(self, count: int) -> None:
        while len(self._all) < count:
            if self._parked_changed is None:
                self._parked_changed = anyio.Event()
            await self._parked_changed.wait()
