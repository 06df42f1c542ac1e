"""Rooms: their events and state, membership, redaction, room creation, aliases
and the public room directory.

Owns ``rooms`` (each :class:`~mockserver.core.room.Room` keeps its timeline and
state), ``event_index`` (event id -> room and depth), ``user_rooms`` (every room
a user has ever had a membership in, in order), ``aliases`` and
``public_rooms``. It owns the ``room`` stream: every persisted event takes the
next position. It reads the accounts (invitees must exist, member events carry
the profile), records transaction ids in :attr:`Whole.txns`, and stops a
departing member's typing (:func:`~mockserver.core.store.ephemeral.stop_typing`).
Every write checks the room's rules (:mod:`mockserver.core.rules`) first, but
:meth:`Rooms.import_event`, the scenario loader's way in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from mockserver.core import rules
from mockserver.core.errors import (
    M_INVALID_PARAM,
    M_ROOM_IN_USE,
    M_TOO_LARGE,
    MatrixError,
    bad_json,
    forbidden,
    not_found,
)
from mockserver.core.ids import is_room_alias, is_room_id, is_user_id
from mockserver.core.mentions import mentioned
from mockserver.core.model import MEMBERSHIPS, Event, JsonDict, copy_json
from mockserver.core.redaction import redacted_content
from mockserver.core.room import Room
from mockserver.core.store.accounts import Accounts
from mockserver.core.store.base import MAX_EVENT_BYTES, TxnKey, Whole, event_size
from mockserver.core.store.ephemeral import stop_typing
from mockserver.core.store.relations import Relations, is_edit
from mockserver.core.visibility import Reading, member_depth, reading

#: What ``room_alias_name`` may contain: no whitespace, no ``:`` (Synapse's rule).
ALIAS_LOCALPART = re.compile(r"^[^\s:]+$")
NOTIFYING_TYPES = frozenset({"m.room.message", "m.room.encrypted"})
DEFAULT_ROOM_VERSION = "10"
#: One event of a bulk import: (type, sender, content, state_key, origin_server_ts,
#: event_id, (user_id, device_id, txn_id)); None for each part not given.
ImportedEvent = tuple[
    str, str, JsonDict, str | None, int | None, str | None, tuple[str, str, str] | None
]
SUPPORTED_ROOM_VERSIONS = tuple(str(v) for v in range(1, 12))

#: Stripped state shown to an invitee, in this order (spec "Stripped state").
STRIPPED_STATE_TYPES = (
    "m.room.create",
    "m.room.name",
    "m.room.avatar",
    "m.room.topic",
    "m.room.join_rules",
    "m.room.canonical_alias",
    "m.room.encryption",
)


@dataclass(frozen=True, slots=True)
class CreateRoom:
    """The body of ``POST /createRoom``, validated."""

    preset: str | None = None
    visibility: str = "private"
    name: str | None = None
    topic: str | None = None
    invite: tuple[str, ...] = ()
    initial_state: tuple[JsonDict, ...] = ()
    is_direct: bool = False
    room_alias_name: str | None = None
    room_version: str | None = None
    creation_content: JsonDict = field(default_factory=dict)
    power_level_content_override: JsonDict | None = None


PRESETS: dict[str, dict[str, str]] = {
    "private_chat": {"join_rule": "invite", "history_visibility": "shared", "guest_access": "can_join"},
    "trusted_private_chat": {
        "join_rule": "invite",
        "history_visibility": "shared",
        "guest_access": "can_join",
    },
    "public_chat": {"join_rule": "public", "history_visibility": "shared", "guest_access": "forbidden"},
}


class Rooms:
    """Rooms and events, membership, redaction, aliases and the directory."""

    def __init__(self, whole: Whole, accounts: Accounts, relations: Relations) -> None:
        self._whole = whole
        self._accounts = accounts
        #: The relations between this area's events, written as events are stored or redacted.
        self.relations = relations
        self.rooms: dict[str, Room] = {}
        self.aliases: dict[str, str] = {}
        self.public_rooms: dict[str, None] = {}
        self.event_index: dict[str, tuple[str, int]] = {}
        #: Every room a user has ever had a membership in, in order of first membership.
        self.user_rooms: dict[str, dict[str, None]] = {}
        #: Every room with events -> the stream position of its latest one, the latest
        #: last: which rooms changed since a position, without a look at the others
        #: (see :mod:`mockserver.core.store.room_order`).
        self.changed_rooms: dict[str, int] = {}

    # -- rooms: reading ------------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        """The room, or ``403 M_FORBIDDEN`` as for a room the caller is not in.

        As in Synapse, a status must never tell a stranger whether a room
        exists; where Synapse says ``404`` (joining, the directory), the
        caller uses :meth:`known_room`.
        """
        room = self.rooms.get(room_id)
        if room is None:
            raise forbidden(f"You are not in room {room_id}")
        return room

    def known_room(self, room_id: str) -> Room:
        """The room, or ``404 M_NOT_FOUND`` (where Synapse says so too)."""
        room = self.rooms.get(room_id)
        if room is None:
            raise not_found(f"Unknown room {room_id}")
        return room

    def event(self, event_id: str) -> Event | None:
        where = self.event_index.get(event_id)
        if where is None:
            return None
        room_id, depth = where
        return self.rooms[room_id].event_at(depth)

    def room_event(self, room_id: str, event_id: str) -> Event:
        """An event of this room, or ``M_NOT_FOUND``."""
        event = self.event(event_id)
        if event is None or event.room_id != room_id:
            raise not_found(f"Unknown event {event_id}")
        return event

    def membership(self, user_id: str, room_id: str) -> str | None:
        room = self.rooms.get(room_id)
        if room is None:
            return None
        event = room.current("m.room.member", user_id)
        return event.membership if event is not None else None

    def joined_rooms(self, user_id: str) -> list[str]:
        rooms = self.user_rooms.get(user_id, {})
        return [r for r in rooms if self.membership(user_id, r) == "join"]

    def visible_depth(self, user_id: str, room_id: str) -> int:
        """How far into a room's history ``user_id`` may read (``shared`` visibility).

        A joined user sees everything; a user who left, was kicked or banned
        after having joined sees up to and including that event, and no
        further even if re-invited later (see :meth:`Room.last_departure`).
        Anyone else is refused with ``M_FORBIDDEN``, as is an unknown room.
        """
        depth = member_depth(self.room(room_id), user_id)
        if depth:
            return depth
        raise forbidden(f"User {user_id} not in room {room_id}")

    def reading(self, user_id: str, room_id: str) -> Reading:
        """What ``user_id`` may read of a room, peeking into a world-readable one included
        (:func:`mockserver.core.visibility.reading`); refused like :meth:`visible_depth`."""
        found = reading(self.room(room_id), user_id)
        if found is None:
            raise forbidden(f"User {user_id} not in room {room_id}")
        return found

    def stripped_state(self, room: Room, depth: int | None = None) -> list[Event]:
        depth = room.depth if depth is None else depth
        found = [room.state_event_at((t, ""), depth) for t in STRIPPED_STATE_TYPES]
        return [e for e in found if e is not None]

    def resolve_room(self, room_id_or_alias: str) -> str:
        if is_room_alias(room_id_or_alias):
            room_id = self.aliases.get(room_id_or_alias)
            if room_id is None:
                raise not_found(f"Room alias {room_id_or_alias} not found")
            return room_id
        if not is_room_id(room_id_or_alias):
            raise MatrixError(M_INVALID_PARAM, f"{room_id_or_alias!r} is not a room id or alias")
        self.known_room(room_id_or_alias)
        return room_id_or_alias

    # -- rooms: writing --------------------------------------------------------------------

    def persist(
        self,
        room: Room,
        event_type: str,
        sender: str,
        content: JsonDict,
        *,
        state_key: str | None = None,
        txn: tuple[str, str, str] | None = None,
        origin_server_ts: int | None = None,
        event_id: str | None = None,
    ) -> Event:
        prev = room.current(event_type, state_key) if state_key is not None else None
        event = Event(
            event_id=event_id or self.fresh_event_id(),
            room_id=room.room_id,
            type=event_type,
            sender=sender,
            content=content,
            origin_server_ts=self._whole.now() if origin_server_ts is None else origin_server_ts,
            stream=self._whole.bump("room"),
            depth=room.depth + 1,
            state_key=state_key,
            txn=txn,
            prev_content=prev.content if prev is not None else None,
        )
        room.append(event)
        self.event_index[event.event_id] = (room.room_id, event.depth)
        if event_type == "m.room.member" and state_key is not None:
            self.user_rooms.setdefault(state_key, {})[room.room_id] = None
            self._whole.touch(users=(state_key,))
            if event.membership != "join":
                stop_typing(self._whole, room, state_key)
        self._index_message(room, event)
        self._changed(room)
        self._whole.touch(rooms=(room.room_id,))
        return event

    def _changed(self, room: Room) -> None:
        changed = self.changed_rooms
        changed.pop(room.room_id, None)
        changed[room.room_id] = room.last_stream

    def _index_message(self, room: Room, event: Event) -> None:
        """What an event adds to the room's relations and unread counts."""
        self.relations.added(event)
        # Edits never notify (the spec's default rule .m.rule.suppress_edits).
        if event.type in NOTIFYING_TYPES and event.state_key is None and not is_edit(event.content):
            highlighted = self._highlighted(room, event)
            room.notifications.add(event.depth, event.sender, highlighted)
            self.relations.notifies(event, highlighted)

    def fresh_event_id(self) -> str:
        event_id = self._whole.ids.event_id()
        while event_id in self.event_index:
            event_id = self._whole.ids.event_id()
        return event_id

    def _highlighted(self, room: Room, event: Event) -> list[str]:
        """Joined members (not the sender) a message highlights, as Synapse's default
        push rules find them (:mod:`mockserver.core.mentions`)."""
        return mentioned(
            event.content,
            event.sender,
            room.joined_names,
            room.mention_index,
            lambda: rules.may_notify_room(room.state_now(), event.sender),
        )

    def _check_event(
        self, room: Room, event_type: str, sender: str, content: Any, state_key: str | None
    ) -> JsonDict:
        if not isinstance(content, dict):
            raise bad_json("Event content must be a JSON object")
        checked: JsonDict = copy_json(content)
        self.check_event_size(room.room_id, event_type, sender, checked, state_key)
        return checked

    def check_event_size(
        self, room_id: str, event_type: str, sender: str, content: Any, state_key: str | None
    ) -> None:
        """Refuse (``M_TOO_LARGE``) an event that would exceed 64 KiB once persisted."""
        envelope = {
            "type": event_type,
            "room_id": room_id,
            "sender": sender,
            "content": content,
            "state_key": state_key,
            "event_id": "$" + "x" * 43,
            "origin_server_ts": self._whole.now(),
        }
        if event_size(envelope) > MAX_EVENT_BYTES:
            raise MatrixError(M_TOO_LARGE, "Event is too large")

    def _replay(self, txn: TxnKey | None) -> Event | None:
        if txn is None:
            return None
        event_id = self._whole.txns.get(txn)
        return self.event(event_id) if event_id is not None else None

    def _remember(self, txn: TxnKey | None, event: Event) -> None:
        if txn is not None:
            self._whole.txns[txn] = event.event_id

    @staticmethod
    def _txn_stamp(txn: TxnKey | None) -> tuple[str, str, str] | None:
        return (txn.user_id, txn.device_id, txn.txn_id) if txn is not None else None

    def send_event(
        self,
        sender: str,
        room_id: str,
        event_type: str,
        content: Any,
        *,
        state_key: str | None = None,
        txn: TxnKey | None = None,
    ) -> Event:
        """Send a message or state event as a member of the room, under the room's rules."""
        replayed = self._replay(txn)
        if replayed is not None:
            return replayed
        room = self.room(room_id)
        if event_type == "m.room.member" and state_key is not None:
            if not isinstance(content, dict) or not isinstance(content.get("membership"), str):
                raise bad_json("m.room.member content needs a membership")
            return self.set_membership(
                sender,
                room_id,
                state_key,
                content["membership"],
                content=content,
                txn=txn,
            )
        content = self._check_event(room, event_type, sender, content, state_key)
        state = room.state_now()
        rules.check_can_send(state, sender, event_type, state_key)
        if event_type == "m.room.power_levels":
            rules.check_power_levels_content(state, sender, content)
        if event_type == "m.room.canonical_alias":
            self._check_canonical_alias(room_id, content)
        self.relations.check(room_id, event_type, sender, content, self.event)
        if state_key is not None:
            duplicate = _same_state(room.current(event_type, state_key), sender, content)
            if duplicate is not None:
                return duplicate
        event = self.persist(
            room, event_type, sender, content, state_key=state_key, txn=self._txn_stamp(txn)
        )
        self._remember(txn, event)
        return event

    def _check_canonical_alias(self, room_id: str, content: JsonDict) -> None:
        alias = content.get("alias")
        if alias is not None and (not isinstance(alias, str) or self.aliases.get(alias) != room_id):
            raise MatrixError("M_BAD_ALIAS", "Alias does not point to this room", status=400)

    def import_event(
        self,
        room_id: str,
        event_type: str,
        sender: str,
        content: JsonDict,
        *,
        state_key: str | None = None,
        origin_server_ts: int | None = None,
        event_id: str | None = None,
        txn: tuple[str, str, str] | None = None,
    ) -> Event:
        """Persist an event as given, without room rules: the scenario loader's way in.

        Scenarios may describe any room the spec can express (a room with no
        ``m.room.create``, as in the seed's example), so power levels and join
        rules are not checked; ids must still be unique and users known. An
        ``m.room.redaction`` strips its target (if it is in this room), as a
        redaction sent through the API does.
        """
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(room_id)
        if event_id is not None and event_id in self.event_index:
            raise MatrixError(M_INVALID_PARAM, f"Event id {event_id} is already used")
        content = self._check_event(room, event_type, sender, content, state_key)
        event = self.persist(
            room,
            event_type,
            sender,
            content,
            state_key=state_key,
            txn=txn,
            origin_server_ts=origin_server_ts,
            event_id=event_id,
        )
        if txn is not None and state_key is None:
            # The sending device repeating this txnId gets this event back, as after a real send.
            self._whole.txns[TxnKey.for_send(txn[0], txn[1], room_id, event_type, txn[2])] = event.event_id
        redacts = content.get("redacts")
        if event_type == "m.room.redaction" and state_key is None and isinstance(redacts, str):
            target = self.event(redacts)
            if target is not None and target.room_id == room_id:
                self._apply_redaction(room, target, event)
        return event

    def import_events(self, room_id: str, items: Sequence[ImportedEvent | MessageRun]) -> None:
        """:meth:`import_event` for each of ``items`` in order: a scenario room's history.

        A :class:`MessageRun` stands for its messages, made here one after the other.
        The store takes the events' contents as they are: the caller gives them away.

        Ids left out are drawn in one go (the ids one call each would give). Events
        without a transaction id that are not redactions (most of a big history) take
        a short way in: the same event, size check and indexes as :meth:`persist`
        gives, with their stream positions taken in one step.
        """
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(room_id)
        wanted = sum(
            item.count if isinstance(item, MessageRun) else item[5] is None for item in items
        )
        batch = _Batch(self, room, iter(self._whole.ids.event_ids(wanted)))
        for item in items:
            if isinstance(item, MessageRun):
                batch.run(item)
                continue
            event_type, sender, content, state_key, ts, event_id, txn = item
            event_id = batch.event_id(event_id)
            if txn is not None or event_type == "m.room.redaction":
                batch.flush()
                self.import_event(
                    room_id,
                    event_type,
                    sender,
                    content,
                    state_key=state_key,
                    origin_server_ts=ts,
                    event_id=event_id,
                    txn=txn,
                )
                batch.restart()
                continue
            batch.event(event_type, sender, content, state_key, ts, event_id)
        batch.flush()
        self._whole.touch(rooms=(room_id,), users=batch.members)

    def _apply_redaction(self, room: Room, target: Event, redaction: Event) -> None:
        if target.redacted_because is not None:
            return
        stripped = redacted_content(target.type, target.content)
        self.relations.redacted(target)
        # Redaction keeps no unsigned data but the reason, so prev_content goes too...
        room.replace(
            replace(target, content=stripped, prev_content=None, redacted_because=redaction)
        )
        # ...and the state event that replaced it no longer shows the old content.
        if target.state_key is not None:
            successor = room.next_state_event(target.state_entry, target.depth)
            if successor is not None:
                room.replace(replace(successor, prev_content=stripped))

    def ensure_room(self, room_id: str | None = None) -> Room:
        """An empty room (the scenario loader's first step for a room without m.room.create).

        Without ``room_id`` a fresh one is generated from the seeded ids.
        """
        if room_id is not None and room_id in self.rooms:
            raise MatrixError(M_ROOM_IN_USE, f"Room {room_id} already exists")
        room_id = room_id or self.fresh_room_id()
        room = self.rooms[room_id] = Room(room_id)
        return room

    def set_membership(
        self,
        sender: str,
        room_id: str,
        target: str,
        membership: str,
        *,
        reason: str | None = None,
        content: Mapping[str, Any] | None = None,
        txn: TxnKey | None = None,
    ) -> Event:
        """Join, invite, leave, kick, ban or unban, as the spec's auth rules allow."""
        replayed = self._replay(txn)
        if replayed is not None:
            return replayed
        room = self.room(room_id)
        if not is_user_id(target):
            raise MatrixError(M_INVALID_PARAM, f"Invalid user id {target!r}")
        if membership not in MEMBERSHIPS:
            raise bad_json(f"Unknown membership {membership!r}")
        if membership == "invite" and target not in self._accounts.users:
            # A local-only server: invites go to users it knows.
            raise not_found(f"Unknown user {target}")
        state = room.state_now()
        rules.check_membership_change(state, sender, target, membership)
        current = state.get(("m.room.member", target))
        if membership == "join" and current is not None and current.membership == "join":
            if content is None:
                return current
        body: JsonDict = dict(content) if content is not None else {}
        body["membership"] = membership
        if membership in ("join", "invite", "knock") and content is None:
            body.update(self._accounts.profile_content(target))
        if reason is not None:
            body["reason"] = reason
        body = self._check_event(room, "m.room.member", sender, body, target)
        event = self.persist(
            room, "m.room.member", sender, body, state_key=target, txn=self._txn_stamp(txn)
        )
        self._remember(txn, event)
        return event

    def join(self, user_id: str, room_id_or_alias: str) -> str:
        room_id = self.resolve_room(room_id_or_alias)
        self.set_membership(user_id, room_id, user_id, "join")
        return room_id

    def knock(self, user_id: str, room_id_or_alias: str, reason: str | None) -> str:
        room_id = self.resolve_room(room_id_or_alias)
        self.set_membership(user_id, room_id, user_id, "knock", reason=reason)
        return room_id

    def create_room(self, creator: str, options: CreateRoom, *, room_id: str | None = None) -> str:
        """``POST /createRoom``: the creation events in the order Synapse sends them."""
        self._accounts.user(creator)
        version = options.room_version or DEFAULT_ROOM_VERSION
        if version not in SUPPORTED_ROOM_VERSIONS:
            raise MatrixError("M_UNSUPPORTED_ROOM_VERSION", f"Unknown room version {version}")
        preset_name = options.preset or (
            "public_chat" if options.visibility == "public" else "private_chat"
        )
        preset = PRESETS.get(preset_name)
        if preset is None:
            raise bad_json(f"Unknown preset {preset_name!r}")
        alias = None
        if options.room_alias_name is not None:
            alias = f"#{options.room_alias_name}:{self._whole.server_name}"
            if not ALIAS_LOCALPART.fullmatch(options.room_alias_name) or not is_room_alias(alias):
                raise MatrixError(M_INVALID_PARAM, "Invalid room alias name")
            if alias in self.aliases:
                raise MatrixError(M_ROOM_IN_USE, "Room alias already taken")
        for invitee in options.invite:
            if not is_user_id(invitee):
                raise MatrixError(M_INVALID_PARAM, f"Invalid user id {invitee!r}")
            if invitee not in self._accounts.users:
                raise not_found(f"Unknown user {invitee}")
            if invitee == creator:
                raise forbidden(f"{invitee} is already in the room.")
        if room_id is not None and room_id in self.rooms:
            raise MatrixError(M_ROOM_IN_USE, f"Room {room_id} already exists")

        power_levels: JsonDict = copy_json(rules.DEFAULT_POWER_LEVELS)
        power_levels["users"] = {creator: 100}
        if preset_name == "trusted_private_chat":
            for invitee in options.invite:
                power_levels["users"][invitee] = 100
        if options.power_level_content_override:
            power_levels.update(copy_json(options.power_level_content_override))

        create_content = {**copy_json(options.creation_content), "room_version": version}
        if version in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"):
            create_content.setdefault("creator", creator)
        # initial_state replaces what the preset would set for the same entry (as in
        # Synapse); the create event and memberships are createRoom's own to send.
        initial: dict[tuple[str, str], JsonDict] = {
            (item["type"], item.get("state_key", "")): copy_json(item["content"])
            for item in options.initial_state
        }
        if any(key[0] in ("m.room.create", "m.room.member") for key in initial):
            raise bad_json("initial_state may not set m.room.create or m.room.member")
        plan: list[tuple[str, str, JsonDict]] = [
            ("m.room.create", "", create_content),
            ("m.room.member", creator, {"membership": "join", **self._accounts.profile_content(creator)}),
            ("m.room.power_levels", "", initial.pop(("m.room.power_levels", ""), power_levels)),
        ]
        if alias is not None:
            plan.append(("m.room.canonical_alias", "", {"alias": alias}))
        defaults: list[tuple[str, JsonDict]] = [
            ("m.room.join_rules", {"join_rule": preset["join_rule"]}),
            ("m.room.history_visibility", {"history_visibility": preset["history_visibility"]}),
        ]
        # Synapse sends m.room.guest_access only for the presets that let guests in
        # (SyTest 15lazy-members.pl expects a public_chat room's state without it).
        if preset["guest_access"] == "can_join" or ("m.room.guest_access", "") in initial:
            defaults.append(("m.room.guest_access", {"guest_access": preset["guest_access"]}))
        for event_type, content in defaults:
            plan.append((event_type, "", initial.pop((event_type, ""), content)))
        plan += [(event_type, key, content) for (event_type, key), content in initial.items()]
        if options.name is not None:
            plan.append(("m.room.name", "", {"name": options.name}))
        if options.topic is not None:
            plan.append(("m.room.topic", "", {"topic": options.topic}))
        for invitee in dict.fromkeys(options.invite):
            invite: JsonDict = {"membership": "invite", **self._accounts.profile_content(invitee)}
            if options.is_direct:
                invite["is_direct"] = True
            plan.append(("m.room.member", invitee, invite))

        room_id = room_id or self.fresh_room_id()
        room = Room(room_id)
        for event_type, state_key, content in plan:
            # Every content here is this method's own copy: checked, not copied again.
            self.check_event_size(room_id, event_type, creator, content, state_key)
        self.rooms[room_id] = room
        for event_type, state_key, content in plan:
            self.persist(room, event_type, creator, content, state_key=state_key)
        if alias is not None:
            self.aliases[alias] = room_id
        if options.visibility == "public":
            self.public_rooms[room_id] = None
        return room_id

    def fresh_room_id(self) -> str:
        room_id = self._whole.ids.room_id()
        while room_id in self.rooms:
            room_id = self._whole.ids.room_id()
        return room_id

    def redact(
        self,
        sender: str,
        room_id: str,
        event_id: str,
        *,
        reason: str | None = None,
        txn: TxnKey | None = None,
    ) -> Event:
        """Send ``m.room.redaction`` and strip the target wherever it is served."""
        replayed = self._replay(txn)
        if replayed is not None:
            return replayed
        room = self.room(room_id)
        target = self.event(event_id)
        if target is not None and target.room_id != room_id:
            target = None
        state = room.state_now()
        rules.check_can_redact(state, sender, target)
        content: JsonDict = {"redacts": event_id}
        if reason is not None:
            content["reason"] = reason
        redaction = self.persist(
            room, "m.room.redaction", sender, content, txn=self._txn_stamp(txn)
        )
        if target is not None:
            self._apply_redaction(room, target, redaction)
        self._remember(txn, redaction)
        return redaction

    # -- aliases -------------------------------------------------------------------------------

    def set_alias(self, user_id: str, alias: str, room_id: str) -> None:
        if not is_room_alias(alias) or not alias.endswith(":" + self._whole.server_name):
            raise MatrixError(M_INVALID_PARAM, f"Invalid alias {alias!r}")
        self.room(room_id)
        if alias in self.aliases:
            raise MatrixError(M_ROOM_IN_USE, "Room alias already taken")
        self.aliases[alias] = room_id

    def delete_alias(self, user_id: str, alias: str) -> None:
        room_id = self.aliases.get(alias)
        if room_id is None:
            raise not_found(f"Room alias {alias} not found")
        if self.membership(user_id, room_id) != "join":
            raise forbidden("You don't have permission to delete the alias.")
        del self.aliases[alias]

    def set_room_visibility(self, user_id: str, room_id: str, visibility: str) -> None:
        self.room(room_id)
        if self.membership(user_id, room_id) != "join":
            raise forbidden("You are not in the room")
        self.publish_room(room_id, visibility == "public")

    def publish_room(self, room_id: str, public: bool) -> None:
        """List or unlist a room in the public directory (no membership check)."""
        self.room(room_id)
        if public:
            self.public_rooms[room_id] = None
        else:
            self.public_rooms.pop(room_id, None)


