"""Stream (``s…``) and pagination (``t…``) tokens: the grammar, both lengths, and refusals."""

from __future__ import annotations

import pytest

from mockserver.core.errors import M_INVALID_PARAM, MatrixError
from mockserver.core.tokens import (
    ALL_PARTS,
    SEED_PARTS,
    RoomToken,
    StreamToken,
    parse_position,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s0_0_0", StreamToken()),
        ("s72594_4483_1934", StreamToken(72594, 4483, 1934)),
        ("s1_2_3_4", StreamToken(1, 2, 3, 4)),
        ("s1_2_3_4_5", StreamToken(1, 2, 3, 4, 5)),
        ("s1_2_3_4_5_6", StreamToken(1, 2, 3, 4, 5, 6)),
        ("s1_2_3_4_5_6_7", StreamToken(1, 2, 3, 4, 5, 6, 7)),
    ],
)
def test_stream_token_parses_three_to_seven_parts(text: str, expected: StreamToken) -> None:
    assert StreamToken.parse(text) == expected


def test_stream_token_formats_seed_and_full_forms() -> None:
    token = StreamToken(72595, 4483, 1934, 7, 8, 9, 10)
    assert token.format(SEED_PARTS) == "s72595_4483_1934"
    assert token.format() == token.format(ALL_PARTS) == "s72595_4483_1934_7_8_9_10"
    assert StreamToken.parse(token.format()) == token


def test_six_part_token_from_before_the_device_list_stream_still_parses() -> None:
    token = StreamToken.parse("s1_2_3_4_5_6")
    assert token.device_list == 0
    assert token.format() == "s1_2_3_4_5_6_0"


def test_seed_form_round_trips_with_missing_parts_as_zero() -> None:
    token = StreamToken.parse("s5_6_7")
    assert (token.receipt, token.account_data, token.to_device) == (0, 0, 0)
    assert token.format(SEED_PARTS) == "s5_6_7"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "s",
        "s1",
        "s1_2",  # too few parts
        "s1_2_3_4_5_6_7_8",  # too many parts
        "s01_2_3",  # leading zero
        "s-1_2_3",  # sign
        "s+1_2_3",
        "s1_2_3_",
        "s1__2_3",
        "S1_2_3",
        " s1_2_3",
        "s1_2_3 ",
        "s1_2_3\n",
        "t1-2_3_4",  # a pagination token is not a stream token
        "1_2_3",
        "s1.0_2_3",
        "s1_2_x",
        "s" + "9" * 19 + "_0_0",  # absurdly large
        "s1_2_3_4_5_6_7_8_9_10",  # today's Synapse shape: foreign
        "MDAwMDAwMDAwMDE",  # random opaque text
    ],
)
def test_stream_token_rejects_malformed_and_foreign(text: str) -> None:
    with pytest.raises(MatrixError) as caught:
        StreamToken.parse(text)
    assert caught.value.errcode == M_INVALID_PARAM
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("text", "depth", "position"),
    [
        ("t34-23535_0_0", 34, StreamToken(23535)),
        ("t0-0_0_0", 0, StreamToken()),
        ("t3-7_1_2_3_4_5", 3, StreamToken(7, 1, 2, 3, 4, 5)),
    ],
)
def test_room_token_parses(text: str, depth: int, position: StreamToken) -> None:
    token = RoomToken.parse(text)
    assert token.depth == depth
    assert token.position == position
    assert token.stream == position.room


def test_room_token_formats_seed_and_full_forms() -> None:
    token = RoomToken(34, StreamToken(23535, 1, 2, 3, 4, 5, 6))
    assert token.format(SEED_PARTS) == "t34-23535_1_2"
    assert token.format() == "t34-23535_1_2_3_4_5_6"
    assert RoomToken.parse(token.format()) == token


@pytest.mark.parametrize(
    "text",
    [
        "t1_2_3",
        "t-2_3_4",
        "t1-2_3",
        "t01-2_3_4",
        "tx-1_2_3",
        "s1_2_3",
        "t1-2_3_4_5_6_7_8_9",
        "t1--2_3_4",
        "t1-2_3_4\n",
    ],
)
def test_room_token_rejects_malformed(text: str) -> None:
    with pytest.raises(MatrixError) as caught:
        RoomToken.parse(text)
    assert caught.value.errcode == M_INVALID_PARAM


def test_parse_position_accepts_either_kind() -> None:
    assert parse_position("s1_2_3") == StreamToken(1, 2, 3)
    assert parse_position("t4-1_2_3") == RoomToken(4, StreamToken(1, 2, 3))
    with pytest.raises(MatrixError):
        parse_position("x1_2_3")


def test_within_compares_every_component() -> None:
    current = StreamToken(10, 5, 3, 2, 1, 0)
    assert StreamToken(10, 5, 3).within(current)
    assert StreamToken().within(current)
    assert not StreamToken(11, 0, 0).within(current)
    assert not StreamToken(0, 6, 0).within(current)
    assert not StreamToken(0, 0, 0, 0, 0, 1).within(current)


def test_advance_changes_only_the_named_stream() -> None:
    token = StreamToken(1, 2, 3)
    assert token.advance(room=9) == StreamToken(9, 2, 3)
    assert token == StreamToken(1, 2, 3)
