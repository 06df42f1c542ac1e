"""Joined rooms' entries of a device's initial syncs, kept with what they depend on.

An initial sync of a big account builds an entry for each of its 1,000 joined
rooms (timeline window, state, summary, unread counts, receipts, account
data), and the next initial sync of the same device (a client started again, a
test's next case) builds them again, nearly all unchanged. An
:class:`EntryKeeper` holds the entries that one request shape made (one user,
device, filter and choice of where state is reported: the keeper's own key,
see ``mockserver/api/entries.py``), each with everything else it depends on
(:class:`KeptEntry`):

- the room object itself (a reset of the world makes new rooms);
- the room's events: its depth (every message, state event, membership,
  relation or redaction appends one) and :attr:`Room.replacements` (a
  redaction swaps in a changed copy of its target);
- its typing set (``typing_stream``; expiry moves it too) and its receipts
  (how many there are: the user's own move the unread counts, anyone's the
  receipts shown);
- the user's account data for the room (tags among them), entry by entry.

Everything else in an entry follows from those: the user's membership and
what the timeline lets them see, the state, heroes and member counts, the
unread counts (notifying events after the user's receipts, by thread). The
only parts of an entry that depend on the answer are each event's
``unsigned.age`` (the server's time) and the positions of the other streams in
the timeline's ``prev_batch`` (the answer's ``next_batch``): the encoder fills
those in each time.

An entry is served again only once the encoder has kept its encoding
(:attr:`KeptEntry.encoded`, opaque here) and while every part of its key is
equal; anything else rebuilds it, and the new entry replaces the old. With
lazy-loaded members, the member events an entry sent are kept with it, so an
answer that serves it records them for the device as a fresh one would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mockserver.core.model import AccountData
from mockserver.core.room import Room
from mockserver.core.sync.model import JoinedRoom


@dataclass(slots=True, eq=False)
class KeptEntry:
    """One room's entry and everything it depends on beside the keeper's key.

    An answer's joined room whose kept entry still holds is this object itself (in
    :attr:`SyncResult.joined`): only the encoder's keeping of it may be served, since
    ``entry.timeline.prev_batch`` carries the other streams' positions of the answer
    that made it (the encoding takes them from the answer's ``next_batch``).
    """

    room_id: str
    room: Room
    depth: int
    replacements: int
    typing: int
    receipts: int
    account_data: tuple[AccountData, ...]
    entry: JoinedRoom
    #: The lazy-loaded member events the entry sent (None: not recorded, or none).
    members: frozenset[str] | None
    #: The encoder's own keeping of ``entry`` (None: not yet, or it could not).
    encoded: object = None


class EntryKeeper:
    """The kept entries of one request shape, by room id (one per room: the newest)."""

    __slots__ = ("_entries", "section", "weight", "_checked")

    def __init__(self) -> None:
        self._entries: dict[str, KeptEntry] = {}
        #: The last :meth:`reusable` answer, with the store position and rooms it was
        #: worked out at: while the store's position is that very object (every commit
        #: makes a new one) and no entry was kept since, it holds again as it is.
        self._checked: tuple[object, Mapping[str, Room], dict[str, KeptEntry]] | None = None
        #: The encoder's keeping of an answer made of kept entries alone (opaque here:
        #: it records which entries, in which order, it was made of).
        self.section: object = None
        #: How much the encoder keeps for its last answer, in its own measure.
        self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def reusable(
        self,
        rooms: Mapping[str, Room],
        room_ids: Iterable[str],
        account_data: Mapping[str, tuple[AccountData, ...]],
        position: object,
    ) -> dict[str, KeptEntry]:
        """Of ``room_ids`` (the user's rooms at the store's ``position``), the rooms whose
        kept entry was encoded and nothing it depends on changed (``account_data``: the
        user's, by room), with that entry.

        Asked again at the same position object, with no entry kept meanwhile, the last
        answer is given again without looking: a position is made anew by every change
        to the streams the key reads (the room's events, typing, receipts, account data,
        memberships), and the user's rooms and account data are those of the position.
        """
        checked = self._checked
        if checked is not None and checked[0] is position and checked[1] is rooms:
            return checked[2]
        found: dict[str, KeptEntry] = {}
        entries = self._entries
        no_data: tuple[AccountData, ...] = ()
        for room_id in room_ids:
            kept = entries.get(room_id)
            if kept is None or kept.encoded is None:
                continue
            room = rooms[room_id]
            if (
                kept.room is room
                and kept.depth == len(room.events)
                and kept.replacements == room.replacements
                and kept.typing == room.typing_stream
                and kept.receipts == len(room.receipt_streams)
                and kept.account_data == account_data.get(room_id, no_data)
            ):
                found[room_id] = kept
        self._checked = (position, rooms, found)
        return found

    def keep(
        self,
        room: Room,
        account_data: tuple[AccountData, ...],
        entry: JoinedRoom,
        members: frozenset[str] | None,
    ) -> None:
        """``entry``, just built for ``room`` as it is now, replacing what was kept."""
        self._checked = None
        self._entries[room.room_id] = KeptEntry(
            room.room_id,
            room,
            len(room.events),
            room.replacements,
            room.typing_stream,
            len(room.receipt_streams),
            account_data,
            entry,
            members,
        )

    def kept(self, room_id: str) -> KeptEntry | None:
        """What is kept for the room (the encoder's way to its fresh entries)."""
        return self._entries.get(room_id)
