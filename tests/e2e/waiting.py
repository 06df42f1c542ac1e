"""Waiting on a condition that SDK callbacks make true, without sleeping."""

from __future__ import annotations

from collections.abc import Callable

import anyio


class Changes:
    """Callbacks call :meth:`notify`; tests wait until a predicate holds."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def notify(self, *_: object) -> None:
        self._event.set()
        self._event = anyio.Event()

    async def until(self, predicate: Callable[[], bool], seconds: float = 10.0) -> None:
        with anyio.fail_after(seconds):
            while not predicate():
                await self._event.wait()