def _same_state(current: Event | None, sender: str, content: JsonDict) -> Event | None:
    """The current state event when a new one would repeat it: same sender, same content.

    Synapse does not persist such an event and answers with the current one's id
    (``deduplicate_state_event``); SyTest 30history-visibility.pl's "Real users can sync
    from shared guest_access rooms if joined" counts on it.
    """
    if current is None or current.sender != sender:
        return None
    same = orjson.dumps(current.content, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        content, option=orjson.OPT_SORT_KEYS
    )
    return current if same else None


@dataclass(frozen=True, slots=True)
class MessageRun:
    """``count`` plain messages of one kind (a scenario's ``generate``), made by the
    store as it imports them rather than handed over one by one.

    Message ``i`` (from 0) is an ``m.room.message`` of ``msgtype`` sent by
    ``senders[i % len(senders)]``, with the body ``bodies[i % len(bodies)]`` in which
    ``{n}`` stands for ``i + 1``, stamped ``first_ts + i * interval_ms``.
    """

    count: int
    senders: tuple[str, ...]
    bodies: tuple[str, ...]
    msgtype: str
    first_ts: int
    interval_ms: int

    def body(self, index: int) -> str:
        return self.bodies[index % len(self.bodies)].replace("{n}", str(index + 1))


class _Batch:
    """One :meth:`Rooms.import_events` call: its ids, and the stream positions its
    events take, bumped in one step (:meth:`flush`) rather than one per event."""

    def __init__(self, rooms: Rooms, room: Room, fresh: Iterator[str]) -> None:
        self.rooms = rooms
        self.room = room
        self.fresh = fresh
        self.now = rooms._whole.now()
        #: Events given a stream position not yet taken from the store.
        self.taken = 0
        self.base = rooms._whole.position.room
        #: Users whose membership the batch changed.
        self.members: set[str] = set()

    def event_id(self, given: str | None) -> str:
        """``given``, checked, or the next drawn id (another one on the rare clash)."""
        index = self.rooms.event_index
        if given is None:
            event_id = next(self.fresh)
            return event_id if event_id not in index else self.rooms.fresh_event_id()
        if given in index:
            raise MatrixError(M_INVALID_PARAM, f"Event id {given} is already used")
        return given

    def flush(self) -> None:
        if self.taken:
            self.rooms._whole.bump("room", self.taken)
            self.taken = 0
            self.rooms._changed(self.room)

    def restart(self) -> None:
        """Carry on after an event stored the general way (its position is taken)."""
        self.base = self.rooms._whole.position.room

    def event(
        self,
        event_type: str,
        sender: str,
        content: JsonDict,
        state_key: str | None,
        ts: int | None,
        event_id: str,
    ) -> None:
        rooms, room = self.rooms, self.room
        # The store keeps ``content`` as it is (the caller gives it away: no copy).
        if not isinstance(content, dict):
            raise bad_json("Event content must be a JSON object")
        rooms.check_event_size(room.room_id, event_type, sender, content, state_key)
        prev = room.current(event_type, state_key) if state_key is not None else None
        self.taken += 1
        event = Event(
            event_id,
            room.room_id,
            event_type,
            sender,
            content,
            self.now if ts is None else ts,
            self.base + self.taken,
            len(room.events) + 1,
            state_key,
            None,
            prev.content if prev is not None else None,
        )
        room.append(event)
        rooms.event_index[event_id] = (room.room_id, event.depth)
        if event_type == "m.room.member" and state_key is not None:
            rooms.user_rooms.setdefault(state_key, {})[room.room_id] = None
            self.members.add(state_key)
            if event.membership != "join":
                stop_typing(rooms._whole, room, state_key)
        rooms._index_message(room, event)

    def run(self, run: MessageRun) -> None:
        """The run's messages: their size checked once (the longest body each sender
        can send, unless that is too large: then each), their events made in a loop."""
        rooms, room = self.rooms, self.room
        room_id = room.room_id
        longest = [template.replace("{n}", str(run.count)) for template in run.bodies]
        try:
            for sender in run.senders:
                for longest_body in longest:
                    rooms.check_event_size(
                        room_id,
                        "m.room.message",
                        sender,
                        {"msgtype": run.msgtype, "body": longest_body},
                        None,
                    )
            checked = True
        except MatrixError:
            checked = False
        index, fresh = rooms.event_index, self.fresh
        senders, bodies, msgtype = run.senders, run.bodies, run.msgtype
        first_ts, interval = run.first_ts, run.interval_ms
        stream = self.base + self.taken
        depth = len(room.events)
        made: list[Event] = []
        highlights: dict[str, list[int]] = {}
        for i in range(run.count):
            sender = senders[i % len(senders)]
            body = bodies[i % len(bodies)].replace("{n}", str(i + 1))
            content: JsonDict = {"msgtype": msgtype, "body": body}
            if not checked:
                rooms.check_event_size(room_id, "m.room.message", sender, content, None)
            event_id = next(fresh)
            if event_id in index:
                event_id = rooms.fresh_event_id()
            stream += 1
            depth += 1
            event = Event(
                event_id,
                room_id,
                "m.room.message",
                sender,
                content,
                first_ts + i * interval,
                stream,
                depth,
            )
            made.append(event)
            index[event_id] = (room_id, depth)
            for user_id in rooms._highlighted(room, event):
                highlights.setdefault(user_id, []).append(depth)
        room.append_messages(made)
        # The unread counts' index, in one step (the depths are the events' own ints).
        # Nothing for the relations index: a message relating to nothing is in no thread.
        depths = [event.depth for event in made]
        by_sender: dict[str, list[int]] = {}
        if len(set(senders)) == len(senders):
            for offset, sender in enumerate(senders[: run.count]):
                by_sender[sender] = depths[offset :: len(senders)]
        else:
            for event in made:
                by_sender.setdefault(event.sender, []).append(event.depth)
        room.notifications.extend(depths, by_sender, highlights)
        self.taken += run.count
