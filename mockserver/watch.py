"""Watch: one version number that moves whenever anything an observer may show changes.

The inspector page (``control/inspector.py``) long-polls on it: the store's
commits, the journal (a request arriving or answered), the parked long-polls,
the clock and the fault rules each call :meth:`Watch.bump`. A bump costs an
increment and, only while somebody waits, setting one :class:`anyio.Event`; it
never computes anything, so the hot paths it sits on stay as they were.
Waiting uses real time, not the server clock, which a test may have frozen.
"""

from __future__ import annotations

import anyio


class Watch:
    def __init__(self) -> None:
        self.version = 0
        self._moved: anyio.Event | None = None

    def bump(self, *_: object) -> None:
        """Note a change; wake whoever waits. Takes (and ignores) a listener's argument."""
        self.version += 1
        moved = self._moved
        if moved is not None:
            self._moved = None
            moved.set()

    async def wait_past(self, version: int, timeout_s: float) -> int:
        """The version once it is past ``version``, or as it is when ``timeout_s`` runs out."""
        if self.version > version or timeout_s <= 0:
            return self.version
        if self._moved is None:
            self._moved = anyio.Event()
        moved = self._moved
        with anyio.move_on_after(timeout_s):
            await moved.wait()
        return self.version
