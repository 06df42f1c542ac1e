"""A scenario once checked: plain values the loader replays through the store.

:mod:`~mockserver.scenarios.validate` turns a JSON document into a
:class:`Plan` (or refuses it with a path-named error);
:mod:`~mockserver.scenarios.apply` replays a plan. Everything a replay needs
is decided here already (member sugar and bulk messages are expanded into
events), so a replay cannot fail on the document's account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mockserver.core.model import JsonDict, frozen_for_checkers
from mockserver.core.store import CreateRoom
from mockserver.core.store.pushers import Pusher
from mockserver.core.voip import TurnServer


@dataclass(frozen=True, slots=True)
class DeviceKeysSpec:
    """A device's encryption keys as uploaded (``keys/upload``), and which fallback keys
    a claim has handed out."""

    keys: JsonDict | None = None
    one_time_keys: JsonDict = field(default_factory=dict)
    fallback_keys: JsonDict = field(default_factory=dict)
    used_fallback_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    device_id: str | None = None
    access_token: str | None = None
    display_name: str | None = None
    keys: DeviceKeysSpec | None = None


@dataclass(frozen=True, slots=True)
class KeyBackupSpec:
    """One server-side key backup version and the room keys stored in it."""

    version: str
    algorithm: str
    auth_data: JsonDict
    etag: int = 0
    #: room_id -> session_id -> KeyBackupData
    rooms: dict[str, dict[str, JsonDict]] = field(default_factory=dict)


@frozen_for_checkers  # (a plain dataclass at run time: 10,000 of them in the big account)
class UserSpec:
    user_id: str
    password: str | None
    displayname: str | None
    avatar_url: str | None
    devices: tuple[DeviceSpec, ...] = ()
    #: Global account data, in document order.
    account_data: tuple[tuple[str, JsonDict], ...] = ()
    #: Filter definitions, uploaded in order (so their ids are "0", "1", ...).
    filters: tuple[JsonDict, ...] = ()
    #: Cross-signing keys: "master" / "self_signing" / "user_signing" -> key.
    cross_signing: dict[str, JsonDict] = field(default_factory=dict)
    #: Signatures this user uploaded: user -> key id -> signing key id -> signature.
    signatures: JsonDict = field(default_factory=dict)
    key_backup: tuple[KeyBackupSpec, ...] = ()
    #: Pushers, set in order (as with ``append``: each keeps its own).
    pushers: tuple[Pusher, ...] = ()
    deactivated: bool = False


@dataclass(frozen=True, slots=True)
class MediaSpec:
    """A file served at ``mxc://<server_name>/<media_id>``."""

    media_id: str
    content: bytes
    content_type: str
    filename: str | None = None
    #: Its uploader, if any (a user of the scenario or the world).
    user_id: str | None = None


@frozen_for_checkers  # (a plain dataclass at run time: one per member of a big room)
class EventSpec:
    """One event to import; without ``origin_server_ts``, stamped ``age_ms`` before the load."""

    type: str
    sender: str
    content: JsonDict
    state_key: str | None = None
    event_id: str | None = None
    origin_server_ts: int | None = None
    age_ms: int = 0
    #: (device_id or None for the sender's first device, txn_id)
    txn: tuple[str | None, str] | None = None


@dataclass(frozen=True, slots=True)
class GeneratedMessages:
    """``generate``: ``count`` plain messages, carried as one item (the store makes each
    as it imports them: see :class:`~mockserver.core.store.MessageRun`)."""

    count: int
    senders: tuple[str, ...]
    #: Body templates, used in turn; ``{n}`` is the message's number (from 1).
    bodies: tuple[str, ...]
    msgtype: str
    #: The first message's timestamp; None: the last one is stamped at the load.
    origin_server_ts: int | None
    interval_ms: int


@dataclass(frozen=True, slots=True)
class TypingSpec:
    user_id: str
    timeout_ms: int | None


@dataclass(frozen=True, slots=True)
class ReceiptSpec:
    user_id: str
    #: None: the newest event of the room at load.
    event_id: str | None
    receipt_type: str
    thread_id: str | None
    #: When it was sent; None: at the load.
    ts: int | None = None


@dataclass(frozen=True, slots=True)
class RoomAccountDataSpec:
    user_id: str
    type: str
    content: JsonDict


@dataclass(slots=True)
class RoomSpec:
    """A room: created (with m.room.create, by ``creator``) or bare, then its events.

    A room without ``room_id`` gets one from the seeded ids when replayed;
    ``key`` names it until then (its index in the document).
    """

    key: str
    room_id: str | None
    creator: str | None = None
    create: CreateRoom | None = None
    events: list[EventSpec | GeneratedMessages] = field(default_factory=list)
    #: Directory aliases set after the events (a created room's first alias is made by createRoom).
    aliases: tuple[str, ...] = ()
    public: bool = False
    typing: tuple[TypingSpec, ...] = ()
    receipts: tuple[ReceiptSpec, ...] = ()
    account_data: tuple[RoomAccountDataSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class PresenceSpec:
    user_id: str
    presence: str
    status_msg: str | None
    last_active_ago: int | None


# -- the script ---------------------------------------------------------------------------

TriggerKind = Literal["after_ms", "after_sync", "on_next"]
ActionKind = Literal[
    "send", "state", "invite", "join", "leave", "kick", "ban", "typing", "presence"
]
ACTIONS: tuple[str, ...] = (
    "send",
    "state",
    "invite",
    "join",
    "leave",
    "kick",
    "ban",
    "typing",
    "presence",
)


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: TriggerKind
    #: after_ms: milliseconds on the server clock; after_sync: how many syncs.
    amount: int = 0
    #: after_sync: whose syncs count.
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    #: The acting user: the sender, the joiner or leaver, the typist, whose presence.
    user_id: str
    room_id: str | None = None
    #: invite/kick/ban: who is invited, kicked or banned.
    target: str | None = None
    event_type: str | None = None
    state_key: str | None = None
    content: JsonDict | None = None
    reason: str | None = None
    typing: bool = True
    timeout_ms: int | None = None
    presence: str | None = None
    status_msg: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    trigger: Trigger
    action: Action
    #: Where the step was in its document, for logs and error reports.
    path: str = ""


@dataclass(frozen=True, slots=True)
class Script:
    source: str
    steps: tuple[Step, ...]
    repeat: bool = False


@dataclass(slots=True)
class Plan:
    source: str
    server_name: str
    users: list[UserSpec] = field(default_factory=list)
    media: list[MediaSpec] = field(default_factory=list)
    rooms: list[RoomSpec] = field(default_factory=list)
    #: Top-level events (room id, event), imported after every room's own events, in order.
    events: list[tuple[str, EventSpec]] = field(default_factory=list)
    presence: list[PresenceSpec] = field(default_factory=list)
    #: TURN settings for ``/voip/turnServer`` (None: leave the server's as they are).
    turn_server: TurnServer | None = None
    script: Script | None = None
