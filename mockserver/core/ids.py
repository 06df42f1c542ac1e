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

class _Alphabet:
    """:meth:`bytes.translate` arguments taking the top byte of a 32-bit draw to a letter.

    ``random.choice`` over ``letters`` keeps the draw's top ``bits`` bits (the
    bit length of the alphabet's size) when they index a letter, and rejects them
    otherwise.
    """

    def __init__(self, letters: str) -> None:
        shift = 8 - len(letters).bit_length()
        kept = [b >> shift < len(letters) for b in range(256)]
        self.table = bytes(ord(letters[b >> shift]) if kept[b] else 0 for b in range(256))
        self.rejected = bytes(b for b in range(256) if not kept[b])


_LETTERS = _Alphabet(string.ascii_letters)
_DEVICE_LETTERS = _Alphabet(string.ascii_uppercase)

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

    def _text(self, length: int, alphabet: _Alphabet = _LETTERS) -> str:
        # The characters random.choice(alphabet) would draw, so a seed gives the ids it
        # always gave, without a Python-level step per character (an event id is drawn
        # per send). choice draws getrandbits(bits), the top bits of one 32-bit output of
        # the generator, until one is below the alphabet's size. getrandbits(32 * n)
        # holds the next n outputs, least significant first: the top byte of each is
        # every fourth byte, mapped to its letter or deleted (rejected) by translate.
        # Drawing as many outputs as characters are missing never draws past the last
        # one that choice would have drawn.
        draw = self._random.getrandbits
        text = b""
        while len(text) < length:
            missing = length - len(text)
            tops = draw(32 * missing).to_bytes(4 * missing, "little")[3::4]
            text += tops.translate(alphabet.table, alphabet.rejected)
        return text.decode("ascii")

    def room_id(self) -> str:
        return f"!{self._text(18)}:{self.server_name}"

    def event_id(self) -> str:
        return f"${self._text(24)}:{self.server_name}"

    def event_ids(self, count: int) -> list[str]:
        """The next ``count`` event ids, as ``count`` calls of :meth:`event_id` would give
        them (the characters are drawn in one go: a bulk import's ids)."""
        text = self._text(24 * count)
        suffix = f":{self.server_name}"
        return [f"${text[i : i + 24]}{suffix}" for i in range(0, 24 * count, 24)]

    def device_id(self) -> str:
        return self._text(10, _DEVICE_LETTERS)

    def session_id(self) -> str:
        return self._text(24)

    def media_id(self) -> str:
        """The media id of an ``mxc://`` URI: 24 letters, as Synapse's."""
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
