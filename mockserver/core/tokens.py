"""Stream and pagination tokens: parse and format, nothing else.

A :class:`StreamToken` is a position in each of the server's streams::

    s<room>_<presence>_<typing>[_<receipt>[_<account_data>[_<to_device>[_<device_list>]]]]

A :class:`RoomToken` is a boundary inside one room's timeline, right after
the event at ``depth`` (whose stream ordering is ``stream``), carrying the
other stream positions of the sync that minted it::

    t<depth>-<stream>_<presence>_<typing>[...]

The seed dialect reports three streams and so emits the three-part form
(``s72595_4483_1934``); the stable dialect emits all seven. Every form from
three to seven parts is accepted everywhere, missing trailing parts meaning 0
(so six-part tokens minted before the device-list stream still parse). This module never
looks anything up in the store: checking that a token is one this server
issued is :meth:`StreamToken.within`'s job, given the current position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.core.errors import invalid_param

_NUMBER = r"(?:0|[1-9][0-9]{0,17})"
_TAIL = rf"{_NUMBER}(?:_{_NUMBER}){{2,6}}"
_STREAM_RE = re.compile(rf"s({_TAIL})")
_ROOM_RE = re.compile(rf"t({_NUMBER})-({_TAIL})")

SEED_PARTS = 3
ALL_PARTS = 7

#: Stream tokens parsed lately, by their text (values: the same text is the same token).
_PARSED: dict[str, StreamToken] = {}
_PARSED_KEPT = 64


@dataclass(frozen=True, slots=True, order=True)
class StreamToken:
    room: int = 0
    presence: int = 0
    typing: int = 0
    receipt: int = 0
    account_data: int = 0
    to_device: int = 0
    device_list: int = 0

    @classmethod
    def parse(cls, text: str) -> StreamToken:
        # The syncs one change wakes come back with the same next_batch: parsed once.
        token = _PARSED.get(text)
        if token is None:
            match = _STREAM_RE.fullmatch(text)
            if match is None:
                raise invalid_param(f"Invalid stream token: {text!r}")
            token = cls._from_tail(match.group(1))
            if len(_PARSED) >= _PARSED_KEPT:
                _PARSED.clear()
            _PARSED[text] = token
        return token

    @classmethod
    def _from_tail(cls, tail: str) -> StreamToken:
        parts = [int(part) for part in tail.split("_")]
        parts += [0] * (ALL_PARTS - len(parts))
        return cls(*parts)

    def parts(self) -> tuple[int, ...]:
        # Spelled out: every sync parses, checks and formats tokens, and building
        # the tuple from dataclasses.fields() was a visible share of a sync's time.
        return (
            self.room,
            self.presence,
            self.typing,
            self.receipt,
            self.account_data,
            self.to_device,
            self.device_list,
        )

    def format(self, parts: int = ALL_PARTS) -> str:
        return "s" + self._tail(parts)

    def _tail(self, parts: int) -> str:
        # The two forms every answer carries, as one f-string each: str.join over a
        # generator cost a woken sync more than a microsecond per token.
        if parts == ALL_PARTS:
            return (
                f"{self.room}_{self.presence}_{self.typing}_"
                f"{self.receipt}_{self.account_data}_{self.to_device}_{self.device_list}"
            )
        if parts == SEED_PARTS:
            return f"{self.room}_{self.presence}_{self.typing}"
        return "_".join(str(part) for part in self.parts()[:parts])

    def within(self, current: StreamToken) -> bool:
        """True if every component is at or before ``current``'s."""
        return (
            self.room <= current.room
            and self.presence <= current.presence
            and self.typing <= current.typing
            and self.receipt <= current.receipt
            and self.account_data <= current.account_data
            and self.to_device <= current.to_device
            and self.device_list <= current.device_list
        )

    def advance(
        self,
        *,
        room: int | None = None,
        presence: int | None = None,
        typing: int | None = None,
        receipt: int | None = None,
        account_data: int | None = None,
        to_device: int | None = None,
        device_list: int | None = None,
    ) -> StreamToken:
        """This position with the given streams moved (``dataclasses.replace``, three times faster)."""
        return StreamToken(
            self.room if room is None else room,
            self.presence if presence is None else presence,
            self.typing if typing is None else typing,
            self.receipt if receipt is None else receipt,
            self.account_data if account_data is None else account_data,
            self.to_device if to_device is None else to_device,
            self.device_list if device_list is None else device_list,
        )


@dataclass(frozen=True, slots=True)
class RoomToken:
    depth: int
    position: StreamToken

    @property
    def stream(self) -> int:
        return self.position.room

    @classmethod
    def parse(cls, text: str) -> RoomToken:
        match = _ROOM_RE.fullmatch(text)
        if match is None:
            raise invalid_param(f"Invalid pagination token: {text!r}")
        return cls(int(match.group(1)), StreamToken._from_tail(match.group(2)))

    def format(self, parts: int = ALL_PARTS) -> str:
        return f"t{self.depth}-" + self.position._tail(parts)


def parse_position(text: str) -> StreamToken | RoomToken:
    """A ``from``/``to`` of ``/messages``: either kind of token."""
    if text.startswith("t"):
        return RoomToken.parse(text)
    return StreamToken.parse(text)
