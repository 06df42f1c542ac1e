"""Python's cycle collector, paused around work that makes many objects and no cycles.

A big account holds millions of objects; a full collection walks them all (a
tenth to half a second on the shared bench machine), and the objects a big
answer or a scenario load makes trigger one every few answers. What that work
makes is either kept (reachable) or freed by reference counting as soon as it
is dropped: the collector has nothing to find in it.
"""

from __future__ import annotations

import gc
from types import TracebackType


class collector_paused:  # noqa: N801 - used like the function it was
    """The cycle collector off for the ``with`` block (and left as it was after).

    A class rather than a ``contextlib`` generator: every woken ``/sync`` answer
    goes through one, and the generator's machinery cost more than the pause.
    """

    __slots__ = ("_enabled",)

    def __enter__(self) -> None:
        self._enabled = gc.isenabled()
        gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._enabled:
            gc.enable()
