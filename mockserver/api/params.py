"""Reading query parameters and JSON bodies, and refusing bad ones.

Every reader raises a :class:`MatrixError` naming the parameter; unknown
parameters are never looked at, so they are ignored as real servers do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Scope

from mockserver.core.canonical import MAX_DEPTH, find_problem, may_break_rules
from mockserver.core.errors import (
    M_BAD_JSON,
    M_INVALID_PARAM,
    M_MISSING_PARAM,
    M_NOT_JSON,
    M_TOO_LARGE,
    MatrixError,
)
from mockserver.core.ids import is_room_id, is_user_id
from mockserver.core.model import JsonDict

MAX_BODY_BYTES = 1024 * 1024
#: Set in the scope by a handler whose body is binary (an upload) before it reads it:
#: the journal then records the body's size and none of its bytes.
BINARY_BODY = "mockserver.binary_body"
#: A query integer as Synapse's parse_integer takes it: ASCII digits, optional minus.
_INTEGER = re.compile(r"-?[0-9]+")
T = TypeVar("T")


# -- bodies ----------------------------------------------------------------------------


async def body_bytes(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, read from the ASGI ``receive`` channel (at most ``limit`` bytes).

    A ``Content-Length`` over the limit is refused before anything is read,
    and a body without one as soon as it passes the limit: no body is
    buffered beyond it.

    Read as ``Request.stream()`` reads it (a disconnect raises
    ``ClientDisconnect``), without building the request's headers and an
    async generator: that was half the cost of taking in a send's body.
    """
    for key, value in request.scope["headers"]:
        if key == b"content-length":
            length = value.decode("latin-1")
            if length.isdigit() and (len(length) > 15 or int(length) > limit):
                raise MatrixError(M_TOO_LARGE, "Request body too large")
            break
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise MatrixError(M_TOO_LARGE, "Request body too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


async def json_body(request: Request, *, canonical: bool = True) -> Any:
    """The parsed body; an empty body counts as ``{}`` (clients POST nothing to leave/logout).

    A body that nests deeper than :data:`~mockserver.core.canonical.MAX_DEPTH`
    or (unless ``canonical`` is off, for the control API's own settings)
    holds a number canonical JSON forbids is ``400 M_BAD_JSON``.
    """
    cached = request.scope.get("mockserver.json", _MISSING)
    if cached is not _MISSING:
        return cached
    value = parse_json(await body_bytes(request), canonical=canonical)
    request.scope["mockserver.json"] = value
    return value


def parse_json(raw: bytes, *, canonical: bool = True) -> Any:
    """A body's bytes parsed and checked as :func:`json_body` takes them."""
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MatrixError(M_NOT_JSON, "Content not JSON.") from None
    if may_break_rules(raw):
        problem = find_problem(value, MAX_DEPTH, numbers=canonical)
        if problem is not None:
            raise MatrixError(M_BAD_JSON, problem.problem)
    return value


def json_object_of(value: Any) -> JsonDict:
    """A parsed body that must be an object."""
    if not isinstance(value, dict):
        raise MatrixError(M_BAD_JSON, "Content must be a JSON object.")
    return value


async def json_object(request: Request, *, canonical: bool = True) -> JsonDict:
    return json_object_of(await json_body(request, canonical=canonical))


_MISSING: Any = object()


def _wrong(key: str, kind: str) -> MatrixError:
    return MatrixError(M_BAD_JSON, f"'{key}' must be {kind}")


def required(body: Mapping[str, Any], key: str, kind: type[T]) -> T:
    if key not in body or body[key] is None:
        raise MatrixError(M_MISSING_PARAM, f"Missing '{key}'")
    value: T = field(body, key, kind)
    return value


def field(body: Mapping[str, Any], key: str, kind: type[T], default: Any = None) -> T | Any:
    """An optional body field of one JSON type (``bool`` is not an ``int`` here)."""
    if key not in body or body[key] is None:
        return default
    value = body[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _wrong(key, "an integer")
    if not isinstance(value, kind):
        names = {str: "a string", bool: "a boolean", dict: "an object", list: "a list"}
        raise _wrong(key, names.get(kind, kind.__name__))
    return value


def string_list(body: Mapping[str, Any], key: str) -> list[str]:
    value = field(body, key, list, [])
    if not all(isinstance(item, str) for item in value):
        raise _wrong(key, "a list of strings")
    return list(value)


# -- query parameters ------------------------------------------------------------------

#: Where :func:`query_pairs` and :func:`query_params` keep their answers for the request.
QUERY_KEY = "mockserver.query"
PARAMS_KEY = "mockserver.query_params"


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The query string's ``(name, value)`` pairs, parsed as Starlette parses them.

    Parsed once per request and kept in the scope: the access token, the
    journal and the handler's :attr:`~mockserver.api.routing.Call.query`
    all read them.
    """
    pairs: list[tuple[str, str]] | None = scope.get(QUERY_KEY)
    if pairs is None:
        query_string: bytes = scope.get("query_string", b"")
        pairs = parse_query(query_string.decode("latin-1")) if query_string else []
        scope[QUERY_KEY] = pairs
    return pairs


def parse_query(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, quicker when nothing needs decoding."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    return [(name, value) for name, _, value in (f.partition("=") for f in text.split("&") if f)]


def query_params(scope: Scope) -> dict[str, str]:
    """The query parameters by name; a repeated one has its last value (as in Starlette)."""
    params: dict[str, str] | None = scope.get(PARAMS_KEY)
    if params is None:
        params = scope[PARAMS_KEY] = dict(query_pairs(scope))
    return params


def query_int(
    query: Mapping[str, str],
    key: str,
    default: int | None = None,
    *,
    minimum: int | None = None,
) -> int | None:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    if not _INTEGER.fullmatch(raw):
        raise MatrixError(M_INVALID_PARAM, f"Query parameter '{key}' must be an integer")
    value = int(raw) if len(raw) <= 20 else 2**64
    if abs(value) > 2**53:
        raise MatrixError(M_INVALID_PARAM, f"Query parameter '{key}' is out of range")
    if minimum is not None and value < minimum:
        raise MatrixError(M_INVALID_PARAM, f"Query parameter '{key}' must be at least {minimum}")
    return value


def query_bool(query: Mapping[str, str], key: str, default: bool = False) -> bool:
    raw = query.get(key)
    if raw is None:
        return default
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise MatrixError(M_INVALID_PARAM, f"Query parameter '{key}' must be 'true' or 'false'")


def query_choice(
    query: Mapping[str, str], key: str, choices: tuple[str, ...], default: str | None = None
) -> str | None:
    raw = query.get(key)
    if raw is None:
        return default
    if raw not in choices:
        raise MatrixError(
            M_INVALID_PARAM, f"Query parameter '{key}' must be one of {', '.join(choices)}"
        )
    return raw


# -- ids in paths and bodies -----------------------------------------------------------


def user_id(value: str) -> str:
    """``value`` if it is a well-formed user id, else ``M_INVALID_PARAM``."""
    if not is_user_id(value):
        raise MatrixError(M_INVALID_PARAM, f"{value!r} is not a valid user id")
    return value


def room_id(value: str) -> str:
    """``value`` if it is a well-formed room id, else ``M_INVALID_PARAM``."""
    if not is_room_id(value):
        raise MatrixError(M_INVALID_PARAM, f"{value!r} is not a valid room id")
    return value
