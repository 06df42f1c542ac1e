"""Who is calling: the access token from the header or the query string."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.core.errors import M_MISSING_TOKEN, M_UNKNOWN_TOKEN, MatrixError
from mockserver.core.model import Session
from mockserver.core.store import Store


def access_token(request: Request) -> str | None:
    """The token a request carries; header and query must agree when both are given."""
    header = request.headers.get("authorization")
    from_header = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise MatrixError(M_UNKNOWN_TOKEN, "Invalid Authorization header", soft_logout=False)
        from_header = value.strip()
    from_query = request.query_params.get("access_token")
    if from_header is not None and from_query is not None and from_header != from_query:
        raise MatrixError(
            M_UNKNOWN_TOKEN, "Access tokens in header and query disagree", soft_logout=False
        )
    return from_header if from_header is not None else from_query


def authenticate(request: Request, store: Store) -> Session:
    token = access_token(request)
    if token is None:
        raise MatrixError(M_MISSING_TOKEN, "Missing access token")
    session = store.session_for(token)
    if session is None:
        raise MatrixError(M_UNKNOWN_TOKEN, "Unknown access token", soft_logout=False)
    return session
