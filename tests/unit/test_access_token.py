"""Reading the access token straight from the ASGI scope gives what a Starlette Request gives."""

from __future__ import annotations

import itertools

import pytest
from starlette.requests import Request

from mockserver.api.auth import scope_access_token
from mockserver.core.errors import MatrixError

HEADERS = [
    [],
    [(b"authorization", b"Bearer abc")],
    [(b"authorization", b"bearer  abc ")],
    [(b"authorization", b"Basic abc")],
    [(b"authorization", b"Bearer ")],
    [(b"authorization", b"Bearer abc"), (b"authorization", b"Bearer xyz")],
    [(b"host", b"x"), (b"authorization", b"BEARER \xc3\xa9t")],
]
QUERIES = [
    b"",
    b"access_token=abc",
    b"access_token=xyz",
    b"access%5Ftoken=abc",
    b"%61ccess_token=abc",
    b"a=1&access_token=x&access_token=abc",
    b"access_token=",
    b"access_token",
    b"since=s1_2_3&timeout=30000",
    b"access_token=a+b%20c",
]


def through_starlette(scope: dict[str, object]) -> str | None:
    """The reading the scope version replaces: Request.headers and Request.query_params."""
    request = Request(scope)
    header = request.headers.get("authorization")
    from_header = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise MatrixError("M_UNKNOWN_TOKEN", "Invalid Authorization header")
        from_header = value.strip()
    from_query = request.query_params.get("access_token")
    if from_header is not None and from_query is not None and from_header != from_query:
        raise MatrixError("M_UNKNOWN_TOKEN", "Access tokens in header and query disagree")
    return from_header if from_header is not None else from_query


@pytest.mark.parametrize(("headers", "query"), list(itertools.product(HEADERS, QUERIES)))
def test_scope_access_token_reads_what_a_request_reads(
    headers: list[tuple[bytes, bytes]], query: bytes
) -> None:
    scope = {"type": "http", "headers": headers, "query_string": query}

    def outcome(read: object) -> tuple[str, str | None]:
        try:
            return "token", read(scope)  # type: ignore[operator]
        except MatrixError as error:
            return "error", error.errcode

    assert outcome(scope_access_token) == outcome(through_starlette)


def test_the_token_is_read_once_per_request() -> None:
    scope = {"type": "http", "headers": [(b"authorization", b"Bearer first")], "query_string": b""}
    assert scope_access_token(scope) == "first"
    scope["headers"] = [(b"authorization", b"Bearer second")]
    assert scope_access_token(scope) == "first"
    refused = {"type": "http", "headers": [(b"authorization", b"Basic x")], "query_string": b""}
    for _ in range(2):
        with pytest.raises(MatrixError) as error:
            scope_access_token(refused)
        assert error.value.errcode == "M_UNKNOWN_TOKEN"
