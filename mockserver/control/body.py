"""Control API bodies are strict: a key a route does not take is refused, naming the valid ones.

The client API ignores unknown keys, as real servers do; the control API is
written by test authors, for whom a misspelt ``retry_after`` silently dropped
is a test that checks nothing. Every ``/_mock`` handler with a body reads it
through :func:`control_body`.
"""

from __future__ import annotations

from collections.abc import Collection

from mockserver.api.routing import Call
from mockserver.core.errors import M_BAD_JSON, MatrixError
from mockserver.core.model import JsonDict


def check_keys(body: JsonDict, allowed: Collection[str], what: str) -> None:
    """Refuse ``body`` (M_BAD_JSON) if it has a key not in ``allowed``."""
    unknown = [key for key in body if key not in allowed]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        valid = ", ".join(sorted(allowed)) or "none"
        raise MatrixError(
            M_BAD_JSON,
            f"Unknown key{'s' if len(unknown) > 1 else ''} {names} in {what}; "
            f"the valid keys are: {valid}",
            unknown_keys=unknown,
            valid_keys=sorted(allowed),
        )


async def control_body(
    call: Call, allowed: Collection[str], *, canonical: bool = True
) -> JsonDict:
    """The call's JSON object body, refused if it has a key the route does not take.

    ``canonical=False`` lets any JSON number through (see ``Call.json``).
    """
    body = await call.json(canonical=canonical)
    request = call.request
    check_keys(body, allowed, f"the body of {request.method} {request.url.path}")
    return body
