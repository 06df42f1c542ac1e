"""The server's clock: the only source of "now" in mockserver.

Every timestamp (``origin_server_ts``, ``unsigned.age``, ``last_active_ago``,
typing expiry) and every long-poll deadline is read from a :class:`Clock`.
The control API can freeze it and move it forward; waiters on a deadline
are woken when it moves, so a 30-second long-poll can be ended in a test
by advancing the clock instead of waiting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Clock:
    """Wall-clock milliseconds, optionally frozen and shifted.

    ``now_ms`` is ``time.time()`` plus an offset, or a fixed value while
    frozen. Listeners registered with :meth:`on_change` hear every jump
    (freeze, unfreeze, advance), which is how the notifier re-checks its
    deadlines without polling.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset_ms = 0
        self._frozen_at: int | None = None
        self._listeners: list[Callable[[], None]] = []

    def now_ms(self) -> int:
        if self._frozen_at is not None:
            return self._frozen_at
        return int(self._source() * 1000) + self._offset_ms

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at_ms: int | None = None) -> int:
        self._frozen_at = self.now_ms() if at_ms is None else at_ms
        self._changed()
        return self._frozen_at

    def unfreeze(self) -> int:
        if self._frozen_at is not None:
            self._offset_ms = self._frozen_at - int(self._source() * 1000)
            self._frozen_at = None
            self._changed()
        return self.now_ms()

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += ms
        else:
            self._offset_ms += ms
        self._changed()
        return self.now_ms()

    def reset(self) -> None:
        self._offset_ms = 0
        self._frozen_at = None
        self._changed()

    def seconds_until(self, deadline_ms: int) -> float:
        """Real seconds to wait for ``deadline_ms``: infinite while frozen."""
        remaining = deadline_ms - self.now_ms()
        if remaining <= 0:
            return 0.0
        if self._frozen_at is not None:
            return math.inf
        return remaining / 1000

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()
