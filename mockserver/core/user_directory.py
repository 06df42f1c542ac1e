"""``POST /user_directory/search``: who a user can find, as Synapse's default finds them.

With Synapse's default ``user_directory.search_all_users: false``, a user
finds the users who share a room with them (not counting themself) and
everyone joined to a public room (join rule ``public`` or history
``world_readable``). Deactivated users are never found.

Matching: each word of the search term must start a word of the user's id
or display name, ignoring case. Ranking follows the factors of Synapse's
query: sharing a room with the searcher counts four times, a display name
and an avatar 1.2 times each, and a word matched whole three times over one
matched by prefix; ties go to users with a display name, then an avatar,
then by user id, so answers are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mockserver.core.model import User
from mockserver.core.room import Room
from mockserver.core.room_summary import is_world_readable, join_rule_now

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Found:
    user_id: str
    display_name: str | None
    avatar_url: str | None


def _is_public(room: Room) -> bool:
    return join_rule_now(room) == "public" or is_world_readable(room)


def _joined(room: Room) -> set[str]:
    return {e.state_key for e in room.members("join") if e.state_key is not None}


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _score(query: list[str], user: User, shares_room: bool) -> float | None:
    tokens = words(user.user_id) + words(user.displayname or "")
    rank = 0.0
    for word in query:
        if word in tokens:
            rank += 3.0
        elif any(token.startswith(word) for token in tokens):
            rank += 1.0
        else:
            return None
    factor = (4.0 if shares_room else 1.0) * (1.2 if user.displayname else 1.0)
    return factor * (1.2 if user.avatar_url else 1.0) * rank


def search_users(
    searcher: str,
    term: str,
    limit: int,
    users: Mapping[str, User],
    rooms: Iterable[Room],
    searcher_rooms: Iterable[Room],
) -> tuple[list[Found], bool]:
    """The best ``limit`` matches and whether there were more."""
    query = words(term)
    if not query:
        return [], False
    in_public: set[str] = set()
    for room in rooms:
        if _is_public(room):
            in_public |= _joined(room)
    sharing: set[str] = set()
    for room in searcher_rooms:
        sharing |= _joined(room)
    sharing.discard(searcher)
    scored: list[tuple[float, bool, bool, str]] = []
    for user_id in in_public | sharing:
        user = users.get(user_id)
        if user is None or user.deactivated:
            continue
        score = _score(query, user, user_id in sharing)
        if score is not None:
            scored.append((-score, user.displayname is None, user.avatar_url is None, user_id))
    scored.sort()
    found = [
        Found(user_id, users[user_id].displayname, users[user_id].avatar_url)
        for *_, user_id in scored[:limit]
    ]
    return found, len(scored) > limit
