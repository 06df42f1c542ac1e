"""Identifiers: seedable for everything a response shows, secret for tokens.

Room ids, event ids, device ids and session ids come from a seeded
generator, so two servers fed the same scenario give byte-identical
responses. Access tokens come from :mod:`secrets` unless a scenario fixes
them, because they grant access to the server.
"""

from __future__ import annotations

import random
import re
import secrets
import string

_ALPHABET = string.ascii_letters
_DEVICE_ALPHABET = string.ascii_uppercase

USER_LOCALPART = re.compile(r"^[a-z0-9._=/+\-]+$")
MAX_USER_ID_LENGTH = 255


class Ids:
    def __init__(self, server_name: str, seed: int | str = 0) -> None:
        self.server_name = server_name
        self._seed = seed
        self._random = random.Random(str(seed))

    def reseed(self, seed: int | str | None = None) -> None:
        if seed is not None:
            self._seed = seed
        self._random = random.Random(str(self._seed))

    def _text(self, length: int, alphabet: str = _ALPHABET) -> str:
        # random.choice(alphabet) per character, without its two Python-level calls per
        # draw: the same rejection sampling on getrandbits, so the same ids for a seed.
        size = len(alphabet)
        bits = size.bit_length()
        draw = self._random.getrandbits
        chars: list[str] = []
        while len(chars) < length:
            index = draw(bits)
            if index < size:
                chars.append(alphabet[index])
        return "".join(chars)

    def room_id(self) -> str:
        return f"!{self._text(18)}:{self.server_name}"

    def event_id(self) -> str:
        return f"${self._text(24)}:{self.server_name}"

    def device_id(self) -> str:
        return self._text(10, _DEVICE_ALPHABET)

    def session_id(self) -> str:
        return self._text(24)

    @staticmethod
    def access_token() -> str:
        return "syt_" + secrets.token_urlsafe(24)


def user_id(localpart: str, server_name: str) -> str:
    return f"@{localpart}:{server_name}"


def is_user_id(value: str) -> bool:
    return _is_sigil_id(value, "@")


def is_room_id(value: str) -> bool:
    return _is_sigil_id(value, "!")


def is_room_alias(value: str) -> bool:
    return _is_sigil_id(value, "#")


def is_event_id(value: str) -> bool:
    # Room versions 3+ use ids without a server part, so only the sigil is fixed.
    return len(value) > 1 and value.startswith("$") and len(value) <= 255


def _is_sigil_id(value: str, sigil: str) -> bool:
    if not value.startswith(sigil) or len(value) > MAX_USER_ID_LENGTH:
        return False
    localpart, sep, server = value[1:].partition(":")
    return bool(sep and localpart and server)
