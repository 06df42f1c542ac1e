"""Query strings are read as Starlette reads them (``parse_qsl``, blank values kept)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from mockserver.api.params import parse_query, query_pairs

QUERY_TEXT = st.text(alphabet="ab=&+%2F0é ;", max_size=30)


@given(QUERY_TEXT)
def test_parse_query_is_parse_qsl(text: str) -> None:
    assert parse_query(text) == parse_qsl(text, keep_blank_values=True)


def test_query_pairs_are_parsed_once_per_request() -> None:
    scope = {"type": "http", "query_string": b"since=s1_2&timeout=0&flag&since=s3"}
    first = query_pairs(scope)
    assert first == [("since", "s1_2"), ("timeout", "0"), ("flag", ""), ("since", "s3")]
    assert query_pairs(scope) is first
