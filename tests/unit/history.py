"""Building a :class:`Room` by hand for unit tests of the pure core."""

from __future__ import annotations

from typing import Any

from mockserver.core.model import Event
from mockserver.core.room import Room

ROOM_ID = "!room:x"
A, B = "@a:x", "@b:x"


def build(*specs: tuple[Any, ...], stream_gap: int = 2) -> Room:
    """A room from (type, sender, content[, state_key]) tuples; streams 2, 4, 6..."""
    room = Room(ROOM_ID)
    for index, spec in enumerate(specs, start=1):
        event_type, sender, content, *rest = spec
        room.append(
            Event(
                event_id=f"$e{index}",
                room_id=ROOM_ID,
                type=event_type,
                sender=sender,
                content=content,
                origin_server_ts=1000 + index,
                stream=index * stream_gap,
                depth=index,
                state_key=rest[0] if rest else None,
            )
        )
    return room


def message(sender: str = A, body: str = "hi", **content: Any) -> tuple[Any, ...]:
    return ("m.room.message", sender, {"body": body, **content})


def member(user_id: str, membership: str) -> tuple[Any, ...]:
    return ("m.room.member", user_id, {"membership": membership}, user_id)
