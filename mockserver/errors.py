"""The one place a Matrix error becomes an HTTP response.

Handlers and the domain raise :class:`~mockserver.core.errors.MatrixError`;
Starlette's own 404/405 become ``M_UNRECOGNIZED``; anything unexpected is
logged and answered with ``500 M_UNKNOWN`` and no traceback in the body.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from mockserver.core.errors import M_UNKNOWN, M_UNRECOGNIZED, MatrixError
from mockserver.responses import OrjsonResponse

log = logging.getLogger("mockserver")


def render(error: MatrixError) -> Response:
    return OrjsonResponse(error.body(), status_code=error.status, headers=error.headers)


def error_response(scope: Scope, exc: Exception) -> Response:
    """The answer to an exception raised while serving ``scope``, before an answer started."""
    if isinstance(exc, MatrixError):
        return render(exc)
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    request = Request(scope)
    log.exception("Internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(MatrixError(M_UNKNOWN, "Internal server error", status=500))


def _http_error(exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return render(
            MatrixError(
                M_UNRECOGNIZED,
                "Unrecognized request: method not allowed",
                status=405,
                headers=dict(exc.headers or {}),
            )
        )
    if exc.status_code == 404:
        return render(MatrixError(M_UNRECOGNIZED, "Unrecognized request", status=404))
    return render(MatrixError(M_UNKNOWN, str(exc.detail), status=exc.status_code))
