"""Who is calling: the access token from the header or the query string."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from mockserver.api.params import query_pairs
from mockserver.core.errors import M_MISSING_TOKEN, M_UNKNOWN_TOKEN, MatrixError
from mockserver.core.model import Session
from mockserver.core.store import Store


def access_token(request: Request) -> str | None:
    """The token a request carries; header and query must agree when both are given."""
    return scope_access_token(request.scope)


#: Where :func:`scope_access_token` keeps its answer (or refusal) for the request.
TOKEN_KEY = "mockserver.access_token"


def scope_access_token(scope: Scope) -> str | None:
    """:func:`access_token` read straight from the ASGI scope, once per request.

    The same answer as asking a Starlette ``Request`` for its ``authorization``
    header (the first one) and its ``access_token`` query parameter (the last
    one), without building the request's header and query objects: every
    request asks this, the traffic middleware first, and building them cost
    more than the rest of the lookup. The answer, or the error, is kept in
    the scope for the second asker.
    """
    known: str | MatrixError | None = scope.get(TOKEN_KEY, _UNREAD)
    if known is _UNREAD:
        try:
            known = _read_access_token(scope)
        except MatrixError as error:
            known = error
        scope[TOKEN_KEY] = known
    if isinstance(known, MatrixError):
        raise known
    return known


_UNREAD: Any = object()


def _read_access_token(scope: Scope) -> str | None:
    from_header = None
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise MatrixError(
                    M_UNKNOWN_TOKEN, "Invalid Authorization header", soft_logout=False
                )
            from_header = token.strip()
            break
    from_query = _query_token(scope)
    if from_header is not None and from_query is not None and from_header != from_query:
        raise MatrixError(
            M_UNKNOWN_TOKEN, "Access tokens in header and query disagree", soft_logout=False
        )
    return from_header if from_header is not None else from_query


def _query_token(scope: Scope) -> str | None:
    found = None
    for key, value in query_pairs(scope):
        if key == "access_token":
            found = value
    return found


def authenticate(request: Request, store: Store) -> Session:
    token = access_token(request)
    if token is None:
        raise MatrixError(M_MISSING_TOKEN, "Missing access token")
    session = store.session_for(token)
    if session is None:
        raise MatrixError(M_UNKNOWN_TOKEN, "Unknown access token", soft_logout=False)
    return session
