"""Values the store holds: frozen, slotted, free of HTTP and of JSON encoding.

``JsonDict`` content is treated as immutable once inside an :class:`Event`:
the store copies what a request gives it and never hands out a mutable
reference to a caller that could change history.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

JsonDict = dict[str, Any]
_T = TypeVar("_T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform

    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def frozen_for_checkers(cls: type[_T]) -> type[_T]:
        """A slotted dataclass that type checkers hold frozen (assigning a field is an error)."""
        ...

else:

    def frozen_for_checkers(cls):
        # Built as a plain slotted dataclass: a frozen one sets each field through
        # object.__setattr__, which makes it ~8x slower to build (every event of a
        # scenario load and of every send). mypy still refuses an assignment to a field.
        return dataclass(slots=True)(cls)

_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value, as :func:`copy.deepcopy` makes it, faster.

    Strings and numbers are immutable and shared, as deepcopy shares them;
    only objects and arrays are copied. Anything else (never in parsed
    JSON) goes to deepcopy.
    """
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_json(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)

MEMBERSHIPS: frozenset[str] = frozenset({"join", "invite", "leave", "ban", "knock"})
PRESENCE_STATES: frozenset[str] = frozenset({"online", "offline", "unavailable"})

StateKey = tuple[str, str]
"""A state entry's key: (event type, state key)."""


@frozen_for_checkers
class Event:
    """A persisted room event, in stream order across the server and depth order in its room."""

    event_id: str
    room_id: str
    type: str
    sender: str
    content: JsonDict
    origin_server_ts: int
    stream: int
    depth: int
    state_key: str | None = None
    #: (user_id, device_id, txn_id) of the request that sent it, if any.
    txn: tuple[str, str, str] | None = None
    #: The content of the state event this one replaced.
    prev_content: JsonDict | None = None
    #: The redaction event that stripped this one, if any.
    redacted_because: Event | None = None

    @property
    def is_state(self) -> bool:
        return self.state_key is not None

    @property
    def state_entry(self) -> StateKey:
        assert self.state_key is not None
        return (self.type, self.state_key)

    @property
    def membership(self) -> str | None:
        if self.type != "m.room.member":
            return None
        value = self.content.get("membership")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Session:
    """What an access token stands for."""

    user_id: str
    device_id: str
    access_token: str


@dataclass(slots=True)
class Device:
    device_id: str
    display_name: str | None = None
    last_seen_ts: int | None = None
    last_seen_ip: str | None = None
    #: Uploaded device keys (``keys/upload``), returned by ``keys/query``.
    keys: JsonDict | None = None
    one_time_keys: dict[str, JsonDict] = field(default_factory=dict)
    fallback_keys: dict[str, JsonDict] = field(default_factory=dict)
    #: Fallback keys handed out by a claim since they were uploaded.
    used_fallback_keys: set[str] = field(default_factory=set)


@dataclass(slots=True)
class User:
    user_id: str
    password: str | None
    displayname: str | None = None
    avatar_url: str | None = None
    devices: dict[str, Device] = field(default_factory=dict)
    #: Deactivated (``/account/deactivate``): the id stays taken, nobody can log in.
    deactivated: bool = False


@dataclass(frozen=True, slots=True)
class Presence:
    user_id: str
    presence: str
    last_active_ts: int | None = None
    status_msg: str | None = None
    currently_active: bool | None = None
    stream: int = 0


@dataclass(frozen=True, slots=True)
class Receipt:
    room_id: str
    user_id: str
    receipt_type: str
    event_id: str
    ts: int
    stream: int
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountData:
    user_id: str
    room_id: str | None
    type: str
    content: JsonDict
    stream: int


@dataclass(frozen=True, slots=True)
class ToDeviceMessage:
    recipient: str
    device_id: str
    sender: str
    type: str
    content: JsonDict
    stream: int
