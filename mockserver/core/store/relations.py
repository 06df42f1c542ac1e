"""Relations between events: threads, edits, reactions and references, indexed per room.

An event relates to a parent through its cleartext ``content["m.relates_to"]``
(``rel_type`` and ``event_id``; spec "Forming relationships between
events"). :class:`Relations` keeps, per room, the depths of every parent's
children (all of them and by ``rel_type``), each thread's replies in order
of activity, who took part in each thread, which thread each event belongs
to, and the thread events that notify. It is written when an event is
persisted and when one is redacted (a redacted relation leaves every index
but the notification counts, as in Synapse; a redacted parent keeps its
children, so a thread whose root was redacted stays readable), so it never
changes without the store's position moving: whatever is computed from it
at one position stays true at that position.

Reading it: :class:`Aggregator` gives the bundled aggregations
(``unsigned.m.relations``) of one room's events for one viewer, as far into
the room as the viewer may read; :func:`relations_page` and
:func:`threads_page` page through a parent's children and a room's threads;
:func:`unread_counts` splits a user's unread counts between the main
timeline and each thread by their receipts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mockserver.core.errors import M_DUPLICATE_ANNOTATION, M_UNKNOWN, MatrixError
from mockserver.core.model import Event, Receipt
from mockserver.core.notification_counts import Counts, NotificationIndex
from mockserver.core.room import Room

THREAD = "m.thread"
REPLACE = "m.replace"
ANNOTATION = "m.annotation"
REFERENCE = "m.reference"
#: The thread id of everything outside threads (receipts' ``thread_id``).
MAIN = "main"
#: How deep ``recurse`` follows relations of relations (Synapse's depth).
MAX_RECURSION = 3
MAX_KEY_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Relation:
    """An event's ``m.relates_to``: its type, its parent and (annotations) its key."""

    rel_type: str
    parent_id: str
    key: str | None = None


def relation_of(content: Mapping[str, Any]) -> Relation | None:
    """The relation an event's content declares, or None (no or malformed ``m.relates_to``)."""
    relates = content.get("m.relates_to")
    if type(relates) is not dict:
        return None
    rel_type = relates.get("rel_type")
    parent_id = relates.get("event_id")
    if not isinstance(rel_type, str) or not isinstance(parent_id, str):
        return None
    key = relates.get("key") if rel_type == ANNOTATION else None
    return Relation(rel_type, parent_id, key if isinstance(key, str) else None)


def is_edit(content: Mapping[str, Any]) -> bool:
    relation = relation_of(content)
    return relation is not None and relation.rel_type == REPLACE


def _insert(depths: list[int], depth: int) -> None:
    if not depths or depths[-1] < depth:
        depths.append(depth)
    else:
        depths.insert(bisect_left(depths, depth), depth)


def _remove(depths: list[int], depth: int) -> None:
    index = bisect_left(depths, depth)
    if index < len(depths) and depths[index] == depth:
        del depths[index]


