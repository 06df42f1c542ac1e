"""Matrix errors as domain values: an errcode, a message and extra fields.

Errcodes are spec vocabulary, so the store and the sync computation raise
:class:`MatrixError` directly. Only ``mockserver.errors`` turns one into an
HTTP response; the status each errcode carries lives here, in one table.
"""

from __future__ import annotations

from typing import Any

M_FORBIDDEN = "M_FORBIDDEN"
M_UNKNOWN_TOKEN = "M_UNKNOWN_TOKEN"
M_MISSING_TOKEN = "M_MISSING_TOKEN"
M_BAD_JSON = "M_BAD_JSON"
M_NOT_JSON = "M_NOT_JSON"
M_NOT_FOUND = "M_NOT_FOUND"
M_LIMIT_EXCEEDED = "M_LIMIT_EXCEEDED"
M_UNRECOGNIZED = "M_UNRECOGNIZED"
M_UNKNOWN = "M_UNKNOWN"
M_USER_IN_USE = "M_USER_IN_USE"
M_INVALID_USERNAME = "M_INVALID_USERNAME"
M_INVALID_PARAM = "M_INVALID_PARAM"
M_MISSING_PARAM = "M_MISSING_PARAM"
M_TOO_LARGE = "M_TOO_LARGE"
M_ROOM_IN_USE = "M_ROOM_IN_USE"
M_BAD_STATE = "M_BAD_STATE"
M_INVALID_ROOM_STATE = "M_INVALID_ROOM_STATE"
M_CANNOT_OVERWRITE_MEDIA = "M_CANNOT_OVERWRITE_MEDIA"
M_NOT_YET_UPLOADED = "M_NOT_YET_UPLOADED"
#: Sliding sync: a ``pos`` this connection was never given, or has forgotten.
M_UNKNOWN_POS = "M_UNKNOWN_POS"
M_THREEPID_NOT_FOUND = "M_THREEPID_NOT_FOUND"
M_USER_DEACTIVATED = "M_USER_DEACTIVATED"

#: The HTTP status that goes with each errcode unless the raiser says otherwise.
STATUS: dict[str, int] = {
    M_FORBIDDEN: 403,
    M_UNKNOWN_TOKEN: 401,
    M_MISSING_TOKEN: 401,
    M_BAD_JSON: 400,
    M_NOT_JSON: 400,
    M_NOT_FOUND: 404,
    M_LIMIT_EXCEEDED: 429,
    M_UNRECOGNIZED: 404,
    M_UNKNOWN: 400,
    M_USER_IN_USE: 400,
    M_INVALID_USERNAME: 400,
    M_INVALID_PARAM: 400,
    M_MISSING_PARAM: 400,
    M_TOO_LARGE: 413,
    M_ROOM_IN_USE: 400,
    M_BAD_STATE: 400,
    M_INVALID_ROOM_STATE: 400,
    M_CANNOT_OVERWRITE_MEDIA: 409,
    M_NOT_YET_UPLOADED: 504,
    M_UNKNOWN_POS: 400,
    M_THREEPID_NOT_FOUND: 400,
    M_USER_DEACTIVATED: 403,
}


class MatrixError(Exception):
    """A request the server refuses, as the spec words it.

    ``extra`` carries the fields some errcodes add to the body
    (``retry_after_ms``, ``soft_logout``, ``flows``...).
    """

    def __init__(
        self,
        errcode: str,
        error: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{errcode}: {error}")
        self.errcode = errcode
        self.error = error
        self.status = status if status is not None else STATUS.get(errcode, 400)
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "error": self.error, **self.extra}


def forbidden(message: str) -> MatrixError:
    return MatrixError(M_FORBIDDEN, message)


def not_found(message: str) -> MatrixError:
    return MatrixError(M_NOT_FOUND, message)


def bad_json(message: str) -> MatrixError:
    return MatrixError(M_BAD_JSON, message)


def invalid_param(message: str) -> MatrixError:
    return MatrixError(M_INVALID_PARAM, message)


def missing_param(message: str) -> MatrixError:
    return MatrixError(M_MISSING_PARAM, message)
