"""Unread notification counts of a stretch of timeline, by bisection.

A :class:`NotificationIndex` holds the depths of the events that notify
(messages), the same per sender (a user's own messages never count for
them) and per highlighted user. A room keeps one for its whole timeline,
and the relations index one for all its threads' events and one per thread
(see :mod:`mockserver.core.store.relations`), so counting what is unread after a
receipt costs a few bisections whatever the room's size.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: (notification_count, highlight_count)
Counts = tuple[int, int]


@dataclass(slots=True)
class NotificationIndex:
    notifying: list[int] = field(default_factory=list)
    by_sender: dict[str, list[int]] = field(default_factory=dict)
    #: Depths of notifying events that highlight (mention) each user.
    highlights: dict[str, list[int]] = field(default_factory=dict)

    @property
    def last(self) -> int:
        """Depth of the newest notifying event (0 if none)."""
        return self.notifying[-1] if self.notifying else 0

    def add(self, depth: int, sender: str, highlighted: Iterable[str]) -> None:
        self.notifying.append(depth)
        self.by_sender.setdefault(sender, []).append(depth)
        for user_id in highlighted:
            self.highlights.setdefault(user_id, []).append(depth)

    def extend(
        self,
        depths: list[int],
        by_sender: Mapping[str, list[int]],
        highlights: Mapping[str, list[int]],
    ) -> None:
        """:meth:`add` for many events at once: their ``depths`` (ascending, deeper than
        any held), the same depths by sender and by highlighted user."""
        self.notifying.extend(depths)
        for held, more in ((self.by_sender, by_sender), (self.highlights, highlights)):
            for user_id, found in more.items():
                held.setdefault(user_id, []).extend(found)

    def counts(self, user_id: str, after_depth: int) -> Counts:
        """(notification_count, highlight_count) of others' events after ``after_depth``."""
        total = len(self.notifying) - bisect_right(self.notifying, after_depth)
        own = self.by_sender.get(user_id)
        if own:
            total -= len(own) - bisect_right(own, after_depth)
        mentions = self.highlights.get(user_id)
        return total, (len(mentions) - bisect_right(mentions, after_depth) if mentions else 0)

    def changed(self, after_depth: int, upto_depth: int) -> bool:
        """Whether a notifying event has a depth in (after_depth, upto_depth]."""
        return bisect_right(self.notifying, upto_depth) > bisect_right(self.notifying, after_depth)
