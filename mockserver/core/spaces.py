"""Spaces: the room hierarchy ``GET /_matrix/client/v1/rooms/{roomId}/hierarchy`` pages over.

A pure function of the rooms and one user's memberships, as Synapse's room
summary handler walks it: depth first from the root, each space's children
(its ``m.space.child`` state events with a non-empty ``via`` list) in the
spec's order (``order`` strings first, then the child event's
``origin_server_ts``, then the room id), each room once. A room is listed
only when the user may see it: joined or invited, or the room is public,
knockable or world-readable, or restricted to a room the user is joined
to. Children of rooms at ``max_depth`` are not visited; ``suggested_only``
follows only children marked ``suggested``. Rooms this server does not
know are skipped (there is no federation to ask).

Pages are slices of that walk, ``limit`` rooms each; a page token names the
offset and is bound to the request's user, root, ``max_depth`` and
``suggested_only``, as Synapse's pagination sessions are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.errors import invalid_param
from mockserver.core.model import Event
from mockserver.core.room import Room
from mockserver.core.room_summary import is_world_readable, join_rule_now, room_summary

JsonDict = dict[str, Any]
DEFAULT_LIMIT = 50
MAX_ORDER_LENGTH = 50
CHILD = "m.space.child"
OPEN_JOIN_RULES = frozenset({"public", "knock", "knock_restricted"})

Membership = Callable[[str], str | None]
"""A user's membership in a room, by room id (None: none)."""


@dataclass(frozen=True, slots=True)
class HierarchyRoom:
    """One room of a page: its summary, and (a space within ``max_depth``) its child events."""

    summary: JsonDict
    children: list[Event]


@dataclass(frozen=True, slots=True)
class HierarchyRequest:
    user_id: str
    root: str
    max_depth: int | None = None
    suggested_only: bool = False
    limit: int = DEFAULT_LIMIT
    #: A ``next_batch`` of an earlier page of the same request.
    page_token: str | None = None


def valid_child(event: Event) -> bool:
    via = event.content.get("via")
    return isinstance(via, list) and bool(via) and all(isinstance(v, str) for v in via)


def _order(event: Event) -> str | None:
    order = event.content.get("order")
    if (
        isinstance(order, str)
        and len(order) <= MAX_ORDER_LENGTH
        and all(0x20 <= ord(c) <= 0x7E for c in order)
    ):
        return order
    return None


def _child_key(event: Event) -> tuple[bool, str, int, str]:
    order = _order(event)
    return (order is None, order or "", event.origin_server_ts, event.state_key or "")


def children(room: Room, suggested_only: bool) -> list[Event]:
    """A space's valid child events, in the spec's order."""
    found = [
        event
        for (event_type, _), event in room.state_now().items()
        if event_type == CHILD and valid_child(event)
        and (not suggested_only or event.content.get("suggested") is True)
    ]
    return sorted(found, key=_child_key)


def accessible(room: Room, membership: str | None, joined: Callable[[str], bool]) -> bool:
    if membership in ("join", "invite"):
        return True
    rule = join_rule_now(room)
    if rule in OPEN_JOIN_RULES or is_world_readable(room):
        return True
    rules = room.current("m.room.join_rules")
    if rule == "restricted" and rules is not None:
        allow = rules.content.get("allow")
        if isinstance(allow, list):
            return any(
                isinstance(a, dict) and isinstance(a.get("room_id"), str) and joined(a["room_id"])
                for a in allow
            )
    return False


def _fingerprint(request: HierarchyRequest) -> str:
    text = f"{request.user_id}\n{request.root}\n{request.max_depth}\n{request.suggested_only}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _offset(request: HierarchyRequest) -> int:
    if request.page_token is None:
        return 0
    offset, _, fingerprint = request.page_token.partition("_")
    if not offset.isdigit() or fingerprint != _fingerprint(request):
        raise invalid_param("Unknown pagination token")
    return int(offset)


def hierarchy(
    rooms: Mapping[str, Room], membership: Callable[[str], str | None], request: HierarchyRequest
) -> tuple[list[HierarchyRoom], str | None]:
    """One page of the hierarchy under ``request.root`` and the next page's token (or None).

    The caller has checked that the user may see the root (:func:`accessible`).
    """
    start = _offset(request)
    end = start + request.limit

    def joined(room_id: str) -> bool:
        return membership(room_id) == "join"

    listed: list[HierarchyRoom] = []
    seen: set[str] = set()
    # A stack of (room id, depth): popping from the end walks depth first.
    stack: list[tuple[str, int]] = [(request.root, 0)]
    while stack:
        room_id, depth = stack.pop()
        room = rooms.get(room_id)
        if room_id in seen or room is None:
            continue
        seen.add(room_id)
        if room_id != request.root and not accessible(room, membership(room_id), joined):
            continue
        if len(listed) == end:
            return listed[start:], f"{end}_{_fingerprint(request)}"
        summary = room_summary(room)
        is_space = summary.get("room_type") == "m.space"
        descend = is_space and (request.max_depth is None or depth < request.max_depth)
        child_events = children(room, request.suggested_only) if descend else []
        listed.append(HierarchyRoom(summary, child_events))
        stack.extend((e.state_key or "", depth + 1) for e in reversed(child_events))
    return listed[start:], None
