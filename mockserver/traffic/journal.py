"""The request journal: every client request, in arrival order, with its outcome.

An entry is opened when a request arrives (so an in-flight long-poll is
visible, with ``status`` still ``None``) and completed by the traffic
layer with the status the response started with. The journal keeps the newest
``capacity`` entries; ``seq`` numbers keep counting so ``since`` stays
meaningful. It holds values only: the control API shapes them as JSON.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.traffic.match import path_matches

DEFAULT_CAPACITY = 10_000


@dataclass(slots=True)
class JournalEntry:
    seq: int
    #: Server-clock milliseconds at arrival.
    ts: int
    method: str
    path: str
    #: Query parameters; a repeated parameter maps to the list of its values.
    query: dict[str, str | list[str]]
    #: The user whose access token the request carried (valid tokens only).
    user_id: str | None
    #: The parsed JSON body, the body as text if it is not JSON, or None if empty or binary.
    body: Any = None
    #: How many bytes of body the request sent (an upload's bytes are never kept).
    body_size: int = 0
    #: The status the client received; None while in flight or if dropped.
    status: int | None = None
    #: The id of the fault rule applied to this request, if any.
    fault: str | None = None
    #: True if the connection was dropped instead of answering.
    dropped: bool = False
    #: True if the client hung up before its request was answered (status stays None).
    client_gone: bool = False
    #: Real (not server-clock) milliseconds from arrival to completion; None while in flight.
    duration_ms: float | None = None
    #: ``time.monotonic()`` at arrival, for the duration.
    started: float = 0.0


class Journal:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._seq = 0
        #: How many times the journal was cleared (``seq`` starts over each time).
        self.clears = 0
        #: Called when an entry is opened or completed, and on clear (the inspector's watch).
        self.on_change: Callable[[], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest entry (0 before any): a mark for ``since``."""
        return self._seq

    def open(
        self,
        *,
        ts: int,
        method: str,
        path: str,
        query: dict[str, str | list[str]],
        user_id: str | None,
    ) -> JournalEntry:
        self._seq += 1
        entry = JournalEntry(self._seq, ts, method, path, query, user_id, started=time.monotonic())
        self._entries.append(entry)
        self._changed()
        return entry

    def completed(self, entry: JournalEntry) -> None:
        """The request of ``entry`` has been answered (or dropped): note how long it took."""
        entry.duration_ms = round((time.monotonic() - entry.started) * 1000, 3)
        self._changed()

    def clear(self) -> None:
        self._entries.clear()
        self._seq = 0
        self.clears += 1
        self._changed()

    def select(
        self,
        *,
        path: str | None = None,
        user_id: str | None = None,
        method: str | None = None,
        since: int | None = None,
        since_ts: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every filter given, oldest first.

        ``since`` is exclusive (entries after that ``seq``); ``since_ts`` is
        inclusive (entries that arrived at or after that server time).
        """
        return [e for e in self._entries if _keep(e, path, user_id, method, since, since_ts)]

    def __len__(self) -> int:
        return len(self._entries)


def _keep(
    entry: JournalEntry,
    path: str | None,
    user_id: str | None,
    method: str | None,
    since: int | None,
    since_ts: int | None,
) -> bool:
    return (
        (since is None or entry.seq > since)
        and (since_ts is None or entry.ts >= since_ts)
        and (method is None or entry.method == method.upper())
        and (user_id is None or entry.user_id == user_id)
        and path_matches(path, entry.path)
    )
