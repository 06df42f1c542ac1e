"""Which rooms changed since a position: the rooms each commit touched, in order.

An incremental sync looks at the rooms where something happened since its
``since`` token, not at every room of the account: a user in 1,000 rooms woken
by one message should cost what a user in ten rooms costs. Every commit of
the store that touched rooms is recorded here with the position it left the
store at; :meth:`RoomActivity.rooms_since` answers the rooms touched by the
commits whose room, typing or receipt stream is past the token's. That is
a superset of the rooms whose timeline, typing or receipts moved (every such
change touches its room), which is all the sync loop needs: it still checks
each room it is given. The log keeps the last :attr:`RoomActivity.LIMIT`
commits; a token older than that gets None (look at every room).

The syncs one change wakes all ask with the same token (each got the same
``next_batch`` from the change before): the last answer is remembered until
the next commit is recorded, so they search the log once between them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mockserver.core.tokens import StreamToken


def _after(position: StreamToken, token: StreamToken) -> bool:
    """Whether a commit that left the store at ``position`` came after ``token``'s rooms."""
    return (
        position.room > token.room
        or position.typing > token.typing
        or position.receipt > token.receipt
    )


class _Search:
    """A token's (room, typing, receipt) positions, the index of the first commit after
    them in the log, and (once asked) the rooms touched from there on."""

    __slots__ = ("streams", "first", "rooms")

    def __init__(self, streams: tuple[int, int, int], first: int) -> None:
        self.streams = streams
        self.first = first
        self.rooms: frozenset[str] | None = None


class RoomActivity:
    LIMIT = 4096

    def __init__(self) -> None:
        self._positions: list[StreamToken] = []
        self._rooms: list[frozenset[str]] = []
        #: The position of the newest commit dropped from the log, if any.
        self._dropped: StreamToken | None = None
        #: Per user: their rooms in order of first membership -> index (see :meth:`in_order`).
        self._order: dict[str, tuple[Mapping[str, None], dict[str, int]]] = {}
        #: The last search (see :class:`_Search`); dropped by each record.
        self._last: _Search | None = None

    def record(self, position: StreamToken, rooms: frozenset[str]) -> None:
        if not rooms:
            return
        self._last = None
        if len(self._positions) >= self.LIMIT:
            half = self.LIMIT // 2
            self._dropped = self._positions[half - 1]
            del self._positions[:half], self._rooms[:half]
        self._positions.append(position)
        self._rooms.append(rooms)

    def rooms_since(self, token: StreamToken, most: int) -> frozenset[str] | None:
        """Every room touched after ``token``, or None when the log does not reach back
        that far or more than ``most`` commits came since (then look at every room)."""
        if self._dropped is not None and _after(self._dropped, token):
            return None
        streams = (token.room, token.typing, token.receipt)
        last = self._last
        if last is None or last.streams != streams:
            last = self._last = _Search(streams, self._first_after(token))
        if len(self._positions) - last.first > most:
            return None
        if last.rooms is None:
            last.rooms = frozenset().union(*self._rooms[last.first :])
        return last.rooms

    def _first_after(self, token: StreamToken) -> int:
        """The index of the first commit after ``token`` (positions only grow)."""
        positions = self._positions
        low, high = 0, len(positions)
        while low < high:
            middle = (low + high) // 2
            if _after(positions[middle], token):
                high = middle
            else:
                low = middle + 1
        return low

    def in_order(
        self, user_id: str, rooms: Mapping[str, None], wanted: Collection[str]
    ) -> list[str]:
        """Those of ``wanted`` that are in ``rooms`` (a user's, in order of first
        membership, only ever added to), in that order."""
        if len(wanted) == 1:  # a woken sync's case: one room touched, nothing to order
            return [r for r in wanted if r in rooms]
        kept = self._order.get(user_id)
        if kept is None or kept[0] is not rooms or len(kept[1]) != len(rooms):
            kept = self._order[user_id] = (rooms, {r: i for i, r in enumerate(rooms)})
        index = kept[1]
        return sorted((r for r in wanted if r in index), key=index.__getitem__)