@dataclass(slots=True)
class RoomRelations:
    """One room's relations, by depth (see the module's docstring)."""

    #: Parent event id -> depths of the events relating to it, ascending.
    children: dict[str, list[int]] = field(default_factory=dict)
    #: rel_type -> parent event id -> depths of its children of that type, ascending.
    by_type: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    #: Thread root -> None, ordered by the depth of the thread's latest reply (oldest first).
    activity: dict[str, None] = field(default_factory=dict)
    #: Thread root -> sender -> how many of the thread's replies they sent.
    thread_senders: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Event id -> the root of the thread it is in (thread replies and their relations).
    thread_of: dict[str, str] = field(default_factory=dict)
    #: (parent id, event type, key, sender) -> depth of that annotation.
    annotations: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    #: Notifying events in any thread, and per thread (ordered by the newest one's depth).
    in_threads: NotificationIndex = field(default_factory=NotificationIndex)
    per_thread: dict[str, NotificationIndex] = field(default_factory=dict)

    def replies(self, root_id: str) -> list[int]:
        return self.by_type.get(THREAD, {}).get(root_id, [])

    def of_type(self, rel_type: str, parent_id: str) -> list[int]:
        return self.by_type.get(rel_type, {}).get(parent_id, [])

    def thread_id(self, event_id: str) -> str:
        """The thread an event is in: a root's id, or ``main``."""
        return self.thread_of.get(event_id, MAIN)

    # -- writing ---------------------------------------------------------------------------

    def add(self, event: Event, relation: Relation) -> None:
        depth = event.depth
        parent = relation.parent_id
        _insert(self.children.setdefault(parent, []), depth)
        _insert(self.by_type.setdefault(relation.rel_type, {}).setdefault(parent, []), depth)
        if relation.rel_type == THREAD:
            self.thread_of[event.event_id] = parent
            # Rooms are linear: a new reply is the room's newest event, so its thread moves last.
            self.activity.pop(parent, None)
            self.activity[parent] = None
            senders = self.thread_senders.setdefault(parent, {})
            senders[event.sender] = senders.get(event.sender, 0) + 1
        else:
            thread = self.thread_of.get(parent)
            if thread is not None:
                self.thread_of[event.event_id] = thread
        if relation.rel_type == ANNOTATION and relation.key is not None:
            self.annotations[(parent, event.type, relation.key, event.sender)] = depth

    def remove(self, event: Event, relation: Relation) -> None:
        """Forget a redacted relation (its notification stays counted, as it was)."""
        depth = event.depth
        parent = relation.parent_id
        _remove(self.children.get(parent, []), depth)
        _remove(self.of_type(relation.rel_type, parent), depth)
        if relation.rel_type == THREAD:
            senders = self.thread_senders.get(parent, {})
            left = senders.get(event.sender, 0) - 1
            if left > 0:
                senders[event.sender] = left
            else:
                senders.pop(event.sender, None)
            if not self.replies(parent):
                self.activity.pop(parent, None)
            else:
                self._sort_activity()
        if relation.rel_type == ANNOTATION and relation.key is not None:
            self.annotations.pop((parent, event.type, relation.key, event.sender), None)

    def _latest(self, root_id: str) -> int:
        replies = self.replies(root_id)
        return replies[-1] if replies else 0

    def _sort_activity(self) -> None:
        ordered = sorted(self.activity, key=self._latest)
        self.activity = dict.fromkeys(ordered)

    def index_notification(self, event: Event, highlighted: Iterable[str]) -> None:
        thread = self.thread_of.get(event.event_id)
        if thread is None:
            return
        users = list(highlighted)
        self.in_threads.add(event.depth, event.sender, users)
        index = self.per_thread.pop(thread, None) or NotificationIndex()
        index.add(event.depth, event.sender, users)
        self.per_thread[thread] = index


class Relations:
    """Every room's relations index, and the checks a client's relation must pass."""

    def __init__(self) -> None:
        self.rooms: dict[str, RoomRelations] = {}

    def of(self, room_id: str) -> RoomRelations | None:
        return self.rooms.get(room_id)

    def check(
        self,
        room_id: str,
        event_type: str,
        sender: str,
        content: Mapping[str, Any],
        lookup: Callable[[str], Event | None],
    ) -> None:
        """Refuse a client's relation as Synapse does (``M_UNKNOWN``, 400), before any write.

        The parent must be an event of this room (or already have children
        here); an annotation needs a key of at most 500 characters and may not
        repeat the sender's own; a thread may not start from an event that
        itself relates to another.
        """
        relation = relation_of(content)
        if relation is None:
            return
        parent = lookup(relation.parent_id)
        index = self.rooms.get(room_id)
        if parent is not None:
            if parent.room_id != room_id:
                raise MatrixError(M_UNKNOWN, "Relations must be in the same room")
        elif index is None or relation.parent_id not in index.children:
            raise MatrixError(M_UNKNOWN, "Can't send relation to unknown event")
        if relation.rel_type == ANNOTATION:
            if relation.key is None:
                raise MatrixError(M_UNKNOWN, "Missing aggregation key")
            if len(relation.key) > MAX_KEY_LENGTH:
                raise MatrixError(M_UNKNOWN, "Aggregation key is too long")
            if index is not None and (
                relation.parent_id, event_type, relation.key, sender
            ) in index.annotations:
                raise MatrixError(M_DUPLICATE_ANNOTATION, "Can't send same reaction twice")
        elif relation.rel_type == THREAD:
            if parent is not None and relation_of(parent.content) is not None:
                raise MatrixError(M_UNKNOWN, "Cannot start threads from an event with a relation")

    def added(self, event: Event) -> None:
        """Index a persisted event (a no-op unless it declares a relation)."""
        relation = relation_of(event.content)
        if relation is not None:
            index = self.rooms.get(event.room_id)
            if index is None:
                index = self.rooms[event.room_id] = RoomRelations()
            index.add(event, relation)

    def notifies(self, event: Event, highlighted: Iterable[str]) -> None:
        """Count a notifying event in its thread, if it is in one."""
        index = self.rooms.get(event.room_id)
        if index is not None:
            index.index_notification(event, highlighted)

    def redacted(self, original: Event) -> None:
        """``original`` (as it was before its redaction) no longer relates to anything."""
        relation = relation_of(original.content)
        index = self.rooms.get(original.room_id)
        if relation is not None and index is not None:
            index.remove(original, relation)


