"""Who a message highlights: the mention rules of Synapse's default push rules.

- An event with ``m.mentions`` (spec v1.7, intentional mentions) highlights the joined
  members its ``user_ids`` name (``.m.rule.is_user_mention``) and, with ``"room": true``,
  everyone (``.m.rule.is_room_mention``); the legacy body rules are then off.
- Without it, the legacy rules read the body: a member's display name
  (``.m.rule.contains_display_name``) or localpart (``.m.rule.contains_user_name``) as a
  whole word, in any case, and ``@room`` (``.m.rule.roomnotif``) for everyone.
- A room mention counts only from a sender whose power level reaches the room's
  ``notifications.room`` level (50 by default).

The sender is never highlighted. The unread counts of ``/sync`` use this; a user's own
push rules are read by :mod:`mockserver.core.push_rules` for ``/notifications``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.push_rules import glob_matches

#: A word of a message's body, as the rules' word boundaries cut them.
WORD = re.compile(r"\w+")


#: A phrase that starts with a word followed by a character neither of a word nor of a
#: glob: a body holds it (as whole words) only where that first word is one of the body's
#: words. A glob character (``*``, ``?``) could stand for more of the word, so a phrase
#: with one is searched for in every body.
_HEADED = re.compile(r"(\w+)[^\w*?][^*?]*")


@dataclass(frozen=True, slots=True)
class MentionIndex:
    """A room's joined members by what names them in a message (lowercased): ``words``
    holds the display names and localparts that are one word, found among a body's words
    by a set lookup; ``phrases`` the others (spaces, punctuation). A phrase that begins
    with a word and has no glob character is filed in ``headed`` under that first word:
    it can only be in a body (as whole words) where that word is one of the body's, so a
    room of 10,000 "User N" names is not searched 10,000 times per message. The others
    (``unheaded``) are searched for in every body."""

    words: Mapping[str, tuple[str, ...]]
    phrases: Mapping[str, tuple[str, ...]]
    headed: Mapping[str, tuple[str, ...]]
    unheaded: tuple[str, ...]


def mention_index(joined: Iterable[tuple[str, str | None]]) -> MentionIndex:
    """The index of ``(user_id, display_name)`` pairs of a room's joined members."""
    words: dict[str, list[str]] = {}
    phrases: dict[str, list[str]] = {}
    for user_id, name in joined:
        localpart = user_id[1:].split(":", 1)[0]
        for needle in {localpart.lower(), name.lower()} if name else {localpart.lower()}:
            if needle:
                kept = words if WORD.fullmatch(needle) else phrases
                kept.setdefault(needle, []).append(user_id)
    headed: dict[str, list[str]] = {}
    unheaded: list[str] = []
    for needle in phrases:
        found = _HEADED.fullmatch(needle)
        if found is None:
            unheaded.append(needle)
        else:
            headed.setdefault(found.group(1), []).append(needle)
    return MentionIndex(
        {needle: tuple(users) for needle, users in words.items()},
        {needle: tuple(users) for needle, users in phrases.items()},
        {head: tuple(needles) for head, needles in headed.items()},
        tuple(unheaded),
    )


def mentioned(
    content: Mapping[str, Any],
    sender: str,
    joined: Callable[[], Iterable[tuple[str, str | None]]],
    index: Callable[[], MentionIndex],
    may_notify_room: Callable[[], bool],
) -> list[str]:
    """The joined members (in ``joined`` order) a message with ``content`` highlights.

    ``joined`` gives the members and names, ``index`` their :data:`MentionIndex`,
    ``may_notify_room`` whether the sender may mention the whole room; each is asked only
    when needed, so a message naming no one costs one pass over the index in C.
    """
    mentions = content.get("m.mentions")
    if "m.mentions" in content:
        if not isinstance(mentions, Mapping):
            return []
        user_ids = mentions.get("user_ids")
        named = {u for u in user_ids if isinstance(u, str)} if isinstance(user_ids, list) else set()
        everyone = mentions.get("room") is True
    else:
        body = content.get("body")
        if not isinstance(body, str) or not body:
            return []
        lowered = body.lower()
        everyone = "@room" in lowered and glob_matches("@room", body, words=True)
        named = set()
        if not everyone:
            members = index()
            body_words = set(WORD.findall(lowered))
            # A one-word name matches exactly when it is one of the body's words.
            for needle in members.words.keys() & body_words:
                named.update(members.words[needle])
            headed = members.headed
            for word in headed.keys() & body_words:  # (a set operation in C, as above)
                for needle in filter(lowered.__contains__, headed[word]):
                    if glob_matches(needle, body, words=True):
                        named.update(members.phrases[needle])
            for needle in filter(lowered.__contains__, members.unheaded):
                if glob_matches(needle, body, words=True):
                    named.update(members.phrases[needle])
    if everyone and may_notify_room():
        return [user_id for user_id, _ in joined() if user_id != sender]
    named.discard(sender)
    if not named:
        return []
    return [user_id for user_id, _ in joined() if user_id in named]
