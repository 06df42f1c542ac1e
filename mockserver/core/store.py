"""The one in-memory state of a mockserver, and every change to it.

Each public mutation checks everything first, then writes, then bumps the
stream positions it touched and tells the registered listeners which rooms
and users the change concerns (the notifier is one such listener). A
rejected call raises :class:`MatrixError` before its first write, so it
changes nothing. The store never sees a request, a status code or a waiter.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from mockserver.core import device_keys as device_keys_area, rules
from mockserver.core.clock import Clock
from mockserver.core.cross_signing import CrossSigning
from mockserver.core.device_lists import DeviceListLog
from mockserver.core.key_backup import KeyBackups
from mockserver.core.errors import (
    M_INVALID_PARAM,
    M_INVALID_USERNAME,
    M_ROOM_IN_USE,
    M_TOO_LARGE,
    M_UNKNOWN,
    M_USER_IN_USE,
    MatrixError,
    bad_json,
    forbidden,
    not_found,
)
from mockserver.core.ids import (
    USER_LOCALPART,
    Ids,
    is_room_alias,
    is_room_id,
    is_user_id,
    user_id as make_user_id,
)
from mockserver.core.model import (
    MEMBERSHIPS,
    PRESENCE_STATES,
    AccountData,
    Device,
    Event,
    JsonDict,
    Presence,
    Receipt,
    Session,
    ToDeviceMessage,
    User,
    copy_json,
)
from mockserver.core.redaction import redacted_content
from mockserver.core.room import Room
from mockserver.core.tokens import StreamToken

MAX_EVENT_BYTES = 65536
#: What ``room_alias_name`` may contain: no whitespace, no ``:`` (Synapse's rule).
ALIAS_LOCALPART = re.compile(r"^[^\s:]+$")
DEFAULT_TYPING_TIMEOUT_MS = 30_000
MAX_TYPING_TIMEOUT_MS = 120_000
NOTIFYING_TYPES = frozenset({"m.room.message", "m.room.encrypted"})
DEFAULT_ROOM_VERSION = "10"
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

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    """What a mutation concerns: the rooms and users whose long-polls should wake."""

    rooms: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()


Listener = Callable[[Change], None]


@dataclass(frozen=True, slots=True)
class TxnKey:
    """Transaction identity: the same device repeating a txnId on one endpoint."""

    user_id: str
    device_id: str
    endpoint: str
    txn_id: str

    @classmethod
    def for_send(
        cls, user_id: str, device_id: str, room_id: str, event_type: str, txn_id: str
    ) -> TxnKey:
        """The key of ``PUT /rooms/{room_id}/send/{event_type}/{txn_id}``."""
        return cls(user_id, device_id, f"send/{room_id}/{event_type}", txn_id)


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


def _stream(entry: AccountData | ToDeviceMessage) -> int:
    return entry.stream


def event_size(event: Mapping[str, Any]) -> int:
    return len(orjson.dumps(event))


class Store:
    """Users, devices, rooms, events, ephemeral data and filters, all in memory."""

    def __init__(
        self,
        server_name: str = "localhost",
        *,
        clock: Clock | None = None,
        seed: int | str = 0,
    ) -> None:
        self.server_name = server_name
        self.clock = clock or Clock()
        self.ids = Ids(server_name, seed)
        self._listeners: list[Listener] = []
        self._clear()

    def _clear(self) -> None:
        self.position = StreamToken()
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.rooms: dict[str, Room] = {}
        self.aliases: dict[str, str] = {}
        self.public_rooms: dict[str, None] = {}
        self.event_index: dict[str, tuple[str, int]] = {}
        #: Every room a user has ever had a membership in, in order of first membership.
        self.user_rooms: dict[str, dict[str, None]] = {}
        self.presence: dict[str, Presence] = {}
        self.presence_log: list[Presence] = []
        self.presence_streams: list[int] = []
        self.account_data: dict[tuple[str, str | None, str], AccountData] = {}
        self.account_data_log: dict[str, list[AccountData]] = {}
        self.to_device: dict[tuple[str, str], list[ToDeviceMessage]] = {}
        self.filters: dict[str, list[JsonDict]] = {}
        self.txns: dict[TxnKey, str] = {}
        self.auth_sessions: set[str] = set()
        self.device_lists = DeviceListLog()
        self.cross_signing = CrossSigning()
        self.key_backups = KeyBackups()
        self._typing_rooms: set[str] = set()
        self._pending_rooms: set[str] = set()
        self._pending_users: set[str] = set()

    def reset(self, seed: int | str | None = None) -> None:
        """Forget everything: an empty world at stream position zero."""
        touched = set(self.rooms), set(self.users)
        self._clear()
        self.ids.reseed(seed)
        self._pending_rooms, self._pending_users = touched
        self._commit()

    def rename_server(self, server_name: str) -> None:
        """Serve another server name; only an empty world (no users, no rooms) may change it."""
        if server_name == self.server_name:
            return
        if self.users or self.rooms:
            raise MatrixError(
                M_INVALID_PARAM,
                f"Cannot rename server {self.server_name} to {server_name}: it is not empty",
            )
        self.server_name = server_name
        self.ids.server_name = server_name

    # -- change notification ---------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _touch(self, rooms: Iterable[str] = (), users: Iterable[str] = ()) -> None:
        self._pending_rooms.update(rooms)
        self._pending_users.update(users)

    def _commit(self) -> None:
        if not self._pending_rooms and not self._pending_users:
            return
        change = Change(frozenset(self._pending_rooms), frozenset(self._pending_users))
        self._pending_rooms = set()
        self._pending_users = set()
        for listener in list(self._listeners):
            listener(change)

    def now(self) -> int:
        return self.clock.now_ms()

    # -- users, devices and access tokens ----------------------------------------------

    def user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise not_found(f"Unknown user {user_id}")
        return user

    def check_new_localpart(self, localpart: str) -> str:
        """Validate a username for registration and return the user id it gives."""
        if not USER_LOCALPART.fullmatch(localpart):
            raise MatrixError(
                M_INVALID_USERNAME,
                "User ID can only contain characters a-z, 0-9, or '._=-/+'",
            )
        user_id = make_user_id(localpart, self.server_name)
        if len(user_id) > 255:
            raise MatrixError(M_INVALID_USERNAME, "User ID may not be longer than 255 characters")
        if user_id in self.users:
            raise MatrixError(M_USER_IN_USE, "User ID already taken.")
        return user_id

    def create_user(
        self,
        user_id: str,
        password: str | None,
        *,
        displayname: str | None = _UNSET,
        avatar_url: str | None = None,
    ) -> User:
        if not is_user_id(user_id):
            raise MatrixError(M_INVALID_USERNAME, f"Invalid user id {user_id!r}")
        if user_id in self.users:
            raise MatrixError(M_USER_IN_USE, "User ID already taken.")
        localpart = user_id[1:].split(":", 1)[0]
        user = User(
            user_id=user_id,
            password=password,
            displayname=localpart if displayname is _UNSET else displayname,
            avatar_url=avatar_url,
        )
        self.users[user_id] = user
        return user

    def register(
        self,
        localpart: str | None,
        password: str | None,
        *,
        device_id: str | None = None,
        initial_device_display_name: str | None = None,
        inhibit_login: bool = False,
        auth_session: str | None = None,
    ) -> tuple[str, Session | None]:
        """Create an account; ``auth_session`` (if given) must be one this server started."""
        if auth_session is not None and not self.has_auth_session(auth_session):
            raise MatrixError(M_UNKNOWN, "Unknown auth session")
        if localpart is None:
            localpart = self._free_localpart()
        user_id = self.check_new_localpart(localpart)
        self.create_user(user_id, password)
        if auth_session is not None:
            self.auth_sessions.discard(auth_session)
        session = None
        if not inhibit_login:
            session = self.new_session(user_id, device_id, initial_device_display_name)
        return user_id, session

    def start_auth_session(self) -> str:
        """A user-interactive auth session id for ``/register``."""
        session = self.ids.session_id()
        self.auth_sessions.add(session)
        return session

    def has_auth_session(self, session: str) -> bool:
        return session in self.auth_sessions

    def end_auth_session(self, session: str) -> None:
        self.auth_sessions.discard(session)

    def _free_localpart(self) -> str:
        number = len(self.users) + 1
        while make_user_id(str(number), self.server_name) in self.users:
            number += 1
        return str(number)

    def login(
        self,
        user_id: str,
        password: str,
        *,
        device_id: str | None = None,
        initial_device_display_name: str | None = None,
    ) -> Session:
        user = self.users.get(user_id)
        if user is None or user.password is None or user.password != password:
            raise forbidden("Invalid username or password")
        return self.new_session(user_id, device_id, initial_device_display_name)

    def new_session(
        self,
        user_id: str,
        device_id: str | None = None,
        display_name: str | None = None,
        *,
        access_token: str | None = None,
    ) -> Session:
        """Issue an access token for a device of ``user_id`` (creating the device)."""
        user = self.user(user_id)
        if access_token is not None and access_token in self.sessions:
            raise MatrixError(M_INVALID_PARAM, "Access token already in use")
        device_id = device_id or self.ids.device_id()
        device = user.devices.get(device_id)
        if device is None:
            device = user.devices[device_id] = Device(device_id, display_name)
        elif display_name is not None:
            device.display_name = display_name
        device.last_seen_ts = self.now()
        session = Session(user_id, device_id, access_token or self.ids.access_token())
        self.sessions[session.access_token] = session
        return session

    def device_seen(self, session: Session, ip: str) -> None:
        """Where the session's device last connected from (``last_seen_ip`` in ``/devices``)."""
        device = self._device(session.user_id, session.device_id)
        if device is not None:
            device.last_seen_ip = ip

    def session_for(self, access_token: str) -> Session | None:
        return self.sessions.get(access_token)

    def logout(self, access_token: str) -> None:
        session = self.sessions.pop(access_token, None)
        if session is not None:
            self._ended(session.user_id)

    def logout_all(self, user_id: str) -> None:
        for token in [t for t, s in self.sessions.items() if s.user_id == user_id]:
            del self.sessions[token]
        self._ended(user_id)

    def _ended(self, user_id: str) -> None:
        """Sessions of ``user_id`` ended: wake its long-polls so they answer 401 at once."""
        self._touch(users=(user_id,))
        self._commit()

    def rename_device(self, user_id: str, device_id: str, display_name: str | None) -> None:
        device = self.user(user_id).devices.get(device_id)
        if device is None:
            raise not_found("Unknown device")
        if display_name is not None and display_name != device.display_name:
            device.display_name = display_name
            if device.keys is not None:
                # keys/query shows the name (unsigned.device_display_name), as Synapse tells.
                self._device_list_changed(user_id)
            self._commit()

    def delete_device(self, user_id: str, device_id: str) -> None:
        if device_id not in self.user(user_id).devices:
            raise not_found("Unknown device")
        self.delete_devices(user_id, [device_id])

    def delete_devices(self, user_id: str, device_ids: Iterable[str]) -> None:
        """Remove devices (unknown ids are ignored), their sessions, keys and to-device
        messages, and tell everyone who tracks the user's devices."""
        user = self.user(user_id)
        gone = {d for d in device_ids if d in user.devices}
        if not gone:
            return
        for device_id in gone:
            del user.devices[device_id]
            self.to_device.pop((user_id, device_id), None)
            self.cross_signing.forget_device(user_id, device_id)
        for token in [
            t for t, s in self.sessions.items() if s.user_id == user_id and s.device_id in gone
        ]:
            del self.sessions[token]
        self._device_list_changed(user_id)
        self._ended(user_id)

    # -- profile --------------------------------------------------------------------------

    def set_profile(
        self,
        user_id: str,
        *,
        displayname: str | None = _UNSET,
        avatar_url: str | None = _UNSET,
    ) -> None:
        """Change a profile field and announce it in every room the user is joined to."""
        user = self.user(user_id)
        if displayname is not _UNSET:
            user.displayname = displayname
        if avatar_url is not _UNSET:
            user.avatar_url = avatar_url
        for room_id in self.joined_rooms(user_id):
            room = self.rooms[room_id]
            current = room.current("m.room.member", user_id)
            assert current is not None
            content = dict(current.content)
            for key, value in (("displayname", user.displayname), ("avatar_url", user.avatar_url)):
                if value is None:
                    content.pop(key, None)
                else:
                    content[key] = value
            if content != current.content:
                self._persist(room, "m.room.member", user_id, content, state_key=user_id)
        self._commit()

    def _profile_content(self, user_id: str) -> JsonDict:
        user = self.users.get(user_id)
        content: JsonDict = {}
        if user is not None:
            if user.displayname is not None:
                content["displayname"] = user.displayname
            if user.avatar_url is not None:
                content["avatar_url"] = user.avatar_url
        return content

    # -- rooms: reading ------------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
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

    def rooms_of(self, user_id: str) -> Iterable[str]:
        return self.user_rooms.get(user_id, {}).keys()

    def joined_rooms(self, user_id: str) -> list[str]:
        return [r for r in self.rooms_of(user_id) if self.membership(user_id, r) == "join"]

    def visible_depth(self, user_id: str, room_id: str) -> int:
        """How far into a room's history ``user_id`` may read (``shared`` visibility).

        A joined user sees everything; a user who left, was kicked or banned
        after having joined sees up to and including that event, and no
        further even if re-invited later (see :meth:`Room.last_departure`).
        Anyone else is refused with ``M_FORBIDDEN`` (an unknown room is
        ``M_NOT_FOUND``).
        """
        room = self.room(room_id)
        last = room.current("m.room.member", user_id)
        if last is not None and last.membership == "join":
            return room.depth
        departure = room.last_departure(user_id)
        if departure:
            return departure
        raise forbidden(f"User {user_id} not in room {room_id}")

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
        self.room(room_id_or_alias)
        return room_id_or_alias

    # -- rooms: writing --------------------------------------------------------------------

    def _next_room_stream(self) -> int:
        self.position = self.position.advance(room=self.position.room + 1)
        return self.position.room

    def _persist(
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
            event_id=event_id or self._fresh_event_id(),
            room_id=room.room_id,
            type=event_type,
            sender=sender,
            content=content,
            origin_server_ts=self.now() if origin_server_ts is None else origin_server_ts,
            stream=self._next_room_stream(),
            depth=room.depth + 1,
            state_key=state_key,
            txn=txn,
            prev_content=prev.content if prev is not None else None,
        )
        room.append(event)
        self.event_index[event.event_id] = (room.room_id, event.depth)
        if event_type == "m.room.member" and state_key is not None:
            self.user_rooms.setdefault(state_key, {})[room.room_id] = None
            self._touch(users=(state_key,))
            if event.membership != "join":
                self._stop_typing(room, state_key)
        if event_type in NOTIFYING_TYPES and state_key is None:
            room.index_notification(event, self._highlighted(room, event))
        self._touch(rooms=(room.room_id,))
        return event

    def _fresh_event_id(self) -> str:
        event_id = self.ids.event_id()
        while event_id in self.event_index:
            event_id = self.ids.event_id()
        return event_id

    def _highlighted(self, room: Room, event: Event) -> Iterator[str]:
        """Joined members (not the sender) whom a message mentions: in ``m.mentions``, or by
        user id or display name in its body."""
        mentions = event.content.get("m.mentions")
        mentioned: set[str] = set()
        if isinstance(mentions, dict) and isinstance(mentions.get("user_ids"), list):
            mentioned = {u for u in mentions["user_ids"] if isinstance(u, str)}
        body = event.content.get("body")
        body = body if isinstance(body, str) else ""
        if not mentioned and not body:
            return
        for user_id, name in room.joined_names():
            if user_id == event.sender:
                continue
            if (
                user_id in mentioned
                or (body and user_id in body)
                or (body and name is not None and name in body)
            ):
                yield user_id

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
            "origin_server_ts": self.now(),
        }
        if event_size(envelope) > MAX_EVENT_BYTES:
            raise MatrixError(M_TOO_LARGE, "Event is too large")

    def _replay(self, txn: TxnKey | None) -> Event | None:
        if txn is None:
            return None
        event_id = self.txns.get(txn)
        return self.event(event_id) if event_id is not None else None

    def _remember(self, txn: TxnKey | None, event: Event) -> None:
        if txn is not None:
            self.txns[txn] = event.event_id

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
        event = self._persist(
            room, event_type, sender, content, state_key=state_key, txn=self._txn_stamp(txn)
        )
        self._remember(txn, event)
        self._commit()
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
        event = self._persist(
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
            self.txns[TxnKey.for_send(txn[0], txn[1], room_id, event_type, txn[2])] = event.event_id
        redacts = content.get("redacts")
        if event_type == "m.room.redaction" and state_key is None and isinstance(redacts, str):
            target = self.event(redacts)
            if target is not None and target.room_id == room_id:
                self._apply_redaction(room, target, event)
        self._commit()
        return event

    def _apply_redaction(self, room: Room, target: Event, redaction: Event) -> None:
        if target.redacted_because is not None:
            return
        stripped = redacted_content(target.type, target.content)
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
        room_id = room_id or self._fresh_room_id()
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
        if membership == "invite" and target not in self.users:
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
        if membership in ("join", "invite") and content is None:
            body.update(self._profile_content(target))
        if reason is not None:
            body["reason"] = reason
        body = self._check_event(room, "m.room.member", sender, body, target)
        event = self._persist(
            room, "m.room.member", sender, body, state_key=target, txn=self._txn_stamp(txn)
        )
        self._remember(txn, event)
        self._commit()
        return event

    def join(self, user_id: str, room_id_or_alias: str) -> str:
        room_id = self.resolve_room(room_id_or_alias)
        self.set_membership(user_id, room_id, user_id, "join")
        return room_id

    def create_room(self, creator: str, options: CreateRoom, *, room_id: str | None = None) -> str:
        """``POST /createRoom``: the creation events in the order Synapse sends them."""
        self.user(creator)
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
            alias = f"#{options.room_alias_name}:{self.server_name}"
            if not ALIAS_LOCALPART.fullmatch(options.room_alias_name) or not is_room_alias(alias):
                raise MatrixError(M_INVALID_PARAM, "Invalid room alias name")
            if alias in self.aliases:
                raise MatrixError(M_ROOM_IN_USE, "Room alias already taken")
        for invitee in options.invite:
            if not is_user_id(invitee):
                raise MatrixError(M_INVALID_PARAM, f"Invalid user id {invitee!r}")
            if invitee not in self.users:
                raise not_found(f"Unknown user {invitee}")
            if invitee == creator:
                raise forbidden(f"{invitee} is already in the room.")
        if room_id is not None and room_id in self.rooms:
            raise MatrixError(M_ROOM_IN_USE, f"Room {room_id} already exists")

        power_levels: JsonDict = copy.deepcopy(rules.DEFAULT_POWER_LEVELS)
        power_levels["users"] = {creator: 100}
        if preset_name == "trusted_private_chat":
            for invitee in options.invite:
                power_levels["users"][invitee] = 100
        if options.power_level_content_override:
            power_levels.update(copy.deepcopy(options.power_level_content_override))

        create_content = {**copy.deepcopy(options.creation_content), "room_version": version}
        if version in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"):
            create_content.setdefault("creator", creator)
        # initial_state replaces what the preset would set for the same entry (as in
        # Synapse); the create event and memberships are createRoom's own to send.
        initial: dict[tuple[str, str], JsonDict] = {
            (item["type"], item.get("state_key", "")): copy.deepcopy(item["content"])
            for item in options.initial_state
        }
        if any(key[0] in ("m.room.create", "m.room.member") for key in initial):
            raise bad_json("initial_state may not set m.room.create or m.room.member")
        plan: list[tuple[str, str, JsonDict]] = [
            ("m.room.create", "", create_content),
            ("m.room.member", creator, {"membership": "join", **self._profile_content(creator)}),
            ("m.room.power_levels", "", initial.pop(("m.room.power_levels", ""), power_levels)),
        ]
        if alias is not None:
            plan.append(("m.room.canonical_alias", "", {"alias": alias}))
        for event_type, content in (
            ("m.room.join_rules", {"join_rule": preset["join_rule"]}),
            ("m.room.history_visibility", {"history_visibility": preset["history_visibility"]}),
            ("m.room.guest_access", {"guest_access": preset["guest_access"]}),
        ):
            plan.append((event_type, "", initial.pop((event_type, ""), content)))
        plan += [(event_type, key, content) for (event_type, key), content in initial.items()]
        if options.name is not None:
            plan.append(("m.room.name", "", {"name": options.name}))
        if options.topic is not None:
            plan.append(("m.room.topic", "", {"topic": options.topic}))
        for invitee in dict.fromkeys(options.invite):
            invite: JsonDict = {"membership": "invite", **self._profile_content(invitee)}
            if options.is_direct:
                invite["is_direct"] = True
            plan.append(("m.room.member", invitee, invite))

        room_id = room_id or self._fresh_room_id()
        room = Room(room_id)
        for event_type, state_key, content in plan:
            self._check_event(room, event_type, creator, content, state_key)
        self.rooms[room_id] = room
        for event_type, state_key, content in plan:
            self._persist(room, event_type, creator, content, state_key=state_key)
        if alias is not None:
            self.aliases[alias] = room_id
        if options.visibility == "public":
            self.public_rooms[room_id] = None
        self._commit()
        return room_id

    def _fresh_room_id(self) -> str:
        room_id = self.ids.room_id()
        while room_id in self.rooms:
            room_id = self.ids.room_id()
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
        redaction = self._persist(
            room, "m.room.redaction", sender, content, txn=self._txn_stamp(txn)
        )
        if target is not None:
            self._apply_redaction(room, target, redaction)
        self._remember(txn, redaction)
        self._commit()
        return redaction

    # -- aliases -------------------------------------------------------------------------------

    def set_alias(self, user_id: str, alias: str, room_id: str) -> None:
        if not is_room_alias(alias) or not alias.endswith(":" + self.server_name):
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

    # -- typing -----------------------------------------------------------------------------------

    def set_typing(self, user_id: str, room_id: str, typing: bool, timeout_ms: int | None) -> None:
        room = self.room(room_id)
        if self.membership(user_id, room_id) != "join":
            raise forbidden(f"User {user_id} is not in room {room_id}")
        self.expire_typing()
        if typing:
            timeout = DEFAULT_TYPING_TIMEOUT_MS if timeout_ms is None else timeout_ms
            timeout = max(0, min(timeout, MAX_TYPING_TIMEOUT_MS))
            was_typing = user_id in room.typing
            room.typing[user_id] = self.now() + timeout
            self._typing_rooms.add(room_id)
            if not was_typing:
                self._typing_changed(room)
        else:
            self._stop_typing(room, user_id)
        self._commit()

    def _stop_typing(self, room: Room, user_id: str) -> bool:
        if room.typing.pop(user_id, None) is None:
            return False
        self._typing_changed(room)
        return True

    def _typing_changed(self, room: Room) -> None:
        self.position = self.position.advance(typing=self.position.typing + 1)
        room.typing_stream = self.position.typing
        self._touch(rooms=(room.room_id,))

    def expire_typing(self) -> None:
        """Drop typing notifications whose timeout has passed (on the server clock)."""
        if not self._typing_rooms:
            return
        now = self.now()
        for room_id in list(self._typing_rooms):
            room = self.rooms[room_id]
            expired = [u for u, expiry in room.typing.items() if expiry <= now]
            for user_id in expired:
                del room.typing[user_id]
            if expired:
                self._typing_changed(room)
            if not room.typing:
                self._typing_rooms.discard(room_id)
        self._commit()

    def next_typing_expiry(self) -> int | None:
        expiries = [e for r in self._typing_rooms for e in self.rooms[r].typing.values()]
        return min(expiries) if expiries else None

    # -- receipts -------------------------------------------------------------------------------

    def set_receipt(
        self,
        user_id: str,
        room_id: str,
        receipt_type: str,
        event_id: str,
        *,
        thread_id: str | None = None,
        ts: int | None = None,
    ) -> None:
        """Record a read receipt, stamped ``ts`` (a scenario's) or now."""
        room = self.room(room_id)
        if self.membership(user_id, room_id) != "join":
            raise forbidden(f"User {user_id} is not in room {room_id}")
        if receipt_type not in ("m.read", "m.read.private"):
            raise MatrixError(M_INVALID_PARAM, f"Unknown receipt type {receipt_type!r}")
        self.room_event(room_id, event_id)
        self.position = self.position.advance(receipt=self.position.receipt + 1)
        room.add_receipt(
            Receipt(
                room_id=room_id,
                user_id=user_id,
                receipt_type=receipt_type,
                event_id=event_id,
                ts=self.now() if ts is None else ts,
                stream=self.position.receipt,
                thread_id=thread_id,
            )
        )
        self._touch(rooms=(room_id,))
        self._commit()

    def read_up_to(self, user_id: str, room_id: str) -> int:
        """Depth of the newest event the user has a read receipt (public or private) on."""
        room = self.rooms[room_id]
        best = 0
        for receipt in room.receipts_of(user_id):
            if receipt.receipt_type in ("m.read", "m.read.private"):
                where = self.event_index.get(receipt.event_id)
                if where is not None:
                    best = max(best, where[1])
        return best

    # -- presence ---------------------------------------------------------------------------------

    def set_presence(
        self,
        user_id: str,
        presence: str,
        *,
        status_msg: str | None = _UNSET,
        last_active_ago: int | None = _UNSET,
    ) -> None:
        self.user(user_id)
        if presence not in PRESENCE_STATES:
            raise MatrixError(M_INVALID_PARAM, f"Invalid presence state {presence!r}")
        current = self.presence.get(user_id)
        now = self.now()
        last_active = current.last_active_ts if current is not None else None
        if last_active_ago is not _UNSET:
            last_active = None if last_active_ago is None else now - last_active_ago
        elif presence == "online" and (current is None or current.presence != "online"):
            last_active = now
        status = current.status_msg if current is not None else None
        if status_msg is not _UNSET:
            status = status_msg
        updated = Presence(
            user_id=user_id,
            presence=presence,
            last_active_ts=last_active,
            status_msg=status,
            currently_active=(presence == "online") if last_active is not None else None,
        )
        if current is not None and replace(current, stream=0) == updated:
            return
        self.position = self.position.advance(presence=self.position.presence + 1)
        updated = replace(updated, stream=self.position.presence)
        self.presence[user_id] = updated
        self.presence_log.append(updated)
        self.presence_streams.append(updated.stream)
        self._touch(rooms=self.joined_rooms(user_id), users=(user_id,))
        self._commit()

    def mark_syncing(self, user_id: str, set_presence: str | None) -> None:
        """``/sync``'s ``set_presence``: absent means online; ``offline`` changes nothing."""
        wanted = set_presence or "online"
        if wanted == "offline":
            return
        current = self.presence.get(user_id)
        if current is None or current.presence != wanted:
            self.set_presence(user_id, wanted)

    def presence_changes(self, after: int, upto: int) -> list[Presence]:
        start = bisect_right(self.presence_streams, after)
        end = bisect_right(self.presence_streams, upto)
        return self.presence_log[start:end]

    # -- account data --------------------------------------------------------------------------

    def set_account_data(
        self, user_id: str, room_id: str | None, data_type: str, content: Any
    ) -> None:
        self.user(user_id)
        if room_id is not None:
            self.room(room_id)
        if not isinstance(content, dict):
            raise bad_json("Account data content must be a JSON object")
        if event_size({"type": data_type, "content": content}) > MAX_EVENT_BYTES:
            raise MatrixError(M_TOO_LARGE, "Account data is too large")
        self.position = self.position.advance(account_data=self.position.account_data + 1)
        entry = AccountData(
            user_id, room_id, data_type, copy.deepcopy(content), self.position.account_data
        )
        self.account_data[(user_id, room_id, data_type)] = entry
        self.account_data_log.setdefault(user_id, []).append(entry)
        self._touch(users=(user_id,))
        self._commit()

    def get_account_data(self, user_id: str, room_id: str | None, data_type: str) -> JsonDict:
        entry = self.account_data.get((user_id, room_id, data_type))
        if entry is None:
            raise not_found("Account data not found")
        return entry.content

    def account_data_changes(self, user_id: str, after: int, upto: int) -> list[AccountData]:
        log = self.account_data_log.get(user_id)
        if not log or log[-1].stream <= after:
            return []
        return log[bisect_right(log, after, key=_stream) : bisect_right(log, upto, key=_stream)]

    # -- to-device ------------------------------------------------------------------------------

    def send_to_device(
        self,
        sender: str,
        message_type: str,
        messages: Mapping[str, Mapping[str, Any]],
        *,
        txn: TxnKey | None = None,
    ) -> None:
        if txn is not None and txn in self.txns:
            return
        deliveries: list[tuple[str, str, JsonDict]] = []
        for user_id, by_device in messages.items():
            user = self.users.get(user_id)
            if user is None or not isinstance(by_device, dict):
                continue
            for device_id, content in by_device.items():
                if not isinstance(content, dict):
                    raise bad_json("To-device content must be a JSON object")
                targets = list(user.devices) if device_id == "*" else [device_id]
                for target in targets:
                    if target in user.devices:
                        deliveries.append((user_id, target, copy.deepcopy(content)))
        if deliveries:
            self.position = self.position.advance(to_device=self.position.to_device + 1)
        for user_id, device_id, content in deliveries:
            self.to_device.setdefault((user_id, device_id), []).append(
                ToDeviceMessage(
                    user_id, device_id, sender, message_type, content, self.position.to_device
                )
            )
            self._touch(users=(user_id,))
        if txn is not None:
            self.txns[txn] = ""
        self._commit()

    def to_device_messages(
        self, user_id: str, device_id: str, after: int, upto: int
    ) -> list[ToDeviceMessage]:
        queue = self.to_device.get((user_id, device_id))
        if not queue or queue[-1].stream <= after:
            return []
        return queue[bisect_right(queue, after, key=_stream) : bisect_right(queue, upto, key=_stream)]

    # -- end-to-end keys ------------------------------------------------------------------

    def _device(self, user_id: str, device_id: str) -> Device | None:
        user = self.users.get(user_id)
        return user.devices.get(device_id) if user is not None else None

    def _device_list_changed(self, user_id: str, *, private: bool = False) -> None:
        """Record a change of ``user_id``'s devices and wake whoever must be told."""
        self.position = self.position.advance(device_list=self.position.device_list + 1)
        self.device_lists.record(self.position.device_list, user_id, private=private)
        self._touch(rooms=() if private else self.joined_rooms(user_id), users=(user_id,))

    def upload_keys(
        self,
        session: Session,
        device_keys: JsonDict | None,
        one_time_keys: Mapping[str, Any] | None,
        fallback_keys: Mapping[str, Any] | None,
    ) -> dict[str, int]:
        """Store a device's keys; new or changed identity keys tell the device's watchers."""
        user_id, device_id = session.user_id, session.device_id
        device = self._device(user_id, device_id)
        if device is None:
            raise not_found("Unknown device")
        if device_keys is not None:
            device_keys_area.check_device_keys(device_keys, user_id, device_id)
        device_keys_area.check_one_time_keys(device, one_time_keys or {})
        device_keys_area.check_fallback_keys(fallback_keys or {})
        if device_keys is not None and device_keys != device.keys:
            device.keys = copy_json(device_keys)
            self._device_list_changed(user_id)
        for key_id, key in (one_time_keys or {}).items():
            device.one_time_keys[key_id] = copy_json(key)
        device_keys_area.store_fallback_keys(device, copy_json(dict(fallback_keys or {})))
        self._commit()
        return self.one_time_key_counts(user_id, device_id)

    def holds_device_keys(self, user_id: str, device_id: str) -> bool:
        """Whether the device has one-time or fallback keys uploaded (most have none)."""
        device = self._device(user_id, device_id)
        return device is not None and bool(device.one_time_keys or device.fallback_keys)

    def one_time_key_counts(self, user_id: str, device_id: str) -> dict[str, int]:
        return device_keys_area.one_time_key_counts(self._device(user_id, device_id))

    def fallback_key_types(self, user_id: str, device_id: str) -> list[str]:
        """``device_unused_fallback_key_types``: algorithms whose fallback key is unused."""
        return device_keys_area.unused_fallback_key_types(self._device(user_id, device_id))

    def device_keys_of(self, user_id: str, device_id: str) -> JsonDict | None:
        device = self._device(user_id, device_id)
        return device.keys if device is not None else None

    def query_keys(self, querier: str, wanted: Mapping[str, list[str]]) -> JsonDict:
        """``POST /keys/query``: devices' keys and cross-signing keys, with the signatures
        ``querier`` may see; the user-signing key only of ``querier`` itself."""
        found: JsonDict = {
            "device_keys": {},
            "master_keys": {},
            "self_signing_keys": {},
            "user_signing_keys": {},
        }
        for user_id, device_ids in wanted.items():
            user = self.users.get(user_id)
            if user is None:
                continue
            by_device: dict[str, JsonDict] = {}
            for device_id in device_ids or list(user.devices):
                device = user.devices.get(device_id)
                shown = device_keys_area.shown_device_keys(device) if device else None
                if shown is not None:
                    by_device[device_id] = self.cross_signing.with_signatures(
                        shown, user_id, device_id, querier
                    )
            found["device_keys"][user_id] = by_device
            for kind, key in self.cross_signing.query(user_id, querier).items():
                found[f"{kind}_keys"][user_id] = key
        return found

    def claim_keys(self, wanted: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, JsonDict]]:
        """``POST /keys/claim``: a one-time key per device, else its fallback key."""
        result: dict[str, dict[str, JsonDict]] = {}
        for user_id, by_device in wanted.items():
            for device_id, algorithm in by_device.items():
                device = self._device(user_id, device_id)
                claimed = device_keys_area.claim(device, algorithm) if device else None
                if claimed is not None:
                    key_id, key = claimed
                    result.setdefault(user_id, {})[device_id] = {key_id: copy_json(key)}
        return result

    # -- cross-signing ------------------------------------------------------------------------

    def check_cross_signing_keys(
        self, user_id: str, body: Mapping[str, Any]
    ) -> tuple[dict[str, JsonDict], bool]:
        """The checked keys of ``device_signing/upload`` and whether they replace keys
        (which needs user-interactive auth); nothing is stored."""
        self.user(user_id)
        return self.cross_signing.plan_upload(user_id, body)

    def upload_cross_signing_keys(self, user_id: str, keys: Mapping[str, JsonDict]) -> None:
        """Store keys checked by :meth:`check_cross_signing_keys`."""
        changed = {kind for kind, key in keys.items() if self.cross_signing.key(user_id, kind) != key}
        if not changed:
            return
        self.cross_signing.store_upload(user_id, keys)
        self._device_list_changed(user_id, private=changed == {"user_signing"})
        self._commit()

    def upload_signatures(self, signer: str, body: Mapping[str, Any]) -> dict[str, dict[str, JsonDict]]:
        """``POST /keys/signatures/upload``: store the good signatures, return the failures."""
        writes, failures = self.cross_signing.plan_signatures(signer, body, self.device_keys_of)
        if writes:
            self.cross_signing.store_signatures(writes)
            self._device_list_changed(signer, private=not any(w.own for w in writes))
            self._commit()
        return failures

    # -- filters -------------------------------------------------------------------------------

    def upload_filter(self, user_id: str, definition: JsonDict) -> str:
        stored = self.filters.setdefault(user_id, [])
        stored.append(copy.deepcopy(definition))
        return str(len(stored) - 1)

    def get_filter(self, user_id: str, filter_id: str) -> JsonDict | None:
        if not re.fullmatch(r"0|[1-9][0-9]{0,8}", filter_id):
            return None
        stored = self.filters.get(user_id, [])
        index = int(filter_id)
        return stored[index] if index < len(stored) else None