# -- bundled aggregations -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    latest_event: Event
    count: int
    current_user_participated: bool


@dataclass(frozen=True, slots=True)
class Bundle:
    """An event's ``unsigned.m.relations``: what is there, as values."""

    thread: ThreadSummary | None = None
    replace: Event | None = None
    references: tuple[str, ...] = ()


def valid_edit(original: Event, edit: Event) -> bool:
    """The spec's "Validity of replacement events" (the room is the same by construction)."""
    if edit.sender != original.sender or edit.type != original.type:
        return False
    if edit.state_key is not None or original.state_key is not None:
        return False
    if is_edit(original.content):
        return False
    return edit.type == "m.room.encrypted" or type(edit.content.get("m.new_content")) is dict


class Aggregator:
    """Bundled aggregations of one room's events as one viewer sees them.

    Only relations up to ``upto_depth`` (how far the viewer may read) count.
    State events, edits and annotations get none (as in Synapse), and events
    in a thread get no ``m.thread`` (they cannot be roots); reactions are
    never bundled. An edit counts when :func:`valid_edit` says so and the
    original is not redacted; the most recent is the latest by
    ``origin_server_ts``, then by event id.
    """

    __slots__ = ("room", "index", "user_id", "upto_depth")

    def __init__(self, room: Room, index: RoomRelations, user_id: str, upto_depth: int) -> None:
        self.room = room
        self.index = index
        self.user_id = user_id
        self.upto_depth = upto_depth

    def visible(self, depths: list[int]) -> list[int]:
        if not depths or depths[-1] <= self.upto_depth:
            return depths
        return depths[: bisect_right(depths, self.upto_depth)]

    def of(self, event: Event) -> Bundle | None:
        if event.event_id not in self.index.children or event.state_key is not None:
            return None
        relation = relation_of(event.content)
        if relation is not None and relation.rel_type in (ANNOTATION, REPLACE):
            return None
        thread = self.thread(event) if relation is None else None
        replace = self.edit(event)
        references = tuple(
            self.room.event_at(d).event_id
            for d in self.visible(self.index.of_type(REFERENCE, event.event_id))
        )
        if thread is None and replace is None and not references:
            return None
        return Bundle(thread, replace, references)

    def thread(self, root: Event) -> ThreadSummary | None:
        replies = self.visible(self.index.replies(root.event_id))
        if not replies:
            return None
        return ThreadSummary(
            self.room.event_at(replies[-1]), len(replies), self.participated(root, replies)
        )

    def participated(self, root: Event, replies: list[int]) -> bool:
        if root.sender == self.user_id:
            return True
        if len(replies) == len(self.index.replies(root.event_id)):
            return self.user_id in self.index.thread_senders.get(root.event_id, {})
        return any(self.room.event_at(d).sender == self.user_id for d in replies)

    def edit(self, original: Event) -> Event | None:
        if original.redacted_because is not None:
            return None
        best: Event | None = None
        for depth in self.visible(self.index.of_type(REPLACE, original.event_id)):
            edit = self.room.event_at(depth)
            if valid_edit(original, edit) and (
                best is None
                or (edit.origin_server_ts, edit.event_id) > (best.origin_server_ts, best.event_id)
            ):
                best = edit
        return best

    def viewer_key(self, events: Iterable[Event]) -> tuple[bool, ...]:
        """What the bundles of ``events`` owe to the viewer: whether they took part in each
        thread among them (all else is the same for every viewer who may read as far)."""
        threads = self.index.by_type.get(THREAD)
        if not threads:
            return ()
        key = []
        for event in events:
            if event.event_id in threads:
                bundle = self.of(event)
                if bundle is not None and bundle.thread is not None:
                    key.append(bundle.thread.current_user_participated)
        return tuple(key)


