"""What the answers to the syncs one change wakes have in common, encoded once.

A message to a room of 200 parked members wakes 200 long-polls within a few
milliseconds, and most of their answers are the same bytes: the same
position, the same timeline, the same (empty) everything else. Each answer
is still computed for its own user (:func:`~mockserver.core.sync.compute_sync`
decides what the user may see); only encoding is shared, and only between
answers that would encode alike:

- ``next_batch``: the text of the store's position, formatted once.
- Timeline sections: the syncs one message wakes get the very same
  :class:`~mockserver.core.sync.Timeline` object (the room remembers its
  window), whose encoding differs between viewers only by ``unsigned.age``
  (the server time of the answer, in ms), the ``transaction_id`` its
  sender's device sees and, in a limited timeline's bundled aggregations,
  whether the viewer took part in each thread (the viewer key; the rest of
  a bundle is the same for everyone at one store position, since every
  relation moves the position).
- Whole answers: an answer's bytes are a function of its
  :class:`~mockserver.core.sync.SyncResult` (a value: every entry in it
  carries its own id and stream position, so equal results hold the same
  events, receipts and account data), the server time in ms, the request's
  encoding options (the viewer key among them) and the device's key
  counts, and of the viewer only through the transaction ids of its own
  events. An answer is reused for an
  equal result under equal options, for a viewer who owns no transaction in
  it, at the same store position (so nothing a kept result refers to has
  changed since).

Answers about more than :attr:`SharedEncodings.WIDE` rooms (initial and
full-state syncs, which one change never wakes together) are neither shared
nor kept, nor are their timelines: looking for the viewer's transaction ids
in them walked every event of a big account's initial sync.

Each kept value holds the objects it was made from, so ids are not reused
while it is kept, and only a few are kept. The module-level :data:`SHARED`
is safe for several homeservers in one process: everything it keeps is
keyed on, or compared with, the objects one store made.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import orjson

from mockserver.core.model import Event, JsonDict, Session
from mockserver.core.sync import JoinedRoom, LeftRoom, SyncResult, Timeline
from mockserver.core.sync.kept import KeptEntry
from mockserver.core.tokens import ALL_PARTS, StreamToken
from mockserver.responses import Body

#: An answer's encoding options besides its result and time: dialect, event fields...
AnswerKey = tuple[Hashable, ...]


def owns_transaction(events: Iterable[Event], session: Session) -> bool:
    """Whether any of ``events`` was sent by ``session``'s device (it sees the txn id)."""
    for event in events:
        txn = event.txn
        if txn is not None and txn[0] == session.user_id and txn[1] == session.device_id:
            return True
    return False


def _owns_any(result: SyncResult, session: Session) -> bool:
    """Whether the answer shows ``session``'s device any of its own transaction ids."""
    for joined in result.joined:
        if _shows_own(joined.entry if isinstance(joined, KeptEntry) else joined, session):
            return True
    for left in result.left:
        if _shows_own(left, session):
            return True
    return False


def _shows_own(room: JoinedRoom | LeftRoom, session: Session) -> bool:
    return owns_transaction(room.timeline.events, session) or bool(
        room.state and owns_transaction(room.state, session)
    )


class SharedEncodings:
    """The kept encodings: a few timelines, the last position's text, a few answers."""

    TIMELINES = 64
    ANSWERS = 4
    #: Answers about more rooms than this are encoded on their own (see the module).
    WIDE = 64

    def __init__(self) -> None:
        self._timelines: dict[
            int, tuple[Timeline, int, tuple[str, ...] | None, tuple[bool, ...], JsonDict]
        ] = {}
        self._position: tuple[StreamToken, str] | None = None
        #: (key, now, result, body), newest first, all made at ``_answers_at``.
        self._answers: list[tuple[AnswerKey, int, SyncResult, bytes]] = []
        self._answers_at: StreamToken | None = None

    def shares(self, result: SyncResult) -> bool:
        """Whether ``result``'s answer and timelines are shared with others (not too wide)."""
        return len(result.joined) + len(result.left) <= self.WIDE

    # -- next_batch --------------------------------------------------------------------------

    def next_batch(self, position: StreamToken) -> str:
        last = self._position
        if last is not None and last[0] is position:
            return last[1]
        text = position.format(ALL_PARTS)
        self._position = (position, text)
        return text

    # -- timelines ---------------------------------------------------------------------------

    def timeline(
        self,
        timeline: Timeline,
        session: Session,
        now: int,
        fields: tuple[str, ...] | None,
        viewer: tuple[bool, ...],
    ) -> JsonDict | None:
        kept = self._timelines.get(id(timeline))
        if (
            kept is None
            or kept[0] is not timeline
            or kept[1] != now
            or kept[2] != fields
            or kept[3] != viewer
            or owns_transaction(timeline.events, session)
        ):
            return None
        return kept[4]

    def keep_timeline(
        self,
        timeline: Timeline,
        session: Session,
        now: int,
        fields: tuple[str, ...] | None,
        viewer: tuple[bool, ...],
        encoded: JsonDict,
    ) -> None:
        if not timeline.events or owns_transaction(timeline.events, session):
            return
        if len(self._timelines) >= self.TIMELINES:
            self._timelines.clear()
        self._timelines[id(timeline)] = (timeline, now, fields, viewer, encoded)

    # -- whole answers -----------------------------------------------------------------------

    def answer(
        self,
        result: SyncResult,
        session: Session,
        now: int,
        key: AnswerKey,
        encode: Callable[[], Body],
    ) -> Body:
        """The JSON ``encode()`` gives, or an earlier call's for an equal answer; pieces
        (:class:`~mockserver.responses.Chunked`) are joined unless the answer is too
        wide to share (:meth:`shares`).

        ``key`` must hold every encoding option besides ``result``, ``now``
        and the viewer's transactions: the dialect, the event fields, where
        state is reported, the device's key counts.
        """
        if not self.shares(result):
            return encode()
        kept = self._answers
        if self._answers_at is not result.next_batch:
            kept.clear()
            self._answers_at = result.next_batch
        shareable = not _owns_any(result, session)
        if shareable:
            for kept_key, kept_now, kept_result, body in kept:
                if kept_now == now and kept_key == key and kept_result == result:
                    return body
        encoded = encode()
        # Pieces are joined whole to be served again.
        body = encoded if isinstance(encoded, bytes) else b"".join(encoded.chunks())
        if shareable:
            kept.insert(0, (key, now, result, body))
            del kept[self.ANSWERS :]
        return body


SHARED = SharedEncodings()
