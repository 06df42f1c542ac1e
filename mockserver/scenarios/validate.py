"""Checking a scenario document as a whole, before anything of it is loaded.

:func:`check` reads the document top to bottom in the order the loader will
replay it, keeping a model of what the store will then hold (users, their
devices, each room's memberships and event ids), and returns a
:class:`~mockserver.scenarios.plan.Plan`. A problem in one item (a user, a
room, an event, a step...) is noted and the reading goes on with the next, so
that :class:`~mockserver.scenarios.reader.ScenarioError` reports every
problem of the document at once, each naming its JSON path; a bad fixture
changes nothing. The format is documented by
``fixtures/scenario.schema.json`` and docs/scenarios.md; this module must agree
with both (a test checks the shipped fixtures and a table of bad documents
against the schema and this checker).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mockserver.core.canonical import FIXTURE_FRAME_DEPTH, MAX_DEPTH, find_problem
from mockserver.core.errors import MatrixError
from mockserver.core.filters import parse_filter
from mockserver.core.ids import is_event_id, is_room_alias, is_room_id, is_user_id
from mockserver.core.model import PRESENCE_STATES, JsonDict
from mockserver.core.store.relations import ANNOTATION, MAIN, MAX_KEY_LENGTH, THREAD, relation_of
from mockserver.core.store.pushers import Pusher, parse_pusher
from mockserver.core.voip import TurnServer, parse_turn_server
from mockserver.core.store import (
    MAX_TYPING_TIMEOUT_MS,
    PRESETS,
    SUPPORTED_ROOM_VERSIONS,
    CreateRoom,
    Store,
)
from mockserver.scenarios.plan import (
    ACTIONS,
    Action,
    DeviceSpec,
    KeyBackupSpec,
    EventSpec,
    GeneratedMessages,
    Plan,
    PresenceSpec,
    ReceiptSpec,
    RoomAccountDataSpec,
    RoomSpec,
    Script,
    Step,
    Trigger,
    TypingSpec,
    UserSpec,
)
from mockserver.scenarios import encryption
from mockserver.scenarios.media import MediaChecker
from mockserver.scenarios.reader import Node, Problem, ScenarioError, child_path

T = TypeVar("T")


class _Unsure(Exception):
    """An item that depends on one already reported (a member whose entry was refused):
    left out without a problem of its own, so that one mistake makes one line."""

MAX_GENERATED = 100_000
#: How many times one ``rooms[]`` entry may be made (``repeat``).
MAX_REPEAT = 10_000
#: What ``{n}`` stands for in a generated user id, display name or room template.
COUNTER = "{n}"
REPEAT_COUNTER = "{i}"
JOIN_RULE_PRESETS = {"public": "public_chat", "invite": "private_chat"}
RECEIPT_TYPES = ("m.read", "m.read.private")
SELF_MEMBERSHIPS = ("join", "leave", "knock")
OTHER_MEMBERSHIPS = ("invite", "leave", "ban")
MEMBER_MEMBERSHIPS = ("join", "invite", "leave", "ban", "knock")

TOP_KEYS = (
    "$schema",
    "description",
    "server_name",
    "users",
    "media",
    "rooms",
    "events",
    "presence",
    "turn_server",
    "script",
)
USER_KEYS = (
    "user_id",
    "password",
    "displayname",
    "avatar_url",
    "access_token",
    "device_id",
    "devices",
    "account_data",
    "filters",
    "cross_signing",
    "signatures",
    "key_backup",
    "pushers",
    "deactivated",
)
DEVICE_KEYS = ("device_id", "access_token", "display_name", *encryption.DEVICE_KEY_FIELDS)
ROOM_KEYS = (
    "description",
    "room_id",
    "alias",
    "aliases",
    "creator",
    "preset",
    "join_rule",
    "visibility",
    "name",
    "topic",
    "room_version",
    "room_type",
    "is_direct",
    "members",
    "state",
    "timeline",
    "typing",
    "receipts",
    "account_data",
    "repeat",
)
CREATE_ONLY_KEYS = (
    "preset",
    "join_rule",
    "name",
    "topic",
    "room_version",
    "room_type",
    "is_direct",
)
MEMBER_KEYS = ("user_id", "membership", "by", "reason")
EVENT_KEYS = (
    "event_id",
    "type",
    "sender",
    "state_key",
    "content",
    "origin_server_ts",
    "txn_id",
    "device_id",
)
STATE_KEYS = ("event_id", "type", "sender", "state_key", "content", "origin_server_ts")
GENERATE_KEYS = (
    "count",
    "sender",
    "senders",
    "body",
    "bodies",
    "msgtype",
    "origin_server_ts",
    "interval_ms",
)
GENERATE_USER_KEYS = ("count", "first", "user_id", "displayname", "password")
GENERATE_MEMBER_KEYS = ("count", "first", "user_id", "membership")
STEP_TRIGGERS = ("after_ms", "after_sync", "on_next")
ACTION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # action: (allowed keys, required keys)
    "send": (("room_id", "sender", "type", "content", "body"), ("room_id", "sender")),
    "state": (
        ("room_id", "sender", "type", "state_key", "content"),
        ("room_id", "sender", "type", "content"),
    ),
    "invite": (("room_id", "sender", "user_id", "reason"), ("room_id", "sender", "user_id")),
    "join": (("room_id", "user_id"), ("room_id", "user_id")),
    "leave": (("room_id", "user_id", "reason"), ("room_id", "user_id")),
    "kick": (("room_id", "sender", "user_id", "reason"), ("room_id", "sender", "user_id")),
    "ban": (("room_id", "sender", "user_id", "reason"), ("room_id", "sender", "user_id")),
    "typing": (("room_id", "user_id", "typing", "timeout_ms"), ("room_id", "user_id")),
    "presence": (("user_id", "presence", "status_msg"), ("user_id", "presence")),
}


@dataclass(slots=True)
class _Room:
    """What the checker knows of a room while reading it."""

    spec: RoomSpec
    node: Node
    membership: dict[str, str] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    has_events: bool = False
    #: Of each event with an id: the event it relates to, if any, and the thread it is in.
    parent_of: dict[str, str] = field(default_factory=dict)
    thread_of: dict[str, str] = field(default_factory=dict)
    #: Roots of threads; (parent, event type, key, sender) of each annotation.
    roots: set[str] = field(default_factory=set)
    annotations: set[tuple[str, str, str, str]] = field(default_factory=set)
    #: The thread of the room's newest event (what a receipt without event_id marks).
    last_thread: str = MAIN
    #: Users whose membership entry was refused (``*``: one naming no user): whether
    #: they are joined later is not known, so it is not checked.
    unsure: set[str] = field(default_factory=set)

    def require_joined(self, user_id: str, node: Node, problem: str) -> None:
        if self.membership.get(user_id) != "join":
            if user_id in self.unsure or "*" in self.unsure:
                raise _Unsure
            node.fail(problem)

    def joined(self) -> list[str]:
        return [user for user, membership in self.membership.items() if membership == "join"]


class _Checker:
    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.source = source
        self.server_name = store.server_name
        #: Users the store will know: user id -> (displayname, avatar_url).
        self.profiles: dict[str, tuple[str | None, str | None]] = {
            user_id: (user.displayname, user.avatar_url) for user_id, user in store.users.items()
        }
        #: Devices each user will have; None stands for one whose id is generated.
        self.devices: dict[str, list[str | None]] = {
            user_id: list(user.devices) for user_id, user in store.users.items()
        }
        self.tokens: set[str] = set(store.sessions)
        self.event_ids: set[str] = set()
        self.room_ids: set[str] = set()
        self.aliases: set[str] = set()
        self.rooms: dict[str, _Room] = {}
        #: Every problem found so far, in document order.
        self.problems: list[Problem] = []

    def _guard(self, read: Callable[[], T]) -> T | None:
        """``read()``, or None with its problems noted: the checker goes on after them."""
        try:
            return read()
        except ScenarioError as exc:
            self.problems.extend(exc.problems)
        except _Unsure:
            pass
        return None

    def _each(self, nodes: list[Node], read: Callable[[Node], T]) -> list[T]:
        """``read`` of each node that reads without a problem (the others' problems noted)."""
        found = []
        for node in nodes:
            try:
                found.append(read(node))
            except ScenarioError as exc:
                self.problems.extend(exc.problems)
            except _Unsure:
                pass
        return found

    # -- the document ---------------------------------------------------------------------

    def document(self, root: Node) -> Plan:
        root.json_object()
        self._guard(lambda: root.fields(TOP_KEYS))
        for key in ("$schema", "description"):
            if root.get(key) is not None:
                self._guard(root.at(key).string)
        server = root.get("server_name")
        if server is not None:
            self._guard(lambda: self._server_name(server))
        plan = Plan(self.source, self.server_name)
        plan.users = [
            user for users in self._each(self._list(root, "users"), self._users) for user in users
        ]
        plan.media = self._each(self._list(root, "media"), MediaChecker(self.profiles, self.store))
        rooms = [
            room for made in self._each(self._list(root, "rooms"), self._rooms) for room in made
        ]
        plan.rooms = [room.spec for room in rooms]
        plan.events = self._each(self._list(root, "events"), self._top_event)
        for room in rooms:
            self._room_extras(room)
        plan.presence = self._each(self._list(root, "presence"), self._presence)
        turn_server = root.get("turn_server")
        if turn_server is not None:
            plan.turn_server = self._guard(lambda: self._turn_server(turn_server))
        script = root.get("script")
        if script is not None:
            plan.script = self._guard(lambda: self._script(script))
        if self.problems:
            raise ScenarioError.of(self.source, self.problems)
        return plan

    def _turn_server(self, node: Node) -> TurnServer:
        try:
            return parse_turn_server(node.value)
        except MatrixError as error:
            node.fail(error.error)

    def _list(self, node: Node, key: str) -> list[Node]:
        """The items of the list at ``key`` (none when absent, or when it is not a list)."""
        child = node.get(key)
        if child is None:
            return []
        return self._guard(child.array) or []

    def _server_name(self, node: Node) -> None:
        name = node.string(non_empty=True)
        if any(c.isspace() for c in name) or "/" in name:
            node.fail(f"{name!r} is not a valid server name")
        if name != self.store.server_name and (self.store.users or self.store.rooms):
            node.fail(
                f"the fixture is for {name} but the server already holds a world"
                f" for {self.store.server_name} (reset it first)"
            )
        self.server_name = name

    # -- users ------------------------------------------------------------------------------

    def _users(self, node: Node) -> list[UserSpec]:
        """One ``users[]`` entry: a user, or ``{"generate": {...}}`` many alike."""
        if not node.has("generate"):
            return [self._user(node)]
        node.fields(("generate",))
        return self._generate_users(node.at("generate"))

    def _generate_users(self, node: Node) -> list[UserSpec]:
        node.fields(GENERATE_USER_KEYS, required=("count", "user_id"))
        count = node.at("count").integer(minimum=1, maximum=MAX_GENERATED)
        first = node.at("first").integer(minimum=0) if node.has("first") else 1
        template = self._template(node.at("user_id"))
        displayname = node.optional_string("displayname")
        password = node.optional_string("password")
        ids = [template.replace(COUNTER, str(first + i)) for i in range(count)]
        id_node = node.at("user_id")
        for user_id in (ids[0], ids[-1]):
            if not is_user_id(user_id) or user_id.split(":", 1)[1] != self.server_name:
                id_node.fail(f"{user_id!r} is not a user id on this server (@localpart:{self.server_name})")
        taken = [user_id for user_id in ids if user_id in self.profiles]
        if taken:
            id_node.fail(f"user {taken[0]} already exists")
        users = []
        for index, user_id in enumerate(ids):
            name = (
                displayname.replace(COUNTER, str(first + index))
                if displayname is not None
                else user_id[1:].split(":", 1)[0]
            )
            self.profiles[user_id] = (name, None)
            self.devices[user_id] = []
            users.append(UserSpec(user_id, password, name, None))
        return users

    def _template(self, node: Node) -> str:
        template = node.string(non_empty=True)
        if COUNTER not in template:
            node.fail(f"must contain {COUNTER} (the counter), or every one would be the same")
        return template

    def _user(self, node: Node) -> UserSpec:
        node.fields(USER_KEYS, required=("user_id",))
        id_node = node.at("user_id")
        user_id = id_node.string()
        if not is_user_id(user_id):
            id_node.fail(f"{user_id!r} is not a user id (@localpart:{self.server_name})")
        if user_id.split(":", 1)[1] != self.server_name:
            id_node.fail(f"{user_id} is not on this server ({self.server_name})")
        if user_id in self.profiles:
            id_node.fail(f"user {user_id} already exists")
        localpart = user_id[1:].split(":", 1)[0]
        # Known from here on, so that a problem further in does not make every later
        # mention of the user a problem too.
        self.profiles[user_id] = (localpart, None)
        self.devices[user_id] = []
        displayname = self._nullable_str(node, "displayname", localpart)
        avatar_url = self._nullable_str(node, "avatar_url", None)
        devices: list[DeviceSpec] = []
        if node.has("access_token") or node.has("device_id"):
            devices.append(self._device(node, devices, user_id))
        for device_node in self._list(node, "devices"):
            device_node.fields(DEVICE_KEYS)
            devices.append(self._device(device_node, devices, user_id))
        account_data: list[tuple[str, JsonDict]] = []
        data = node.get("account_data")
        if data is not None:
            for data_type, content in data.items():
                account_data.append((data_type, copy.deepcopy(content.json_object())))
        filters: list[JsonDict] = []
        for filter_node in self._list(node, "filters"):
            definition = filter_node.json_object()
            try:
                parse_filter(definition)
            except MatrixError as exc:
                filter_node.fail(f"invalid filter: {exc.error}")
            filters.append(copy.deepcopy(definition))
        cross_signing: dict[str, JsonDict] = {}
        if (child := node.get("cross_signing")) is not None:
            cross_signing = encryption.cross_signing(child, user_id)
        signatures: JsonDict = {}
        if (child := node.get("signatures")) is not None:
            signatures = encryption.signatures(child)
        key_backup: tuple[KeyBackupSpec, ...] = ()
        if (child := node.get("key_backup")) is not None:
            key_backup = encryption.key_backups(child)
        pushers: list[Pusher] = []
        for pusher_node in self._list(node, "pushers"):
            try:
                pushers.append(parse_pusher(pusher_node.json_object()))
            except MatrixError as exc:
                pusher_node.fail(f"invalid pusher: {exc.error}")
        self.profiles[user_id] = (displayname, avatar_url)
        self.devices[user_id] = [d.device_id for d in devices]
        return UserSpec(
            user_id=user_id,
            password=self._nullable_str(node, "password", None),
            displayname=displayname,
            avatar_url=avatar_url,
            devices=tuple(devices),
            account_data=tuple(account_data),
            filters=tuple(filters),
            cross_signing=cross_signing,
            signatures=signatures,
            key_backup=key_backup,
            pushers=tuple(pushers),
            deactivated=node.get("deactivated") is not None and node.at("deactivated").boolean(),
        )

    def _nullable_str(self, node: Node, key: str, default: str | None) -> str | None:
        child = node.get(key)
        if child is None:
            return default
        return None if child.value is None else child.string()

    def _device(self, node: Node, earlier: list[DeviceSpec], user_id: str) -> DeviceSpec:
        device_id = node.optional_string("device_id")
        if device_id is not None:
            node.at("device_id").string(non_empty=True)
            if any(d.device_id == device_id for d in earlier):
                node.at("device_id").fail(f"device {device_id} is listed twice")
        token = node.optional_string("access_token")
        if token is not None:
            token_node = node.at("access_token")
            token_node.string(non_empty=True)
            if any(c.isspace() for c in token):
                token_node.fail("an access token cannot contain whitespace")
            if token in self.tokens:
                token_node.fail("access token already in use")
            self.tokens.add(token)
        keys = encryption.device_keys(node, user_id, device_id)
        return DeviceSpec(device_id, token, node.optional_string("display_name"), keys)

    def _known_user(self, node: Node) -> str:
        user_id = node.string()
        if not is_user_id(user_id):
            node.fail(f"{user_id!r} is not a user id")
        if user_id not in self.profiles:
            node.fail(f"unknown user {user_id}")
        return user_id

    # -- rooms ------------------------------------------------------------------------------

    def _rooms(self, node: Node) -> list[_Room]:
        """One ``rooms[]`` entry: a room, or ``repeat`` rooms made from it as a template.

        In a template, ``{i}`` in any string becomes the room's number (1, 2, ...).
        The first room is checked in full; one that fails stops the repetition, so
        that one mistake makes one line.
        """
        if not node.has("repeat"):
            return [self._room(node)]
        node.fields(ROOM_KEYS)
        count = node.at("repeat").integer(minimum=1, maximum=MAX_REPEAT)
        template = {key: value for key, value in node.value.items() if key != "repeat"}
        if count > 1 and isinstance(template.get("room_id"), str) and REPEAT_COUNTER not in template["room_id"]:
            node.at("room_id").fail(f"a repeated room's id must contain {REPEAT_COUNTER} (its number)")
        for key in ("alias", "aliases"):
            if count > 1 and key in template and REPEAT_COUNTER not in str(template[key]):
                node.at(key).fail(f"a repeated room's aliases must contain {REPEAT_COUNTER} (its number)")
        rooms = []
        for number in range(1, count + 1):
            made = _substitute(template, str(number))
            known = len(self.problems)
            rooms.append(self._room(Node(made, node.path, node.source), key=f"{node.path}#{number}"))
            if len(self.problems) > known:
                break
        return rooms

    def _room(self, node: Node, key: str | None = None) -> _Room:
        node.fields(ROOM_KEYS)
        if node.has("repeat"):
            node.at("repeat").fail("'repeat' is read by the rooms list only")
        if node.get("description") is not None:
            node.at("description").string()
        room_id = node.optional_string("room_id")
        if room_id is not None:
            id_node = node.at("room_id")
            if not is_room_id(room_id):
                id_node.fail(f"{room_id!r} is not a room id (!opaque:{self.server_name})")
            if room_id in self.room_ids or room_id in self.store.rooms:
                id_node.fail(f"room {room_id} already exists")
            self.room_ids.add(room_id)
        room = _Room(RoomSpec(key=key or node.path, room_id=room_id), node)
        if room_id is not None:
            self.rooms[room_id] = room
        aliases = self._aliases(node)
        creator_node = node.get("creator")
        if creator_node is not None:
            self._created(room, self._known_user(creator_node), aliases)
        else:
            for key in CREATE_ONLY_KEYS:
                if node.has(key):
                    node.at(key).fail(
                        "only a room with a 'creator' (created with m.room.create) takes this;"
                        " give the state as events instead"
                    )
            room.spec.aliases = tuple(aliases)
        visibility = node.get("visibility")
        if visibility is not None:
            room.spec.public = visibility.choice(("public", "private")) == "public"
        for events in self._each(self._list(node, "members"), lambda n: self._member(room, n)):
            room.spec.events.extend(events)

        room.spec.events.extend(self._each(self._list(node, "state"), lambda n: self._state(room, n)))
        for items in self._each(self._list(node, "timeline"), lambda n: self._timeline(room, n)):
            room.spec.events.extend(items)
        return room

    def _timeline(self, room: _Room, item: Node) -> list[EventSpec | GeneratedMessages]:
        if item.has("generate"):
            item.fields(("generate",))
            return [self._generate(room, item.at("generate"))]
        return [self._event(room, item, EVENT_KEYS)]

    def _aliases(self, node: Node) -> list[str]:
        nodes = []
        if node.get("alias") is not None:
            nodes.append(node.at("alias"))
        nodes += self._list(node, "aliases")
        aliases = []
        for alias_node in nodes:
            alias = alias_node.string()
            if not is_room_alias(alias) or alias.split(":", 1)[1] != self.server_name:
                alias_node.fail(
                    f"{alias!r} is not a room alias on this server (#name:{self.server_name})"
                )
            if alias in self.aliases or alias in self.store.aliases:
                alias_node.fail(f"alias {alias} is already taken")
            self.aliases.add(alias)
            aliases.append(alias)
        return aliases

    def _created(self, room: _Room, creator: str, aliases: list[str]) -> None:
        node = room.node
        preset: str | None = None
        if node.get("preset") is not None:
            preset = node.at("preset").choice(PRESETS)
        join_rule: str | None = None
        if node.get("join_rule") is not None:
            join_rule = node.at("join_rule").choice(
                ("public", "invite", "knock", "restricted", "private")
            )
            if preset is None:
                preset = JOIN_RULE_PRESETS.get(join_rule, "private_chat")
        version: str | None = None
        if node.get("room_version") is not None:
            version = node.at("room_version").choice(SUPPORTED_ROOM_VERSIONS)
        visibility = "private"
        if node.get("visibility") is not None:
            visibility = node.at("visibility").choice(("public", "private"))
        canonical = None
        if node.get("alias") is not None:
            canonical = aliases[0]
            aliases = aliases[1:]
        room.spec.creator = creator
        room.spec.aliases = tuple(aliases)
        room.spec.create = CreateRoom(
            preset=preset,
            visibility=visibility,
            name=node.optional_string("name"),
            topic=node.optional_string("topic"),
            is_direct=node.at("is_direct").boolean()
            if node.get("is_direct") is not None
            else False,
            room_alias_name=canonical[1:].split(":", 1)[0] if canonical else None,
            room_version=version,
            creation_content={"type": node.at("room_type").string(non_empty=True)}
            if node.get("room_type") is not None
            else {},
        )
        room.membership[creator] = "join"
        room.has_events = True
        if join_rule is not None and PRESETS[preset or "private_chat"]["join_rule"] != join_rule:
            room.spec.events.append(
                EventSpec("m.room.join_rules", creator, {"join_rule": join_rule}, state_key="")
            )

    def _member(self, room: _Room, node: Node) -> list[EventSpec]:
        try:
            if node.has("generate"):
                node.fields(("generate",))
                return self._generate_members(room, node.at("generate"))
            return self._read_member(room, node)
        except ScenarioError:
            user_id = node.at("user_id").value
            room.unsure.add(user_id if isinstance(user_id, str) else "*")
            raise

    def _generate_members(self, room: _Room, node: Node) -> list[EventSpec]:
        """Many members alike: joined (or invited by the creator) users ``first`` to ``first+count-1``."""
        node.fields(GENERATE_MEMBER_KEYS, required=("count", "user_id"))
        count = node.at("count").integer(minimum=1, maximum=MAX_GENERATED)
        first = node.at("first").integer(minimum=0) if node.has("first") else 1
        template = self._template(node.at("user_id"))
        membership = "join"
        if node.get("membership") is not None:
            membership = node.at("membership").choice(("join", "invite"))
        id_node = node.at("user_id")
        events = []
        for number in range(first, first + count):
            user_id = template.replace(COUNTER, str(number))
            if user_id not in self.profiles:
                id_node.fail(f"unknown user {user_id} (number {number})")
            if room.membership.get(user_id) is not None:
                id_node.fail(f"{user_id} is already a member (number {number})")
            sender = user_id if membership == "join" else self._default_actor(room, node, user_id)
            events.append(
                self._membership(room, id_node, node, sender, user_id, membership, None)
            )
        return events

    def _read_member(self, room: _Room, node: Node) -> list[EventSpec]:
        node.fields(MEMBER_KEYS, required=("user_id", "membership"))
        user_id = self._known_user(node.at("user_id"))
        membership = node.at("membership").choice(MEMBER_MEMBERSHIPS)
        by_node = node.get("by")
        by = self._known_user(by_node) if by_node is not None else None
        reason = node.optional_string("reason")
        if membership in ("join", "knock") and by is not None:
            by_node.fail(f"a user {membership}s by themself")  # type: ignore[union-attr]
        current = room.membership.get(user_id)
        if membership == "join" and current == "join" and user_id == room.spec.creator:
            return []  # the creator is joined by createRoom already
        events: list[EventSpec] = []
        if membership in ("leave", "ban") and current != "join":
            events.append(self._membership(room, node, node, user_id, user_id, "join", None))
        if membership in ("join", "knock") or (membership == "leave" and by is None):
            sender = user_id
        else:
            sender = by or self._default_actor(room, node, exclude=user_id)
        sender_node = by_node or node
        events.append(
            self._membership(room, node, sender_node, sender, user_id, membership, reason)
        )
        return events

    def _default_actor(self, room: _Room, node: Node, exclude: str) -> str:
        if room.spec.creator is not None and room.membership.get(room.spec.creator) == "join":
            return room.spec.creator
        for user_id in room.joined():
            if user_id != exclude:
                return user_id
        node.fail("no joined member to act: say who with 'by'")

    def _membership(
        self,
        room: _Room,
        node: Node,
        sender_node: Node,
        sender: str,
        target: str,
        membership: str,
        reason: str | None,
    ) -> EventSpec:
        content: JsonDict = {"membership": membership}
        if membership in ("join", "invite", "knock"):
            displayname, avatar_url = self.profiles[target]
            if displayname is not None:
                content["displayname"] = displayname
            if avatar_url is not None:
                content["avatar_url"] = avatar_url
        if membership == "invite" and room.spec.create is not None and room.spec.create.is_direct:
            content["is_direct"] = True
        if reason is not None:
            content["reason"] = reason
        self._apply_membership(room, node, sender_node, sender, target, membership)
        room.has_events = True
        return EventSpec("m.room.member", sender, content, state_key=target)

    def _apply_membership(
        self, room: _Room, node: Node, sender_node: Node, sender: str, target: str, membership: str
    ) -> None:
        """Check one membership change against the room as it stands, then record it."""
        current = room.membership.get(target)
        if sender == target:
            if membership not in SELF_MEMBERSHIPS:
                node.fail(f"{sender} cannot {membership} themself")
            if membership in ("join", "knock") and current == "ban":
                node.fail(f"{target} is banned from the room")
            if membership == "knock" and current in ("join", "invite"):
                node.fail(f"{target} cannot knock: already {'joined' if current == 'join' else 'invited'}")
        else:
            room.require_joined(
                sender,
                sender_node,
                f"{sender} is not joined to the room, so cannot {membership} {target}",
            )
            if membership not in OTHER_MEMBERSHIPS:
                node.fail(f"only {target} can {membership} themself")
            if membership == "invite" and current in ("join", "ban"):
                state = "joined" if current == "join" else "banned"
                node.fail(f"{target} cannot be invited: already {state}")
        room.membership[target] = membership

    def _state(self, room: _Room, node: Node) -> EventSpec:
        node.fields(STATE_KEYS, required=("type", "content"))
        if not node.has("sender"):
            if room.spec.creator is None:
                node.fail("missing required key 'sender' (a room without a creator has no default)")
            event = dict(node.value, sender=room.spec.creator)
            node = Node(event, node.path, node.source)
        if not node.has("state_key"):
            node = Node(dict(node.value, state_key=""), node.path, node.source)
        return self._event(room, node, STATE_KEYS)

    def _event(self, room: _Room, node: Node, allowed: tuple[str, ...]) -> EventSpec:
        node.fields(allowed, required=("type", "sender", "content"))
        event_type = node.at("type").string(non_empty=True)
        sender_node = node.at("sender")
        sender = self._known_user(sender_node)
        content = copy.deepcopy(node.at("content").json_object())
        state_key = node.optional_string("state_key")
        event_id = self._event_id(room, node.get("event_id"))
        ts = None
        if node.get("origin_server_ts") is not None:
            ts = node.at("origin_server_ts").integer(minimum=0)
        txn = self._txn(node, sender)
        if event_type == "m.room.create":
            if room.has_events:
                node.at("type").fail("m.room.create must be the room's first event")
            if state_key != "":
                node.at("state_key").fail('m.room.create needs the state key ""')
        elif event_type == "m.room.member":
            if state_key is None:
                node.fail("an m.room.member event needs the member's user id as 'state_key'")
            target = self._known_user(node.at("state_key"))
            membership_node = node.at("content").at("membership")
            membership = membership_node.choice(("join", "invite", "leave", "ban", "knock"))
            self._apply_membership(room, membership_node, sender_node, sender, target, membership)
        else:
            room.require_joined(sender, sender_node, f"{sender} is not joined to the room at this point")
        try:
            self.store.check_event_size(
                room.spec.room_id or "!x:x", event_type, sender, content, state_key
            )
        except MatrixError:
            node.at("content").fail("the event is larger than 64 KiB")
        self._relation(room, node, event_type, sender, content, event_id)
        room.has_events = True
        return EventSpec(
            event_type,
            sender,
            content,
            state_key=state_key,
            event_id=event_id,
            origin_server_ts=ts,
            txn=txn,
        )

    def _relation(
        self,
        room: _Room,
        node: Node,
        event_type: str,
        sender: str,
        content: JsonDict,
        event_id: str | None,
    ) -> None:
        """Relations refer to earlier events of the room by the ids the document gives them,
        and follow the rules a client's send meets (see Relations.check)."""
        relates = node.at("content").at("m.relates_to")
        reply = relates.get("m.in_reply_to")
        if reply is not None and reply.get("event_id") is not None:
            self._earlier(room, reply.at("event_id"), event_id)
        relation = relation_of(content)
        thread = MAIN
        if relation is not None:
            parent = relation.parent_id
            self._earlier(room, relates.at("event_id"), event_id)
            if relation.rel_type == ANNOTATION:
                key = relates.get("key")
                if key is None or relation.key is None:
                    relates.fail("an m.annotation needs a string 'key'")
                if len(relation.key) > MAX_KEY_LENGTH:
                    key.fail(f"an annotation key is at most {MAX_KEY_LENGTH} characters")
                annotation = (parent, event_type, relation.key, sender)
                if annotation in room.annotations:
                    key.fail(f"{sender} already annotated {parent} with this key")
                room.annotations.add(annotation)
            if relation.rel_type == THREAD:
                if parent in room.parent_of:
                    relates.at("event_id").fail(
                        f"{parent} relates to another event, so it cannot start a thread"
                    )
                room.roots.add(parent)
                thread = parent
            else:
                thread = room.thread_of.get(parent, MAIN)
        room.last_thread = thread
        if event_id is not None:
            room.thread_of[event_id] = thread
            if relation is not None:
                room.parent_of[event_id] = relation.parent_id

    @staticmethod
    def _earlier(room: _Room, node: Node, own_id: str | None) -> None:
        target = node.string()
        if target not in room.event_ids or target == own_id:
            node.fail(f"{target} is not an earlier event of this room (give it an event_id)")

    def _receipt_thread(self, room: _Room, item: Node, event_id: str | None) -> str | None:
        """A receipt's ``thread_id``: ``main`` or a thread root its event is in."""
        node = item.get("thread_id")
        if node is None:
            return None
        thread_id = node.string(non_empty=True)
        current = event_id
        in_thread = room.last_thread if event_id is None else room.thread_of.get(event_id, MAIN)
        if thread_id == MAIN and in_thread == MAIN:
            return thread_id
        if thread_id in room.roots:
            if in_thread == thread_id:
                return thread_id
            while current is not None:
                if current == thread_id:
                    return thread_id
                current = room.parent_of.get(current)
        node.fail(f"the receipt's event is not in thread {thread_id}")

    def _event_id(self, room: _Room, node: Node | None) -> str | None:
        if node is None:
            return None
        event_id = node.string()
        if not is_event_id(event_id):
            node.fail(f"{event_id!r} is not an event id ($opaque)")
        if event_id in self.event_ids or event_id in self.store.event_index:
            node.fail(f"event id {event_id} is already used")
        self.event_ids.add(event_id)
        room.event_ids.add(event_id)
        return event_id

    def _txn(self, node: Node, sender: str) -> tuple[str | None, str] | None:
        device_node = node.get("device_id")
        if not node.has("txn_id"):
            if device_node is not None:
                device_node.fail("device_id only goes with txn_id")
            return None
        txn_id = node.at("txn_id").string(non_empty=True)
        devices = self.devices.get(sender, [])
        device_id = None
        if device_node is not None:
            device_id = device_node.string()
            if device_id not in devices:
                device_node.fail(f"{sender} has no device {device_id}")
        elif not devices:
            node.at("txn_id").fail(
                f"a transaction id needs a device: give {sender} an access_token or device_id"
            )
        return (device_id, txn_id)

    def _generate(self, room: _Room, node: Node) -> GeneratedMessages:
        node.fields(GENERATE_KEYS, required=("count",))
        count = node.at("count").integer(minimum=1, maximum=MAX_GENERATED)
        senders = self._one_or_many(node, "sender", "senders", self._known_user)
        if not senders:
            node.fail("missing required key 'sender' (or 'senders')")
        for index, sender in enumerate(senders):
            where = node.at("sender") if node.has("sender") else node.at("senders").array()[index]
            room.require_joined(sender, where, f"{sender} is not joined to the room at this point")
        bodies = self._one_or_many(node, "body", "bodies", lambda n: n.string()) or ["Message {n}"]
        given_msgtype = node.optional_string("msgtype")
        msgtype = "m.text" if given_msgtype is None else given_msgtype
        start = None
        if node.get("origin_server_ts") is not None:
            start = node.at("origin_server_ts").integer(minimum=0)
        interval = node.at("interval_ms").integer(minimum=0) if node.has("interval_ms") else 0
        for template in bodies:
            # The longest body a template gives is the one with the most digits.
            body = template.replace(COUNTER, str(count))
            for sender in senders:
                try:
                    self.store.check_event_size(
                        room.spec.room_id or "!x:x",
                        "m.room.message",
                        sender,
                        {"msgtype": msgtype, "body": body},
                        None,
                    )
                except MatrixError:
                    node.fail("a generated message would be larger than 64 KiB")
        room.has_events = True
        return GeneratedMessages(count, tuple(senders), tuple(bodies), msgtype, start, interval)

    def _one_or_many(self, node: Node, one: str, many: str, read: Any) -> list[Any]:
        if node.has(one) and node.has(many):
            node.at(many).fail(f"give either {one!r} or {many!r}, not both")
        if node.has(one):
            return [read(node.at(one))]
        if node.has(many):
            items = node.at(many).array()
            if not items:
                node.at(many).fail("must not be empty")
            return [read(item) for item in items]
        return []

    # -- top-level events and what follows a room's history -----------------------------

    def _top_event(self, node: Node) -> tuple[str, EventSpec]:
        node.fields((*EVENT_KEYS, "room_id"), required=("room_id",))
        room_id = node.at("room_id").string()
        room = self.rooms.get(room_id)
        if room is None:
            node.at("room_id").fail(
                f"unknown room {room_id} (events must name a room of this fixture)"
            )
        fields = {k: v for k, v in node.value.items() if k != "room_id"}
        return room_id, self._event(room, Node(fields, node.path, node.source), EVENT_KEYS)

    def _room_extras(self, room: _Room) -> None:
        node = room.node
        room.spec.typing = tuple(
            self._each(self._list(node, "typing"), lambda item: self._typing(room, item))
        )
        room.spec.receipts = tuple(
            self._each(self._list(node, "receipts"), lambda item: self._receipt(room, item))
        )
        room.spec.account_data = tuple(
            self._each(self._list(node, "account_data"), self._room_account_data)
        )

    def _typing(self, room: _Room, item: Node) -> TypingSpec:
        if isinstance(item.value, str):
            user_id, timeout = self._known_user(item), None
        else:
            item.fields(("user_id", "timeout_ms"), required=("user_id",))
            user_id = self._known_user(item.at("user_id"))
            timeout = None
            if item.get("timeout_ms") is not None:
                timeout = item.at("timeout_ms").integer(
                    minimum=1, maximum=MAX_TYPING_TIMEOUT_MS
                )
        room.require_joined(user_id, item, f"{user_id} is not joined to the room, so cannot be typing")
        return TypingSpec(user_id, timeout)

    def _receipt(self, room: _Room, item: Node) -> ReceiptSpec:
        item.fields(
            ("user_id", "event_id", "receipt_type", "thread_id", "ts"), required=("user_id",)
        )
        user_id = self._known_user(item.at("user_id"))
        room.require_joined(user_id, item.at("user_id"), f"{user_id} is not joined to the room")
        event_id = item.optional_string("event_id")
        if event_id is not None and event_id not in room.event_ids:
            item.at("event_id").fail(f"{event_id} is not an event of this room")
        if event_id is None and not room.has_events:
            item.fail("the room has no event to mark as read")
        receipt_type = "m.read"
        if item.get("receipt_type") is not None:
            receipt_type = item.at("receipt_type").choice(RECEIPT_TYPES)
        ts = item.at("ts").integer(minimum=0) if item.get("ts") is not None else None
        thread_id = self._receipt_thread(room, item, event_id)
        return ReceiptSpec(user_id, event_id, receipt_type, thread_id, ts)

    def _room_account_data(self, item: Node) -> RoomAccountDataSpec:
        item.fields(("user_id", "type", "content"), required=("user_id", "type", "content"))
        return RoomAccountDataSpec(
            self._known_user(item.at("user_id")),
            item.at("type").string(non_empty=True),
            copy.deepcopy(item.at("content").json_object()),
        )

    def _presence(self, node: Node) -> PresenceSpec:
        node.fields(
            ("user_id", "presence", "status_msg", "last_active_ago"),
            required=("user_id", "presence"),
        )
        last_active = None
        if node.get("last_active_ago") is not None:
            last_active = node.at("last_active_ago").integer(minimum=0)
        return PresenceSpec(
            self._known_user(node.at("user_id")),
            node.at("presence").choice(sorted(PRESENCE_STATES)),
            node.optional_string("status_msg"),
            last_active,
        )

    # -- the script -------------------------------------------------------------------------

    def _script(self, node: Node) -> Script:
        node.fields(("repeat", "steps"), required=("steps",))
        repeat = node.at("repeat").boolean() if node.has("repeat") else False
        steps = tuple(self._each(node.at("steps").array(), self._step))
        if repeat and not any(s.trigger.kind != "after_ms" or s.trigger.amount > 0 for s in steps):
            node.at("repeat").fail(
                "a repeating script needs a step that waits (after_ms > 0, after_sync or on_next)"
            )
        return Script(self.source, steps, repeat)

    def _step(self, node: Node) -> Step:
        node.fields(("note", *STEP_TRIGGERS, *ACTIONS))
        if node.get("note") is not None:
            node.at("note").string()
        triggers = [key for key in STEP_TRIGGERS if node.has(key)]
        if len(triggers) != 1:
            node.fail(f"a step needs exactly one trigger: {', '.join(STEP_TRIGGERS)}")
        actions = [key for key in ACTIONS if node.has(key)]
        if len(actions) != 1:
            node.fail(f"a step needs exactly one action: {', '.join(ACTIONS)}")
        return Step(
            self._trigger(node, triggers[0]),
            self._action(node.at(actions[0]), actions[0]),
            node.path,
        )

    def _trigger(self, step: Node, kind: str) -> Trigger:
        node = step.at(kind)
        if kind == "after_ms":
            return Trigger("after_ms", node.integer(minimum=0))
        if kind == "after_sync":
            node.fields(("user_id", "count"), required=("user_id",))
            count = node.at("count").integer(minimum=1) if node.has("count") else 1
            return Trigger("after_sync", count, self._known_user(node.at("user_id")))
        if node.value is not True:
            node.fail("expected true")
        return Trigger("on_next")

    def _script_room(self, node: Node) -> str:
        room_id = node.string()
        if room_id not in self.room_ids and room_id not in self.store.rooms:
            node.fail(f"unknown room {room_id}")
        return room_id

    def _action(self, node: Node, kind: str) -> Action:
        allowed, required = ACTION_KEYS[kind]
        node.fields(allowed, required=required)
        if kind == "presence":
            return Action(
                "presence",
                self._known_user(node.at("user_id")),
                presence=node.at("presence").choice(sorted(PRESENCE_STATES)),
                status_msg=node.optional_string("status_msg"),
            )
        room_id = self._script_room(node.at("room_id"))
        reason = node.optional_string("reason")
        if kind == "send":
            sender = self._known_user(node.at("sender"))
            if node.has("content") == node.has("body"):
                node.fail("give exactly one of 'content' or 'body'")
            content = (
                copy.deepcopy(node.at("content").json_object())
                if node.has("content")
                else {"msgtype": "m.text", "body": node.at("body").string()}
            )
            event_type = node.optional_string("type", "m.room.message")
            return Action("send", sender, room_id, event_type=event_type, content=content)
        if kind == "state":
            return Action(
                "state",
                self._known_user(node.at("sender")),
                room_id,
                event_type=node.at("type").string(non_empty=True),
                state_key=node.optional_string("state_key", ""),
                content=copy.deepcopy(node.at("content").json_object()),
            )
        if kind in ("invite", "kick", "ban"):
            return Action(
                kind,  # type: ignore[arg-type]
                self._known_user(node.at("sender")),
                room_id,
                target=self._known_user(node.at("user_id")),
                reason=reason,
            )
        if kind in ("join", "leave"):
            return Action(kind, self._known_user(node.at("user_id")), room_id, reason=reason)  # type: ignore[arg-type]
        timeout = None
        if node.get("timeout_ms") is not None:
            timeout = node.at("timeout_ms").integer(minimum=1, maximum=MAX_TYPING_TIMEOUT_MS)
        return Action(
            "typing",
            self._known_user(node.at("user_id")),
            room_id,
            typing=node.at("typing").boolean() if node.has("typing") else True,
            timeout_ms=timeout,
        )


def _substitute(value: Any, number: str) -> Any:
    """``value`` with ``{i}`` replaced by ``number`` in every string (keys too)."""
    if isinstance(value, str):
        return value.replace(REPEAT_COUNTER, number)
    if isinstance(value, dict):
        return {_substitute(k, number): _substitute(v, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(item, number) for item in value]
    return value


def check(store: Store, document: Any, source: str) -> Plan:
    """The plan for ``document`` against the world ``store`` holds now, or ScenarioError.

    First of all the document must obey the limits a client request body
    does (:mod:`mockserver.core.canonical`: canonical JSON's numbers, and
    nesting, with a few levels more for the document's own structure), so a
    fixture can never store what no answer could encode. Account data, which
    is not event content (a tag's order is a fraction), may hold any number.
    """
    problem = find_problem(document, MAX_DEPTH + FIXTURE_FRAME_DEPTH, numbers=False)
    problem = problem or find_problem(
        _without_account_data(document), MAX_DEPTH + FIXTURE_FRAME_DEPTH
    )
    if problem is not None:
        path = ""
        for key in problem.path:
            path = child_path(path, key)
        raise ScenarioError(source, path, problem.problem)
    return _Checker(store, source).document(Node(document, "", source))


def _without_account_data(document: Any) -> Any:
    """The document with the users' and rooms' ``account_data`` left out (paths unchanged)."""
    if not isinstance(document, dict):
        return document
    trimmed = dict(document)
    for key in ("users", "rooms"):
        items = document.get(key)
        if isinstance(items, list):
            trimmed[key] = [
                {k: v for k, v in item.items() if k != "account_data"}
                if isinstance(item, dict)
                else item
                for item in items
            ]
    return trimmed