def aggregator(
    room: Room, relations: Relations, user_id: str, upto_depth: int | None = None
) -> Aggregator | None:
    """The room's aggregator for ``user_id`` (None when nothing in the room relates)."""
    index = relations.of(room.room_id)
    if index is None:
        return None
    return Aggregator(room, index, user_id, room.depth if upto_depth is None else upto_depth)


# -- paging -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelationsPage:
    chunk: list[Event]
    #: Boundary to continue from, or None when nothing lies further.
    next_depth: int | None


def related_depths(
    room: Room,
    index: RoomRelations,
    parent_id: str,
    rel_type: str | None,
    event_type: str | None,
    recurse: bool,
) -> list[int]:
    """Depths of the children of ``parent_id`` (and, with ``recurse``, theirs, three deep)
    matching the filters, ascending. A child that fails the filters ends its branch."""
    if not recurse and event_type is None:
        return index.children.get(parent_id, []) if rel_type is None else index.of_type(
            rel_type, parent_id
        )
    found: set[int] = set()
    parents = [parent_id]
    for _ in range(MAX_RECURSION if recurse else 1):
        next_parents: list[str] = []
        for parent in parents:
            for depth in index.children.get(parent, ()):
                if depth in found:
                    continue
                event = room.event_at(depth)
                if event_type is not None and event.type != event_type:
                    continue
                if rel_type is not None:
                    relation = relation_of(event.content)
                    if relation is None or relation.rel_type != rel_type:
                        continue
                found.add(depth)
                next_parents.append(event.event_id)
        parents = next_parents
        if not parents:
            break
    return sorted(found)


def relations_page(
    room: Room,
    depths: list[int],
    *,
    from_depth: int,
    backwards: bool,
    limit: int,
    to_depth: int | None,
    visible_depth: int,
) -> RelationsPage:
    """Up to ``limit`` of ``depths`` from the boundary ``from_depth``, as ``/messages`` pages.

    Backwards: depths <= ``from_depth`` above ``to_depth``, newest first;
    forwards: depths > ``from_depth`` up to ``to_depth``, oldest first.
    """
    if backwards:
        ceiling = min(from_depth, visible_depth)
        floor = to_depth or 0
        start = bisect_right(depths, ceiling)
        stop = bisect_right(depths, floor)
        picked = depths[max(start - limit, stop) : start][::-1]
        more = start - len(picked) > stop
        next_depth = picked[-1] - 1 if picked and more else None
    else:
        ceiling = visible_depth if to_depth is None else min(to_depth, visible_depth)
        start = bisect_right(depths, from_depth)
        stop = bisect_right(depths, ceiling)
        picked = depths[start : min(start + limit, stop)]
        more = start + len(picked) < stop
        next_depth = picked[-1] if picked and more else None
    return RelationsPage([room.event_at(d) for d in picked], next_depth)


@dataclass(frozen=True, slots=True)
class ThreadsPage:
    roots: list[Event]
    #: Latest-reply depth boundary to continue from, or None at the end.
    next_depth: int | None


def threads_page(
    room: Room,
    index: RoomRelations,
    user_id: str,
    lookup: Callable[[str], Event | None],
    *,
    from_depth: int | None,
    limit: int,
    participated_only: bool,
    visible_depth: int,
) -> ThreadsPage:
    """A room's threads by latest activity, newest first: those whose latest reply (as far
    as the viewer may read) is at or before ``from_depth``."""
    reader = Aggregator(room, index, user_id, visible_depth)
    ordered = _threads_by_activity(room, index, reader, lookup)
    roots: list[Event] = []
    last = 0
    for latest, root in ordered:
        if from_depth is not None and latest > from_depth:
            continue
        if participated_only and not reader.participated(
            root, reader.visible(index.replies(root.event_id))
        ):
            continue
        if len(roots) == limit:
            return ThreadsPage(roots, last - 1)
        roots.append(root)
        last = latest
    return ThreadsPage(roots, None)


