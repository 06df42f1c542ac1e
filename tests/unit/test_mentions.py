"""Unit tests of mockserver.core.mentions: who a message highlights."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.mentions import mention_index, mentioned

JOINED = [("@alice:hs", "Alice"), ("@bob:hs", "Me"), ("@carol:hs", None), ("@dan:hs", "Alice")]


def who(content: dict[str, Any], sender: str = "@alice:hs", *, may_notify: bool = True) -> list[str]:
    return mentioned(
        content, sender, lambda: JOINED, lambda: mention_index(JOINED), lambda: may_notify
    )


def test_the_index_names_members_by_lowercased_name_and_localpart() -> None:
    index = mention_index([*JOINED, ("@erin:hs", "Dr. Erin"), ("@fay:hs", "Fay Lee")])
    assert index.words == {
        "alice": ("@alice:hs", "@dan:hs"),
        "bob": ("@bob:hs",),
        "me": ("@bob:hs",),
        "carol": ("@carol:hs",),
        "dan": ("@dan:hs",),
        "erin": ("@erin:hs",),
        "fay": ("@fay:hs",),
    }
    assert index.phrases == {"dr. erin": ("@erin:hs",), "fay lee": ("@fay:hs",)}


def test_names_of_several_words_are_searched_as_phrases() -> None:
    joined = [("@alice:hs", None), ("@f:hs", "Fay Lee")]
    index = mention_index(joined)
    assert mentioned({"body": "ping fay lee!"}, "@alice:hs", lambda: joined, lambda: index, lambda: True) == ["@f:hs"]
    assert mentioned({"body": "fay leek"}, "@alice:hs", lambda: joined, lambda: index, lambda: True) == []


@pytest.mark.parametrize(
    "body, expected",
    [
        ("Message", []),
        ("hi me!", ["@bob:hs"]),
        ("CAROL?", ["@carol:hs"]),
        ("ALICE", ["@dan:hs"]),  # the sender is never highlighted
        ("@carol:hs look", ["@carol:hs"]),
        ("carolina", []),
        ("", []),
    ],
)
def test_legacy_body_mentions_are_whole_words_in_any_case(body: str, expected: list[str]) -> None:
    assert who({"body": body}) == expected


def test_m_mentions_turn_the_body_rules_off() -> None:
    assert who({"body": "carol", "m.mentions": {}}) == []
    assert who({"body": "x", "m.mentions": {"user_ids": ["@carol:hs", "@alice:hs", 3]}}) == [
        "@carol:hs"
    ]
    assert who({"body": "carol", "m.mentions": "nonsense"}) == []


def test_room_mentions_need_the_senders_permission() -> None:
    everyone = ["@bob:hs", "@carol:hs", "@dan:hs"]
    assert who({"body": "@room hi"}) == everyone
    assert who({"body": "@room hi"}, may_notify=False) == []
    assert who({"body": "@roommate"}) == []
    assert who({"body": "x", "m.mentions": {"room": True}}) == everyone
    assert who({"body": "x", "m.mentions": {"room": True}}, may_notify=False) == []


def test_phrases_are_filed_under_their_first_word_unless_they_cannot_be() -> None:
    index = mention_index(
        [("@a:hs", "Fay Lee"), ("@b:hs", "Fay-Ray"), ("@c:hs", "[bot] Carl"), ("@d:hs", "Ann* B")]
    )
    assert index.headed == {"fay": ("fay lee", "fay-ray")}
    # Beginning with punctuation, or holding a glob character: searched for in every body.
    assert set(index.unheaded) == {"[bot] carl", "ann* b"}


@pytest.mark.parametrize(
    "body, expected",
    [
        ("hey FAY LEE, look", ["@a1:hs"]),
        ("fay-ray and fay lee", ["@a1:hs", "@b1:hs"]),
        ("fayly lee", []),  # the first word must be the body's whole word
        ("xfay lee", []),
        ("ping [BOT] carl", ["@c1:hs"]),
        ("ann* b!", ["@d1:hs"]),
    ],
)
def test_phrases_are_found_under_their_first_word_or_searched_for(
    body: str, expected: list[str]
) -> None:
    joined = [
        ("@s:hs", None),
        ("@a1:hs", "Fay Lee"),
        ("@b1:hs", "Fay-Ray"),
        ("@c1:hs", "[bot] Carl"),
        ("@d1:hs", "Ann* B"),
    ]
    index = mention_index(joined)
    assert mentioned({"body": body}, "@s:hs", lambda: joined, lambda: index, lambda: True) == expected
