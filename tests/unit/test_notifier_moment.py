"""The moment a long-poll's answer is made at (:meth:`Notifier.wait_for`): that of the
change that woke it, so the answers one change wakes agree on their ages; the clock's
own reading otherwise (answered at once, at the deadline, after a clock jump)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import anyio

from mockserver.core.clock import Clock
from mockserver.core.store import Change
from mockserver.notifier import Notifier

ROOM = "!room:localhost"


def stepping_clock() -> Clock:
    """A clock 5 ms later at each reading: every answer falls in a new millisecond."""
    ticks = itertools.count()
    return Clock(source=lambda: 1_000_000 + next(ticks) * 0.005)


async def parked_answers(
    notifier: Notifier, count: int, act: Callable[[], None]
) -> list[tuple[bool, int]]:
    """``count`` waiters parked on ROOM (nothing to say at first); ``act()`` once all are
    parked; each one's (value, moment)."""
    answers: list[tuple[bool, int]] = []
    woken = [False] * count

    async def park(index: int) -> None:
        def compute() -> bool:
            seen, woken[index] = woken[index], True
            return seen

        answers.append(
            await notifier.wait_for(
                compute, keys=lambda: [f"room:{ROOM}"], deadline_ms=notifier.clock.now_ms() + 60_000
            )
        )

    async with anyio.create_task_group() as tasks:
        for index in range(count):
            tasks.start_soon(park, index)
        with anyio.fail_after(10):
            await notifier.until_total_parked(count)
        act()
    return answers


async def test_the_answers_one_change_wakes_share_its_moment() -> None:
    notifier = Notifier(stepping_clock())
    changed_at: list[int] = []

    def change() -> None:
        notifier.on_change(Change(rooms=frozenset({ROOM})))
        changed_at.append(notifier.clock.now_ms() - 5)  # the reading on_change took

    answers = await parked_answers(notifier, 3, change)
    assert answers == [(True, changed_at[0])] * 3
    assert notifier.clock.now_ms() > changed_at[0] + 3 * 5


async def test_an_answer_given_at_once_is_made_at_the_clocks_now() -> None:
    notifier = Notifier(stepping_clock())
    notifier.on_change(Change(rooms=frozenset({ROOM})))  # an earlier change is no moment
    before = notifier.clock.now_ms()
    value, moment = await notifier.wait_for(lambda: True, keys=lambda: [], deadline_ms=before + 1000)
    assert value is True
    assert moment > before


async def test_an_answer_at_the_deadline_is_made_at_the_clocks_now() -> None:
    clock = Clock()
    clock.freeze(5_000_000)
    notifier = Notifier(clock)
    notifier.on_change(Change(rooms=frozenset({ROOM})))
    answers: list[tuple[int, int]] = []

    async def park() -> None:
        answers.append(await notifier.wait_for(lambda: 0, keys=lambda: [], deadline_ms=5_030_000))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(park)
        with anyio.fail_after(10):
            await notifier.until_total_parked(1)
        clock.advance(30_000)
    assert answers == [(0, 5_030_000)]


async def test_a_clock_jump_after_the_change_forgets_its_moment() -> None:
    clock = Clock()
    clock.freeze(7_000_000)
    notifier = Notifier(clock)

    def change_then_jump() -> None:
        notifier.on_change(Change(rooms=frozenset({ROOM})))
        clock.advance(60_000)  # before the woken waiters run

    answers = await parked_answers(notifier, 2, change_then_jump)
    assert answers == [(True, 7_060_000)] * 2
