"""Replaying a checked plan through the store's public methods.

The order is fixed, so one document always gives the same stream positions
and, from the store's seeded ids, the same generated ids: the server name,
users (with their devices and their keys, filters, account data, cross-signing
keys and key backups), the signatures users uploaded, media, each room (created or
bare, then its events in document order, then its aliases and directory
listing), the top-level ``events``, each room's typing, receipts and account
data, and last presence. Events without a timestamp are stamped relative to
the server clock's "now" at the start of the load.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.collector import collector_paused
from mockserver.core.model import copy_json
from mockserver.core.store import MessageRun, Store
from mockserver.core.store.key_backup import BackupVersion
from mockserver.core.store.rooms import ImportedEvent
from mockserver.scenarios.plan import EventSpec, GeneratedMessages, Plan, RoomSpec, Script


@dataclass(frozen=True, slots=True)
class LoadedUser:
    user_id: str
    #: (device_id, access_token) of each device the scenario logged in.
    sessions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """What a load put in the store."""

    source: str
    server_name: str
    users: tuple[LoadedUser, ...]
    #: Room ids, in document order (generated ones included).
    rooms: tuple[str, ...]
    script: Script | None


class _Replay:
    def __init__(self, store: Store, plan: Plan) -> None:
        self.store = store
        self.plan = plan
        self.now = store.now()
        #: The first device each user logged in with during this load.
        self.first_device: dict[str, str] = {}
        self.room_ids: dict[str, str] = {}

    def run(self) -> Scenario:
        store, plan = self.store, self.plan
        store.rename_server(plan.server_name)
        users = [self._user(index) for index in range(len(plan.users))]
        for spec in plan.users:
            if spec.signatures:
                store.import_signatures(spec.user_id, spec.signatures)
        for media in plan.media:
            store.import_media(
                media.media_id,
                media.content,
                content_type=media.content_type,
                filename=media.filename,
                user_id=media.user_id,
            )
        for room in plan.rooms:
            self._room(room)
        for room_id, event in plan.events:
            self._event(room_id, event)
        for room in plan.rooms:
            self._room_extras(room)
        for presence in plan.presence:
            store.set_presence(
                presence.user_id,
                presence.presence,
                status_msg=presence.status_msg,
                last_active_ago=presence.last_active_ago,
            )
        if plan.turn_server is not None:
            store.set_turn_server(plan.turn_server)
        return Scenario(
            source=plan.source,
            server_name=plan.server_name,
            users=tuple(users),
            rooms=tuple(self.room_ids[room.key] for room in plan.rooms),
            script=plan.script,
        )

    def _user(self, index: int) -> LoadedUser:
        spec = self.plan.users[index]
        store = self.store
        store.create_user(
            spec.user_id,
            spec.password,
            displayname=spec.displayname,
            avatar_url=spec.avatar_url,
            deactivated=spec.deactivated,
        )
        sessions = []
        for device in spec.devices:
            session = store.new_session(
                spec.user_id,
                device.device_id,
                device.display_name,
                access_token=device.access_token,
            )
            self.first_device.setdefault(spec.user_id, session.device_id)
            sessions.append((session.device_id, session.access_token))
            if device.keys is not None:
                keys = device.keys
                store.import_device_keys(
                    session,
                    keys.keys,
                    keys.one_time_keys,
                    keys.fallback_keys,
                    keys.used_fallback_keys,
                )
        if spec.cross_signing:
            store.upload_cross_signing_keys(spec.user_id, spec.cross_signing)
        for backup in spec.key_backup:
            store.import_key_backup(
                spec.user_id,
                BackupVersion(
                    backup.version,
                    backup.algorithm,
                    copy_json(backup.auth_data),
                    backup.etag,
                    copy_json(backup.rooms),
                ),
            )
        for definition in spec.filters:
            store.upload_filter(spec.user_id, definition)
        for data_type, content in spec.account_data:
            store.set_account_data(spec.user_id, None, data_type, content)
        for pusher in spec.pushers:
            store.set_pusher(spec.user_id, pusher, append=True)
        return LoadedUser(spec.user_id, tuple(sessions))

    def _room(self, spec: RoomSpec) -> None:
        store = self.store
        if spec.create is not None:
            assert spec.creator is not None
            room_id = store.create_room(spec.creator, spec.create, room_id=spec.room_id)
        else:
            room_id = store.ensure_room(spec.room_id).room_id
        self.room_ids[spec.key] = room_id
        store.import_events(
            room_id,
            [
                self._imported(item) if isinstance(item, EventSpec) else self._run(item)
                for item in spec.events
            ],
        )
        for alias in spec.aliases:
            store.set_alias(spec.creator or "", alias, room_id)
        if spec.public:
            store.publish_room(room_id, True)

    def _event(self, room_id: str, event: EventSpec) -> None:
        self.store.import_events(room_id, [self._imported(event)])

    def _imported(self, event: EventSpec) -> ImportedEvent:
        txn = None
        if event.txn is not None:
            device_id, txn_id = event.txn
            txn = (event.sender, device_id or self._device_of(event.sender), txn_id)
        ts = event.origin_server_ts
        return (
            event.type,
            event.sender,
            event.content,
            event.state_key,
            self.now - event.age_ms if ts is None else ts,
            event.event_id,
            txn,
        )

    def _run(self, run: GeneratedMessages) -> MessageRun:
        first_ts = run.origin_server_ts
        if first_ts is None:
            first_ts = self.now - (run.count - 1) * run.interval_ms
        return MessageRun(
            run.count, run.senders, run.bodies, run.msgtype, first_ts, run.interval_ms
        )

    def _device_of(self, user_id: str) -> str:
        device = self.first_device.get(user_id)
        return device if device is not None else next(iter(self.store.user(user_id).devices))

    def _room_extras(self, spec: RoomSpec) -> None:
        store = self.store
        room_id = self.room_ids[spec.key]
        for typing in spec.typing:
            store.set_typing(typing.user_id, room_id, True, typing.timeout_ms)
        for receipt in spec.receipts:
            event_id = receipt.event_id or store.room(room_id).events[-1].event_id
            store.set_receipt(
                receipt.user_id,
                room_id,
                receipt.receipt_type,
                event_id,
                thread_id=receipt.thread_id,
                ts=receipt.ts,
            )
        for data in spec.account_data:
            store.set_account_data(data.user_id, room_id, data.type, data.content)


def replay(store: Store, plan: Plan) -> Scenario:
    # The cycle collector would walk the growing world again and again (a sixth of the
    # big account's load); nothing a load makes is left unreachable for it to find.
    with collector_paused():
        return _Replay(store, plan).run()