def _threads_by_activity(
    room: Room, index: RoomRelations, reader: Aggregator, lookup: Callable[[str], Event | None]
) -> Iterator[tuple[int, Event]]:
    """(latest reply depth, root) of each thread whose root the viewer may read, newest first.

    ``index.activity`` is in that order already for a viewer who may read the
    whole room; one who left sees each thread as it was when they left.
    """
    found: Iterable[tuple[int, str]]
    if reader.upto_depth >= room.depth:
        found = ((index.replies(r)[-1], r) for r in reversed(index.activity))
    else:
        bounded = [(reader.visible(index.replies(r)), r) for r in index.activity]
        found = sorted(((replies[-1], r) for replies, r in bounded if replies), reverse=True)
    for latest, root_id in found:
        root = lookup(root_id)
        if root is not None and root.room_id == room.room_id and root.depth <= reader.upto_depth:
            yield latest, root


# -- receipts and unread counts -----------------------------------------------------------


def event_in_thread(
    index: RoomRelations | None,
    event: Event,
    thread_id: str,
    lookup: Callable[[str], Event | None],
) -> bool:
    """Whether a receipt for ``thread_id`` may be sent on ``event`` (Synapse's test).

    ``main``: the event is outside every thread (a root is). A root's id:
    the event is that root or in its thread, or relates (through any chain
    of relations) to one that is.
    """
    if thread_id == MAIN:
        return index is None or index.thread_id(event.event_id) == MAIN
    if index is None or not index.replies(thread_id):
        return False
    current: Event | None = event
    for _ in range(MAX_RECURSION + 1):
        if current is None:
            return False
        if current.event_id == thread_id or index.thread_id(current.event_id) == thread_id:
            return True
        relation = relation_of(current.content)
        if relation is None:
            return False
        current = lookup(relation.parent_id)
    return False


@dataclass(slots=True)
class Unread:
    """A user's unread counts in one room: the main timeline's and each thread's.

    Built for every joined room of every stable sync, so plain (not frozen) and
    sharing one empty mapping when no thread has anything unread; never changed.
    """

    main: Counts
    #: Thread root -> counts, for threads with anything unread.
    threads: Mapping[str, Counts]

    def total(self) -> Counts:
        if not self.threads:
            return self.main
        notifications, highlights = self.main
        for thread_notifications, thread_highlights in self.threads.values():
            notifications += thread_notifications
            highlights += thread_highlights
        return notifications, highlights


NO_THREADS: Mapping[str, Counts] = MappingProxyType({})


def unread_counts(
    room: Room,
    index: RoomRelations | None,
    user_id: str,
    receipts: Iterable[Receipt],
    depth_of: Callable[[str], int | None],
    floor: int,
) -> Unread:
    """Others' notifying events after the user's receipts, by thread (as Synapse counts).

    An unthreaded receipt reads everything before it; a ``main`` receipt the
    main timeline; a thread's receipt that thread. Nothing before ``floor``
    (where the user's current stay began) is unread.
    """
    unthreaded = floor
    threaded: dict[str, int] | None = None
    for receipt in receipts:
        if receipt.receipt_type != "m.read" and receipt.receipt_type != "m.read.private":
            continue
        depth = depth_of(receipt.event_id)
        if depth is None:
            continue
        if receipt.thread_id is None:
            if depth > unthreaded:
                unthreaded = depth
        else:
            if threaded is None:
                threaded = {}
            threaded[receipt.thread_id] = max(threaded.get(receipt.thread_id, 0), depth)
    if threaded is None:
        main_bound = unthreaded
        threaded = {}
    else:
        main_bound = max(unthreaded, threaded.get(MAIN, 0))
    if index is None or not index.per_thread:
        return Unread(room.notifications.counts(user_id, main_bound), NO_THREADS)
    everything = room.notifications.counts(user_id, main_bound)
    in_threads = index.in_threads.counts(user_id, main_bound)
    main = (everything[0] - in_threads[0], everything[1] - in_threads[1])
    threads: dict[str, Counts] = {}
    for thread_id in reversed(index.per_thread):
        counter = index.per_thread[thread_id]
        if counter.last <= unthreaded:
            break
        counts = counter.counts(user_id, max(unthreaded, threaded.get(thread_id, 0)))
        if counts != (0, 0):
            threads[thread_id] = counts
    return Unread(main, threads or NO_THREADS)
