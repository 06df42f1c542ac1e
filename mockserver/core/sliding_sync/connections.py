"""Sliding sync connections: what each one has sent, at each ``pos`` it handed out.

A connection is (user, device, ``conn_id``). Every answer hands out a new
``pos`` and records, under it, the :class:`ConnectionState` the answer
leaves the client in: which rooms it has and up to where, with which
configuration, which lazy members, the bump stamps and unread counts it
was told, each list's count and window, and its room subscriptions. The next request names the
``pos`` it builds on, so a response carries only what changed since then.

Like Synapse, a connection keeps the position the client last built on
and the one it was just given: a request with the older one (say its
answer was lost) still works, anything older is forgotten. A position of
another connection, another user, or one forgotten (a restarted
connection, a reset world) is refused with ``M_UNKNOWN_POS``, and the
client starts again without ``pos``.

Positions count up for the life of the server, across resets, so a
position from before a reset can never name one issued after it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mockserver.core.errors import M_UNKNOWN, M_UNKNOWN_POS, MatrixError
from mockserver.core.model import frozen_for_checkers
from mockserver.core.sliding_sync.request import RoomConfig
from mockserver.core.tokens import StreamToken

#: Positions a connection keeps at most (the one built on, and any handed out since).
KEPT = 4
_POS = re.compile(r"([1-9][0-9]{0,17})/(s[0-9_]{1,120})")


@dataclass(frozen=True, slots=True)
class ConnectionKey:
    user_id: str
    device_id: str
    conn_id: str


@frozen_for_checkers  # (plain at run time: one per room of every answer)
class RoomSent:
    """What the connection has of one room.

    ``upto`` is the room stream position its timeline and state were sent
    up to. ``live`` says every later change was sent too, up to the
    position the state was recorded at; a room that fell out of every
    window while it changed is no longer live, and when it comes back the
    client is sent what it missed after ``upto``.
    """

    live: bool
    upto: int
    config: RoomConfig
    membership: str
    bump_stamp: int | None = None
    unread: tuple[int, int] | None = None
    #: Members whose ``m.room.member`` event was sent through ``$LAZY``.
    lazy_members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ListSent:
    count: int
    window: tuple[str, ...]


_NO_ROOMS: Mapping[str, RoomSent] = MappingProxyType({})
_NO_LISTS: Mapping[str, ListSent] = MappingProxyType({})
_NO_SUBSCRIPTIONS: Mapping[str, RoomConfig] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Everything a connection had been sent once an answer reached the client."""

    #: The store position the answer was computed at (``to`` of the next request's range).
    position: StreamToken = StreamToken()
    rooms: Mapping[str, RoomSent] = field(default_factory=lambda: _NO_ROOMS)
    lists: Mapping[str, ListSent] = field(default_factory=lambda: _NO_LISTS)
    #: Room subscriptions in force (kept until ``unsubscribe_rooms`` names them).
    subscriptions: Mapping[str, RoomConfig] = field(default_factory=lambda: _NO_SUBSCRIPTIONS)


@dataclass(frozen=True, slots=True)
class Position:
    """A ``pos`` parsed: the connection position and the stream position it names."""

    number: int
    token: StreamToken

    @classmethod
    def parse(cls, text: str) -> Position:
        match = _POS.fullmatch(text)
        if match is None:
            raise MatrixError(M_UNKNOWN, f"Invalid position {text[:40]!r}")
        return cls(int(match.group(1)), StreamToken.parse(match.group(2)))

    def format(self) -> str:
        return f"{self.number}/{self.token.format()}"


class Connections:
    """The states of every connection, by the positions that name them."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._positions: dict[int, tuple[ConnectionKey, ConnectionState]] = {}
        self._by_connection: dict[ConnectionKey, list[int]] = {}
        #: The rooms part of the last answer to a new connection, with the user, request
        #: and store position it was worked out for (see :meth:`fresh_rooms`).
        self._fresh: tuple[str, object, StreamToken, object] | None = None

    def forget_all(self) -> None:
        """A reset world: every position becomes unknown (numbers keep counting up)."""
        self._positions.clear()
        self._by_connection.clear()
        self._fresh = None

    def fresh_rooms(self, user_id: str, request: object, position: StreamToken) -> object | None:
        """What :meth:`keep_fresh_rooms` kept for a new connection of ``user_id`` making
        ``request`` at the store's ``position``, if it was that very position object (every
        change to the store makes a new one) and an equal request: a client started again,
        or reconnecting after ``M_UNKNOWN_POS``, asks what the last one was given."""
        fresh = self._fresh
        if (
            fresh is None
            or fresh[2] is not position
            or fresh[0] != user_id
            or not (fresh[1] is request or fresh[1] == request)
        ):
            return None
        return fresh[3]

    def keep_fresh_rooms(
        self, user_id: str, request: object, position: StreamToken, rooms: object
    ) -> None:
        self._fresh = (user_id, request, position, rooms)

    def forget_fresh_rooms(self) -> None:
        self._fresh = None

    def forget_device(self, user_id: str, device_id: str) -> None:
        """A deleted device's connections go with it."""
        device = (user_id, device_id)
        for key in [k for k in self._by_connection if (k.user_id, k.device_id) == device]:
            for number in self._by_connection.pop(key):
                self._positions.pop(number, None)

    def state_at(self, key: ConnectionKey, pos: str | None) -> ConnectionState | None:
        """The state a request builds on (None: a new connection), or ``M_UNKNOWN_POS``."""
        if pos is None:
            return None
        position = Position.parse(pos)
        found = self._positions.get(position.number)
        if found is None or found[0] != key or found[1].position != position.token:
            raise MatrixError(M_UNKNOWN_POS, "Unknown position")
        return found[1]

    def record(self, key: ConnectionKey, since: str | None, state: ConnectionState) -> str:
        """Remember ``state`` under a new position and return its ``pos``.

        Positions older than ``since`` are forgotten; ``since`` itself and
        any newer ones stay (an abandoned long-poll on the same ``since``
        may answer after its retry did), up to :data:`KEPT` in all. A
        request without ``since`` starts the connection afresh.
        """
        numbers = self._by_connection.get(key, [])
        if since is None:
            kept = []
        else:
            oldest = Position.parse(since).number
            kept = [n for n in numbers if n >= oldest][-(KEPT - 1) :]
        for number in numbers:
            if number not in kept:
                self._positions.pop(number, None)
        number = next(self._numbers)
        self._positions[number] = (key, state)
        self._by_connection[key] = [*kept, number]
        return Position(number, state.position).format()

    def __len__(self) -> int:
        return len(self._positions)
