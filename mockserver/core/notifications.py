"""``GET /notifications``: the events a user's push rules say notify them, newest first.

Worked out when asked, not stored as Synapse stores push actions: for each
room the user has been in, events are walked from the newest back, and each
one the user received as a joined member (or the invite that names them),
sent by someone else, is evaluated with the user's push rules against the
room as it was just before it. The rooms' walks are merged by stream
position and stop as soon as ``limit`` notifications are found, so the cost
is in proportion to how far back the page reaches.

``from`` is the stream position of the last notification of the previous
page (the ``next_token`` this returns): a page holds only older ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from mockserver.core.model import Event
from mockserver.core.push_rules import PushContext, evaluate, highlights, notifies
from mockserver.core.room import Room
from mockserver.core.rules import PowerLevels, StateMap

DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Notification:
    event: Event
    actions: list[Any]
    read: bool

    @property
    def room_id(self) -> str:
        return self.event.room_id

    @property
    def ts(self) -> int:
        return self.event.origin_server_ts


def _context(room: Room, event: Event, user_id: str) -> PushContext:
    before = event.depth - 1

    @cache
    def state() -> StateMap:
        return room.state_at(before)

    @cache
    def levels() -> PowerLevels:
        return PowerLevels(state())

    def notification_levels() -> Mapping[str, int]:
        found = levels().content.get("notifications")
        if not isinstance(found, dict):
            return {}
        return {k: v for k, v in found.items() if isinstance(v, int) and not isinstance(v, bool)}

    member = room.membership_at(user_id, before)
    name = member.content.get("displayname") if member is not None else None
    return PushContext(
        user_id=user_id,
        display_name=name if isinstance(name, str) else None,
        member_count=lambda: sum(
            1 for key, e in state().items() if key[0] == "m.room.member" and e.membership == "join"
        ),
        sender_power_level=lambda: levels().of_user(event.sender),
        notification_levels=notification_levels,
    )


def _received(room: Room, event: Event, user_id: str) -> bool:
    """Whether ``user_id`` got ``event`` as a member (or is the one it invites)."""
    if event.sender == user_id:
        return False
    if event.type == "m.room.member" and event.state_key == user_id:
        return event.membership == "invite"
    member = room.membership_at(user_id, event.depth - 1)
    return member is not None and member.membership == "join"


def _walk(
    room: Room, user_id: str, rules: Mapping[str, Any], before_stream: int | None, read_up_to: int
) -> Iterator[tuple[int, Notification]]:
    depth = room.depth
    if before_stream is not None:
        depth = min(depth, room.depth_at_stream(before_stream - 1))
    while depth > 0:
        event = room.event_at(depth)
        depth -= 1
        if event.redacted_because is not None or not _received(room, event, user_id):
            continue
        as_json = {
            "type": event.type,
            "sender": event.sender,
            "room_id": event.room_id,
            "content": event.content,
            **({"state_key": event.state_key} if event.state_key is not None else {}),
        }
        actions = evaluate(rules, as_json, _context(room, event, user_id))
        if notifies(actions):
            yield -event.stream, Notification(event, actions, read=event.depth <= read_up_to)


def user_notifications(
    rooms: Mapping[str, Room],
    room_ids: list[str],
    user_id: str,
    rules: Mapping[str, Any],
    read_up_to: Mapping[str, int],
    *,
    before_stream: int | None = None,
    limit: int = DEFAULT_LIMIT,
    only_highlight: bool = False,
) -> tuple[list[Notification], int | None]:
    """The page of notifications and the ``next_token`` stream (None for an empty page)."""
    walks = [
        _walk(rooms[room_id], user_id, rules, before_stream, read_up_to.get(room_id, 0))
        for room_id in room_ids
    ]
    found: list[Notification] = []
    for _, notification in heapq.merge(*walks, key=lambda item: item[0]):
        if only_highlight and not highlights(notification.actions):
            continue
        found.append(notification)
        if len(found) == limit:
            break
    # As Synapse: a token after any non-empty page; the page after the last is empty.
    next_stream = found[-1].event.stream if found else None
    return found, next_stream
