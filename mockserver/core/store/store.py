"""The store: the one public face of mockserver's in-memory state.

:class:`Store` is what ``api/``, ``control/``, ``scenarios/apply.py`` and the
tests call. It composes one object per area of state (accounts, rooms,
ephemeral data, account data, keys, to-device, stored filters, media; each in its own
module, which says what it owns) and owns what they share: the stream
position (:attr:`Store.position`, moved only through :meth:`Store.bump`), the
transaction ids, and the listeners.

Each public mutation checks everything first, then writes, then bumps the
stream positions it touched and tells the registered listeners which rooms
and users the change concerns (the notifier is one such listener): areas
note what they touch (:meth:`touch`); the store's public method commits once
(:meth:`_commit`) after the last write. A rejected call raises
:class:`MatrixError` before its first write, so it changes nothing. The
store never sees a request, a status code or a waiter.

A method that concerns one area forwards to it; one that spans several (a
profile change announced in every joined room) is written here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from mockserver.core.clock import Clock
from mockserver.core.errors import M_INVALID_PARAM, MatrixError
from mockserver.core.ids import Ids
from mockserver.core.model import AccountData, Event, JsonDict, Presence, Session, ToDeviceMessage, User
from mockserver.core.room import Room
from mockserver.core.sliding_sync.connections import Connections
from mockserver.core.store.account_data import AccountDataLog
from mockserver.core.store.accounts import Accounts
from mockserver.core.store.activity import RoomActivity
from mockserver.core.store.base import UNSET, Change, Listener, Stream, TxnKey
from mockserver.core.store.cross_signing import CrossSigning
from mockserver.core.store.device_lists import DeviceListLog
from mockserver.core.store.ephemeral import Ephemeral, read_up_to
from mockserver.core.store.filters import StoredFilters
from mockserver.core.store.key_backup import BackupVersion, KeyBackups
from mockserver.core.store.keys import Keys
from mockserver.core.store.media import Media, MediaRepository
from mockserver.core.store.pushers import Pusher, Pushers
from mockserver.core.store.relations import Aggregator, Relations, Unread, aggregator, unread_counts
from mockserver.core.store.room_order import RoomOrder, RoomOrders, RoomTest
from mockserver.core.store.rooms import CreateRoom, ImportedEvent, MessageRun, Rooms
from mockserver.core.store.sent_members import SentMembers
from mockserver.core.store.to_device import ToDeviceQueues
from mockserver.core.store.upgrades import upgrade_room
from mockserver.core.thumbnail import Thumbnail, ThumbnailRequest
from mockserver.core.tokens import StreamToken
from mockserver.core.visibility import Reading
from mockserver.core.user_interactive_auth import UserInteractiveAuth
from mockserver.core.voip import TurnServer


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
        #: Sliding sync connections: what each was sent at each ``pos``. Not world state
        #: (never exported), but forgotten with the world, so no old ``pos`` outlives it.
        self.connections = Connections()
        #: Lazy-loaded member events each device was sent (see sent_members.py); likewise.
        self.sent_members = SentMembers()
        self._clear()

    def _clear(self) -> None:
        self.connections.forget_all()
        self.sent_members.forget_all()
        self.position = StreamToken()
        self.txns: dict[TxnKey, str] = {}
        self._pending_rooms: set[str] = set()
        self._pending_users: set[str] = set()
        #: The rooms each commit touched, for incremental syncs (see activity.py).
        self.activity = RoomActivity()
        # The areas, each given this store as its Whole and the areas it reads.
        self._accounts = accounts = Accounts(self)
        self.relations = Relations()
        self._rooms = rooms = Rooms(self, accounts, self.relations)
        self._room_orders = RoomOrders(rooms)
        self._ephemeral = Ephemeral(self, accounts, rooms)
        self._account_data = AccountDataLog(self, accounts, rooms)
        self.device_lists = device_lists = DeviceListLog(self, rooms)
        self.cross_signing = cross_signing = CrossSigning()
        self.key_backups = KeyBackups()
        self._keys = Keys(accounts, device_lists, cross_signing)
        self._to_device = ToDeviceQueues(self, accounts)
        self._filters = StoredFilters()
        self._media = MediaRepository(self)
        self.pushers = Pushers()
        self.user_interactive_auth = UserInteractiveAuth(self.ids.session_id)
        #: What ``GET /voip/turnServer`` hands out (None: no TURN, as Synapse by default).
        self.turn_server: TurnServer | None = None
        # Their state, readable here as plain attributes (the sync path reads them per
        # room; a property would cost a call each time). Rebound with the areas.
        self.users = accounts.users
        self.sessions = accounts.sessions
        self.auth_sessions = accounts.auth_sessions
        self.rooms = rooms.rooms
        self.aliases = rooms.aliases
        self.public_rooms = rooms.public_rooms
        self.event_index = rooms.event_index
        self.user_rooms = rooms.user_rooms
        self.presence = self._ephemeral.presence
        self.account_data = self._account_data.account_data
        self.to_device = self._to_device.to_device
        self.filters = self._filters.filters

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

    # -- what the areas share (their Whole) --------------------------------------------

    def now(self) -> int:
        return self.clock.now_ms()

    def bump(self, stream: Stream, steps: int = 1) -> int:
        """Move one stream of the position ``steps`` forward; return its new value."""
        value: int = getattr(self.position, stream) + steps
        self.position = self.position.advance(**{stream: value})
        return value

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def touch(self, rooms: Iterable[str] = (), users: Iterable[str] = ()) -> None:
        self._pending_rooms.update(rooms)
        self._pending_users.update(users)

    def _commit(self) -> None:
        if not self._pending_rooms and not self._pending_users:
            return
        change = Change(frozenset(self._pending_rooms), frozenset(self._pending_users))
        self.activity.record(self.position, change.rooms)
        self._pending_rooms = set()
        self._pending_users = set()
        for listener in list(self._listeners):
            listener(change)

    # -- accounts: users, devices and access tokens ---------------------------------------

    def user(self, user_id: str) -> User:
        return self._accounts.user(user_id)

    def check_new_localpart(self, localpart: str) -> str:
        """Validate a username for registration and return the user id it gives."""
        return self._accounts.check_new_localpart(localpart)

    def create_user(
        self,
        user_id: str,
        password: str | None,
        *,
        displayname: str | None = UNSET,
        avatar_url: str | None = None,
        deactivated: bool = False,
    ) -> User:
        return self._accounts.create_user(
            user_id,
            password,
            displayname=displayname,
            avatar_url=avatar_url,
            deactivated=deactivated,
        )

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
        return self._accounts.register(
            localpart,
            password,
            device_id=device_id,
            initial_device_display_name=initial_device_display_name,
            inhibit_login=inhibit_login,
            auth_session=auth_session,
        )

    def start_auth_session(self) -> str:
        """A user-interactive auth session id for ``/register``."""
        return self._accounts.start_auth_session()

    def has_auth_session(self, session: str) -> bool:
        return session in self.auth_sessions

    def login(
        self,
        user_id: str,
        password: str,
        *,
        device_id: str | None = None,
        initial_device_display_name: str | None = None,
    ) -> Session:
        return self._accounts.login(
            user_id,
            password,
            device_id=device_id,
            initial_device_display_name=initial_device_display_name,
        )

    def new_session(
        self,
        user_id: str,
        device_id: str | None = None,
        display_name: str | None = None,
        *,
        access_token: str | None = None,
    ) -> Session:
        """Issue an access token for a device of ``user_id`` (creating the device)."""
        return self._accounts.new_session(
            user_id, device_id, display_name, access_token=access_token
        )

    def device_seen(self, session: Session, ip: str) -> None:
        self._accounts.device_seen(session, ip)

    def session_for(self, access_token: str) -> Session | None:
        return self.sessions.get(access_token)

    def logout(self, access_token: str) -> None:
        """End a session and, as the spec says (and Synapse does), delete its device with
        its keys, to-device messages and pushers (see :meth:`delete_devices`)."""
        session = self.sessions.get(access_token)
        self._accounts.logout(access_token)
        if session is not None:
            self._remove_devices(session.user_id, {session.device_id})
        self._commit()

    def logout_all(self, user_id: str) -> None:
        """End every session of ``user_id`` and delete every device of theirs."""
        self._accounts.logout_all(user_id)
        self._remove_devices(user_id, list(self.user(user_id).devices))
        self.pushers.remove_all(user_id)
        self._commit()

    def rename_device(self, user_id: str, device_id: str, display_name: str | None) -> None:
        """Rename a device; ``keys/query`` shows the name, so its watchers are told (Synapse)."""
        renamed = self._accounts.rename_device(user_id, device_id, display_name)
        if renamed and self._keys.device_keys_of(user_id, device_id) is not None:
            self.device_lists.record(user_id)
            self._commit()

    def delete_devices(self, user_id: str, device_ids: Iterable[str]) -> None:
        """Remove devices (unknown ids are ignored), their sessions, keys, signatures and
        to-device messages, and tell everyone who tracks the user's devices."""
        self._remove_devices(user_id, device_ids)
        self._commit()

    def _remove_devices(self, user_id: str, device_ids: Iterable[str]) -> None:
        gone = {d for d in device_ids if d in self.user(user_id).devices}
        if not gone:
            return
        for device_id in gone:
            self._to_device.forget_device(user_id, device_id)
            self.cross_signing.forget_device(user_id, device_id)
            self.connections.forget_device(user_id, device_id)
        self.pushers.remove_devices(user_id, gone)
        self._accounts.remove_devices(user_id, gone)
        self.device_lists.record(user_id)

    def password_matches(self, user_id: str, password: str) -> bool:
        return self._accounts.password_matches(user_id, password)

    def change_password(
        self, user_id: str, new_password: str, *, logout_devices: bool, keep_device: str | None
    ) -> None:
        """Set a new password; ``logout_devices`` removes every other device and its tokens."""
        self._accounts.change_password(user_id, new_password)
        if logout_devices:
            self._remove_devices(user_id, [d for d in self.user(user_id).devices if d != keep_device])
        self._commit()

    def deactivate_account(self, user_id: str, *, erase: bool) -> None:
        """What Synapse does to a deactivated account, in its order.

        Devices, tokens and the password go, pushers too, ``erase`` clears
        the profile, pending invites and knocks are rejected and joined rooms
        left, and the account data is purged. The user id stays taken.
        """
        self._remove_devices(user_id, list(self.user(user_id).devices))
        self._accounts.deactivate(user_id)
        self.pushers.remove_all(user_id)
        if erase:
            self._accounts.set_profile(user_id, displayname=None, avatar_url=None)
        for room_id in list(self.rooms_of(user_id)):
            if self.membership(user_id, room_id) in ("invite", "knock", "join"):
                self._rooms.set_membership(user_id, room_id, user_id, "leave")
        self._account_data.purge(user_id)
        self._commit()

    def set_pusher(
        self, user_id: str, pusher: Pusher, *, append: bool = False, device_id: str | None = None
    ) -> None:
        """Set a pusher; one a device sets goes when that device's session ends."""
        self.user(user_id)
        self.pushers.set(user_id, pusher, append=append, device_id=device_id)

    def remove_pusher(self, user_id: str, app_id: str, pushkey: str) -> None:
        self.pushers.remove(user_id, app_id, pushkey)

    def set_turn_server(self, turn_server: TurnServer | None) -> None:
        self.turn_server = turn_server

    def set_profile(
        self,
        user_id: str,
        *,
        displayname: str | None = UNSET,
        avatar_url: str | None = UNSET,
    ) -> None:
        """Change a profile field and announce it in every room the user is joined to."""
        user = self._accounts.set_profile(user_id, displayname=displayname, avatar_url=avatar_url)
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
                self._rooms.persist(room, "m.room.member", user_id, content, state_key=user_id)
        self._commit()

    # -- rooms: reading -------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        """The room, or ``403 M_FORBIDDEN`` (see :meth:`Rooms.room`)."""
        return self._rooms.room(room_id)

    def known_room(self, room_id: str) -> Room:
        """The room, or ``404 M_NOT_FOUND`` (see :meth:`Rooms.known_room`)."""
        return self._rooms.known_room(room_id)

    def event(self, event_id: str) -> Event | None:
        return self._rooms.event(event_id)

    def room_event(self, room_id: str, event_id: str) -> Event:
        """An event of this room, or ``M_NOT_FOUND``."""
        return self._rooms.room_event(room_id, event_id)

    def membership(self, user_id: str, room_id: str) -> str | None:
        return self._rooms.membership(user_id, room_id)

    def rooms_of(self, user_id: str) -> Iterable[str]:
        """Every room the user has ever had a membership in (each sync asks it once)."""
        return self.user_rooms.get(user_id, {}).keys()

    def rooms_touched_since(
        self, user_id: str, since: StreamToken, also: Iterable[str] = ()
    ) -> list[str] | None:
        """Those of the user's rooms (in :meth:`rooms_of`'s order) touched after ``since``,
        and ``also``; None when that is not known (see :class:`RoomActivity`): then any of
        them may have changed."""
        rooms = self.user_rooms.get(user_id, {})
        touched = self.activity.rooms_since(since, most=len(rooms))
        if touched is None:
            return None
        if also:
            touched = touched.union(also)
        return self.activity.in_order(user_id, rooms, touched)

    def joined_rooms(self, user_id: str) -> list[str]:
        return self._rooms.joined_rooms(user_id)

    def is_joined(self, room_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is joined to the room now (an unknown room: no)."""
        room = self.rooms.get(room_id)
        return room is not None and room.membership_now(user_id) == "join"

    def joined_members(self, room_id: str) -> list[str]:
        """The users joined to the room now, remembered by the room until its next
        membership change (an unknown room: none)."""
        room = self.rooms.get(room_id)
        return room.joined_members() if room is not None else []

    def room_order(
        self, user_id: str, keeps: RoomTest | None = None, key: Hashable = None
    ) -> RoomOrder:
        """The user's rooms in sliding sync's recency order, up to date: all of them, or
        those ``keeps`` passes (an order kept under ``key``; see :mod:`.room_order`)."""
        return self._room_orders.order_of(user_id, self.position.room, keeps, key)

    def visible_depth(self, user_id: str, room_id: str) -> int:
        """How far into a room's history ``user_id`` may read (see :meth:`Rooms.visible_depth`)."""
        return self._rooms.visible_depth(user_id, room_id)

    def reading(self, user_id: str, room_id: str) -> Reading:
        """What ``user_id`` may read of a room, peeking included (see :meth:`Rooms.reading`)."""
        return self._rooms.reading(user_id, room_id)

    def stripped_state(self, room: Room, depth: int | None = None) -> list[Event]:
        return self._rooms.stripped_state(room, depth)

    def resolve_room(self, room_id_or_alias: str) -> str:
        return self._rooms.resolve_room(room_id_or_alias)

    def _check_event(
        self, room: Room, event_type: str, sender: str, content: Any, state_key: str | None
    ) -> JsonDict:
        return self._rooms._check_event(room, event_type, sender, content, state_key)

    def check_event_size(
        self, room_id: str, event_type: str, sender: str, content: Any, state_key: str | None
    ) -> None:
        """Refuse (``M_TOO_LARGE``) an event that would exceed 64 KiB once persisted."""
        self._rooms.check_event_size(room_id, event_type, sender, content, state_key)

    # -- rooms: writing -------------------------------------------------------------------

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
        event = self._rooms.send_event(
            sender, room_id, event_type, content, state_key=state_key, txn=txn
        )
        self._commit()
        return event

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
        """Persist an event as given, without room rules: the scenario loader's way in."""
        event = self._rooms.import_event(
            room_id,
            event_type,
            sender,
            content,
            state_key=state_key,
            origin_server_ts=origin_server_ts,
            event_id=event_id,
            txn=txn,
        )
        self._commit()
        return event

    def import_events(self, room_id: str, events: Sequence[ImportedEvent | MessageRun]) -> None:
        """:meth:`import_event` for each of ``events`` in order (a :class:`MessageRun` for
        each of its messages), told to listeners once."""
        self._rooms.import_events(room_id, events)
        self._commit()

    def ensure_room(self, room_id: str | None = None) -> Room:
        """An empty room (the scenario loader's first step for a room without m.room.create)."""
        return self._rooms.ensure_room(room_id)

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
        event = self._rooms.set_membership(
            sender, room_id, target, membership, reason=reason, content=content, txn=txn
        )
        self._commit()
        return event

    def join(self, user_id: str, room_id_or_alias: str) -> str:
        room_id = self._rooms.join(user_id, room_id_or_alias)
        self._commit()
        return room_id

    def knock(self, user_id: str, room_id_or_alias: str, reason: str | None = None) -> str:
        """``POST /knock``: ask to join a room whose join rule is ``knock``."""
        room_id = self._rooms.knock(user_id, room_id_or_alias, reason)
        self._commit()
        return room_id

    def upgrade_room(self, user_id: str, room_id: str, new_version: str) -> str:
        """``POST /rooms/{roomId}/upgrade`` (see :mod:`.upgrades`); the new room's id."""
        new_room_id = upgrade_room(self._rooms, user_id, room_id, new_version)
        self._commit()
        return new_room_id

    def room_aliases(self, room_id: str) -> list[str]:
        """The directory aliases that point to a room, oldest first."""
        return [alias for alias, target in self.aliases.items() if target == room_id]

    def create_room(self, creator: str, options: CreateRoom, *, room_id: str | None = None) -> str:
        """``POST /createRoom``: the creation events in the order Synapse sends them."""
        created = self._rooms.create_room(creator, options, room_id=room_id)
        self._commit()
        return created

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
        redaction = self._rooms.redact(sender, room_id, event_id, reason=reason, txn=txn)
        self._commit()
        return redaction

    # -- aliases and the directory --------------------------------------------------------

    def set_alias(self, user_id: str, alias: str, room_id: str) -> None:
        self._rooms.set_alias(user_id, alias, room_id)

    def delete_alias(self, user_id: str, alias: str) -> None:
        self._rooms.delete_alias(user_id, alias)

    def set_room_visibility(self, user_id: str, room_id: str, visibility: str) -> None:
        self._rooms.set_room_visibility(user_id, room_id, visibility)

    def publish_room(self, room_id: str, public: bool) -> None:
        """List or unlist a room in the public directory (no membership check)."""
        self._rooms.publish_room(room_id, public)

    # -- ephemeral: typing, receipts, presence --------------------------------------------

    def set_typing(self, user_id: str, room_id: str, typing: bool, timeout_ms: int | None) -> None:
        self._ephemeral.set_typing(user_id, room_id, typing, timeout_ms)
        self._commit()

    def expire_typing(self) -> None:
        """Drop typing notifications whose timeout has passed (on the server clock)."""
        # Every sync asks first: answer "nobody types" without a call into the area.
        if self._ephemeral.typing_rooms:
            self._ephemeral.expire_typing()
            self._commit()

    def next_typing_expiry(self) -> int | None:
        return self._ephemeral.next_typing_expiry()

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
        self._ephemeral.set_receipt(user_id, room_id, receipt_type, event_id, thread_id=thread_id, ts=ts)
        self._commit()

    def read_up_to(self, user_id: str, room_id: str) -> int:
        """Depth of the newest event the user has a read receipt (public or private) on."""
        return read_up_to(self.rooms[room_id], user_id, self.event_index)

    def unread(self, user_id: str, room: Room) -> Unread:
        """The user's unread counts in a joined room, main timeline and threads apart.

        Only what arrived during the current stay can be unread (nothing before the join).
        """
        return unread_counts(
            room,
            self.relations.of(room.room_id),
            user_id,
            room.receipts_of(user_id),
            self._depth_of,
            room.joined_at(user_id),
        )

    def _depth_of(self, event_id: str) -> int | None:
        where = self.event_index.get(event_id)
        return where[1] if where is not None else None

    def aggregator(
        self, user_id: str, room: Room, upto_depth: int | None = None
    ) -> Aggregator | None:
        """Bundled aggregations of ``room``'s events for ``user_id``, counting relations up
        to ``upto_depth`` (default: the whole room); None when nothing in it relates."""
        return aggregator(room, self.relations, user_id, upto_depth)

    def set_presence(
        self,
        user_id: str,
        presence: str,
        *,
        status_msg: str | None = UNSET,
        last_active_ago: int | None = UNSET,
    ) -> None:
        self._ephemeral.set_presence(
            user_id, presence, status_msg=status_msg, last_active_ago=last_active_ago
        )
        self._commit()

    def mark_syncing(self, user_id: str, set_presence: str | None) -> None:
        """``/sync``'s ``set_presence``: absent means online; ``offline`` changes nothing."""
        self._ephemeral.mark_syncing(user_id, set_presence)
        self._commit()

    def presence_changes(self, after: int, upto: int) -> list[Presence]:
        return self._ephemeral.presence_changes(after, upto)

    # -- account data ---------------------------------------------------------------------

    def set_account_data(
        self, user_id: str, room_id: str | None, data_type: str, content: Any
    ) -> None:
        self._account_data.set_account_data(user_id, room_id, data_type, content)
        self._commit()

    def get_account_data(self, user_id: str, room_id: str | None, data_type: str) -> JsonDict:
        return self._account_data.get_account_data(user_id, room_id, data_type)

    def account_data_changes(self, user_id: str, after: int, upto: int) -> list[AccountData]:
        return self._account_data.account_data_changes(user_id, after, upto)

    # -- to-device ------------------------------------------------------------------------

    def send_to_device(
        self,
        sender: str,
        message_type: str,
        messages: Mapping[str, Mapping[str, Any]],
        *,
        txn: TxnKey | None = None,
    ) -> None:
        self._to_device.send_to_device(sender, message_type, messages, txn=txn)
        self._commit()

    def to_device_messages(
        self, user_id: str, device_id: str, after: int, upto: int
    ) -> list[ToDeviceMessage]:
        return self._to_device.to_device_messages(user_id, device_id, after, upto)

    # -- end-to-end keys ------------------------------------------------------------------

    def upload_keys(
        self,
        session: Session,
        device_keys: JsonDict | None,
        one_time_keys: Mapping[str, Any] | None,
        fallback_keys: Mapping[str, Any] | None,
    ) -> dict[str, int]:
        counts = self._keys.upload_keys(session, device_keys, one_time_keys, fallback_keys)
        self._commit()
        return counts

    def holds_device_keys(self, user_id: str, device_id: str) -> bool:
        """Whether the device has one-time or fallback keys uploaded (most have none)."""
        return self._keys.holds_device_keys(user_id, device_id)

    def one_time_key_counts(self, user_id: str, device_id: str) -> dict[str, int]:
        return self._keys.one_time_key_counts(user_id, device_id)

    def fallback_key_types(self, user_id: str, device_id: str) -> list[str]:
        """``device_unused_fallback_key_types``: algorithms whose fallback key is unused."""
        return self._keys.fallback_key_types(user_id, device_id)

    def device_keys_of(self, user_id: str, device_id: str) -> JsonDict | None:
        return self._keys.device_keys_of(user_id, device_id)

    def query_keys(self, querier: str, wanted: Mapping[str, list[str]]) -> JsonDict:
        return self._keys.query_keys(querier, wanted)

    def claim_keys(self, wanted: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, JsonDict]]:
        return self._keys.claim_keys(wanted)

    # -- media -----------------------------------------------------------------------------

    def media_uri(self, media_id: str) -> str:
        return self._media.mxc(media_id)

    def media(self, server_name: str, media_id: str) -> Media | None:
        return self._media.get(server_name, media_id)

    def uploaded_media(self, server_name: str, media_id: str) -> Media | None:
        return self._media.uploaded(server_name, media_id)

    def has_media(self, media_id: str) -> bool:
        return self._media.exists(media_id)

    def all_media(self) -> Iterator[Media]:
        return iter(self._media)

    def check_media_put(self, user_id: str, server_name: str, media_id: str) -> Media:
        return self._media.check_put(user_id, server_name, media_id)

    def known_thumbnail(
        self, media: Media, request: ThumbnailRequest
    ) -> tuple[bool, Thumbnail | None]:
        return self._media.known_thumbnail(media, request)

    def remember_thumbnail(
        self, media: Media, request: ThumbnailRequest, thumbnail: Thumbnail | None
    ) -> None:
        self._media.remember_thumbnail(media, request, thumbnail)

    def upload_media(
        self,
        user_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Media:
        return self._media.upload(user_id, content, content_type=content_type, filename=filename)

    def create_media(self, user_id: str) -> Media:
        return self._media.create(user_id)

    def put_media(
        self,
        user_id: str,
        server_name: str,
        media_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Media:
        media = self._media.put(
            user_id, server_name, media_id, content, content_type=content_type, filename=filename
        )
        self._commit()
        return media

    def import_media(
        self,
        media_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str,
        filename: str | None = None,
        user_id: str | None = None,
    ) -> Media:
        return self._media.import_media(
            media_id, content, content_type=content_type, filename=filename, user_id=user_id
        )

    def import_device_keys(
        self,
        session: Session,
        device_keys: JsonDict | None,
        one_time_keys: Mapping[str, Any],
        fallback_keys: Mapping[str, Any],
        used_fallback_keys: Iterable[str],
    ) -> None:
        """A scenario's device keys: uploaded as a client would, then the fallback keys a
        claim had handed out marked used."""
        self.upload_keys(session, device_keys, one_time_keys, fallback_keys)
        self._keys.mark_fallback_keys_used(session.user_id, session.device_id, used_fallback_keys)

    # -- cross-signing --------------------------------------------------------------------

    def check_cross_signing_keys(
        self, user_id: str, body: Mapping[str, Any]
    ) -> tuple[dict[str, JsonDict], bool]:
        """The checked keys of ``device_signing/upload`` and whether they replace keys
        (which needs user-interactive auth); nothing is stored."""
        self.user(user_id)
        return self.cross_signing.plan_upload(user_id, body)

    def upload_cross_signing_keys(self, user_id: str, keys: Mapping[str, JsonDict]) -> None:
        """Store keys checked by :meth:`check_cross_signing_keys`; a new master or
        self-signing key is told to everyone, a user-signing key only to the user."""
        cross_signing = self.cross_signing
        changed = {kind for kind, key in keys.items() if cross_signing.key(user_id, kind) != key}
        if not changed:
            return
        cross_signing.store_upload(user_id, keys)
        self.device_lists.record(user_id, private=changed == {"user_signing"})
        self._commit()

    def upload_signatures(
        self, signer: str, body: Mapping[str, Any]
    ) -> dict[str, dict[str, JsonDict]]:
        """``POST /keys/signatures/upload``: store the good signatures, return the failures."""
        cross_signing = self.cross_signing
        writes, failures = cross_signing.plan_signatures(signer, body, self.device_keys_of)
        if writes:
            cross_signing.store_signatures(writes)
            self.device_lists.record(signer, private=not any(w.own for w in writes))
            self._commit()
        return failures

    def import_signatures(self, signer: str, signatures: Mapping[str, Any]) -> None:
        """A scenario's signatures by ``signer``, as given (user -> key id -> key -> sig)."""
        self.cross_signing.import_signatures(signer, signatures)

    # -- key backups ----------------------------------------------------------------------

    def import_key_backup(self, user_id: str, version: BackupVersion) -> None:
        self.user(user_id)
        self.key_backups.import_version(user_id, version)

    # -- stored filters -------------------------------------------------------------------

    def upload_filter(self, user_id: str, definition: JsonDict) -> str:
        return self._filters.upload_filter(user_id, definition)

    def get_filter(self, user_id: str, filter_id: str) -> JsonDict | None:
        return self._filters.get_filter(user_id, filter_id)
