"""Paging through one room's history, as ``/messages`` and ``/context`` do.

Positions in a room are boundaries between events, written as tokens
(see :mod:`mockserver.core.tokens`): ``t<d>-…`` is right after the event at
depth ``d``; ``s<n>…`` is after every event of the room with stream
ordering <= n. Both are turned into a depth here, after checking the token
is one this server could have issued for this room.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.core.errors import invalid_param
from mockserver.core.filters import EventFilter
from mockserver.core.model import Event
from mockserver.core.room import Room
from mockserver.core.tokens import RoomToken, StreamToken, parse_position
from mockserver.core.visibility import may_see


def depth_of_position(room: Room, text: str, current: StreamToken) -> int:
    """The depth a ``from``/``to``/``at`` token stands for in ``room``."""
    token = parse_position(text)
    if isinstance(token, StreamToken):
        if not token.within(current):
            raise invalid_param(f"Unknown token {text!r}")
        return room.depth_at_stream(token.room)
    if not token.position.within(current) or token.depth > room.depth:
        raise invalid_param(f"Unknown token {text!r}")
    if room.stream_of_depth(token.depth) != token.stream:
        raise invalid_param(f"Token {text!r} is not a position in room {room.room_id}")
    return token.depth


def position_token(room: Room, depth: int, current: StreamToken) -> RoomToken:
    return RoomToken(depth, current.advance(room=room.stream_of_depth(depth)))


@dataclass(frozen=True, slots=True)
class Page:
    chunk: list[Event]
    #: Boundary after the last event in ``chunk``, or None when nothing lies further
    #: (forwards: when the page found nothing).
    end_depth: int | None


def paginate(
    room: Room,
    *,
    from_depth: int,
    backwards: bool,
    limit: int,
    event_filter: EventFilter,
    to_depth: int | None = None,
    visible_depth: int,
    viewer: str | None = None,
    peek_after: int | None = None,
) -> Page:
    """Up to ``limit`` matching events from ``from_depth`` in one direction.

    Backwards returns events at depths <= ``from_depth`` (newest first) and
    stops above ``to_depth``; forwards returns depths > ``from_depth``
    (oldest first) up to ``to_depth``. Nothing past ``visible_depth`` is
    ever returned, nor (with ``viewer``) an event the room's history visibility
    hides from that user (:mod:`mockserver.core.visibility`; ``peek_after``: the
    depth past which they read as a peeker, see :func:`~mockserver.core.visibility.may_see`).
    """
    chunk: list[Event] = []
    if not event_filter.allows_room(room.room_id):
        return Page([], None)

    def shown(event: Event) -> bool:
        return event_filter.allows(event.type, event.sender, event.content) and (
            viewer is None or may_see(room, viewer, event, peek_after)
        )

    if backwards:
        depth = min(from_depth, visible_depth)
        floor = max(to_depth or 0, 0)
        while depth > floor and len(chunk) < limit:
            event = room.event_at(depth)
            if shown(event):
                chunk.append(event)
            depth -= 1
        return Page(chunk, depth if depth > floor else None)
    ceiling = visible_depth if to_depth is None else min(to_depth, visible_depth)
    depth = max(from_depth, 0)
    while depth < ceiling and len(chunk) < limit:
        depth += 1
        event = room.event_at(depth)
        if shown(event):
            chunk.append(event)
    # Forwards, newer events can still arrive for a member reading up to now: like
    # Synapse, a page that found events ends with a token to come back from (SyTest
    # 04timeline.pl, "A next_batch token can be used in the v1 messages API"). An empty
    # page, a page that reached ``to_depth`` or the end of what the user may see, has none.
    more = chunk and to_depth is None and visible_depth >= room.depth
    return Page(chunk, depth if depth < ceiling or more else None)
