"""History visibility: which of a room's events a user may see (spec "History visibility").

The ``m.room.history_visibility`` in effect for an event is the room's state just before
it (for a change of visibility itself, the more open of before and after, as Synapse
does). With it, ``user_id`` may see the event when:

- ``world_readable``: always;
- ``shared``: always, up to the user's last departure from a join (that cut-off is the
  store's ``visible_depth``, applied by every reader before this module is asked);
- ``invited``: the user was invited or joined when the event was sent;
- ``joined``: the user was joined when the event was sent.

Always, whatever the setting: the user's own membership events, and every event that
is part of the room's current state (the user is given the current state anyway; SyTest
06state.pl "Current state appears in timeline in private history").

A user who never joined, or who left, may still read a room whose visibility is
``world_readable`` now ("peeking", as Synapse allows on ``/messages``, ``/context``,
``/event``, ``/state`` and ``/members``): past their :attr:`Reading.member_depth` they see
only the events sent while the room was ``world_readable``.

Most rooms are ``shared`` from start to end; :attr:`Room.restricted_history` says whether
a room ever had ``joined`` or ``invited``, and only then is any event checked, so the
common case costs one attribute read per room.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.core.model import Event
from mockserver.core.room import Room

KEY = ("m.room.history_visibility", "")
#: From the most open to the most closed.
OPENNESS = ("world_readable", "shared", "invited", "joined")
RESTRICTIVE = frozenset({"invited", "joined"})


def setting(event: Event | None) -> str:
    """The setting an ``m.room.history_visibility`` event gives (``shared`` when unset)."""
    value = event.content.get("history_visibility") if event is not None else None
    return value if value in OPENNESS else "shared"


def in_effect(room: Room, event: Event) -> str:
    before = setting(room.state_event_at(KEY, event.depth - 1))
    if event.type == KEY[0] and event.state_key == "":
        after = setting(event)
        return min(before, after, key=OPENNESS.index)
    return before


@dataclass(frozen=True, slots=True)
class Reading:
    """How far one user may read one room."""

    #: Nothing deeper is shown.
    depth: int
    #: Up to here the member rules apply; deeper events (a peek) only if world-readable.
    member_depth: int


def member_depth(room: Room, user_id: str) -> int:
    """How far ``user_id`` may read as a member: all of it while joined, up to their last
    departure from a join after leaving (``shared``), 0 for a user who never joined."""
    if room.membership_now(user_id) == "join":
        return room.depth
    return room.last_departure(user_id)


def reading(room: Room, user_id: str) -> Reading | None:
    """What ``user_id`` may read of ``room``, peeking included (None: nothing)."""
    depth = member_depth(room, user_id)
    if depth < room.depth and setting(room.current(*KEY)) == "world_readable":
        return Reading(room.depth, depth)
    return Reading(depth, depth) if depth else None


def may_see(room: Room, user_id: str, event: Event, peek_after: int | None = None) -> bool:
    """Whether ``user_id`` may see ``event`` of ``room`` (within their visible depth).

    ``peek_after`` is the viewer's :attr:`Reading.member_depth` where they read further
    than it (a peek): deeper events are theirs only if sent while world-readable.
    """
    peeking = peek_after is not None and event.depth > peek_after
    if not room.restricted_history and not peeking:
        return True
    visibility = in_effect(room, event)
    if visibility == "world_readable":
        return True
    if not peeking and visibility not in RESTRICTIVE:
        return True
    if event.type == "m.room.member" and event.state_key == user_id:
        return True
    if event.state_key is not None and room.current(event.type, event.state_key) is event:
        return True
    if peeking:
        return False
    member = room.membership_at(user_id, event.depth - 1)
    membership = member.membership if member is not None else None
    return membership == "join" or (visibility == "invited" and membership == "invite")
