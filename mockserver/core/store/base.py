"""What every area of the store shares: the values a change is described by, and
:class:`Whole`, the small interface an area is given to the store it belongs to.

An area module owns its own state and is handed a :class:`Whole` (the
:class:`~mockserver.core.store.Store` itself, seen through this interface):
it may read the clock and the seeded ids, move its own stream of the
position with :meth:`Whole.bump`, and say which rooms and users a change
concerns with :meth:`Whole.touch`. It never commits: the store's public
method that called it does, once, after the last write. An area that needs
another (rooms need the accounts, for profiles and invitees) receives it in
its constructor, so its imports list everything it may touch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson

from mockserver.core.clock import Clock
from mockserver.core.ids import Ids
from mockserver.core.tokens import StreamToken

MAX_EVENT_BYTES = 65536

#: The components of the stream position; an area bumps its own.
Stream = Literal["room", "presence", "typing", "receipt", "account_data", "to_device"]

#: "Argument not given" (``None`` is a value: a display name can be cleared).
UNSET: Any = object()


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


def event_size(event: Mapping[str, Any]) -> int:
    return len(orjson.dumps(event))


class Whole(Protocol):
    """What an area may ask of the store it belongs to (the store implements it)."""

    server_name: str
    clock: Clock
    ids: Ids
    #: Where every stream stands; read it freely, move your own stream with :meth:`bump`.
    position: StreamToken
    #: Transaction ids of every endpoint that takes one (sends, redactions, to-device):
    #: the event id a repeated txnId gets back ("" where there is nothing to give back).
    txns: dict[TxnKey, str]

    def now(self) -> int:
        """The server clock, in milliseconds."""
        ...

    def bump(self, stream: Stream, steps: int = 1) -> int:
        """Move ``stream`` ``steps`` forward and return its new value."""
        ...

    def touch(self, rooms: Iterable[str] = (), users: Iterable[str] = ()) -> None:
        """Note rooms and users this change concerns (woken at the store's next commit)."""
        ...
