"""Mounting control endpoints: no Matrix access token, but the control token when one is set.

A control endpoint is declared like a client one (``api.routing.endpoint``)
and its handler receives a :class:`~mockserver.api.routing.Call` whose
``session`` is ``None``: the control API acts *as* users named in the body,
never as the caller. With ``control_token`` set, each call must carry
``Authorization: Bearer <control_token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import replace

from starlette.requests import Request

from mockserver.api.routing import Call, Endpoint, Handler, MatrixRoute, Reply, mount
from mockserver.core.errors import M_MISSING_TOKEN, M_UNKNOWN_TOKEN, MatrixError

PREFIX = "/_mock"


def check_control_token(request: Request, expected: str | None) -> None:
    if expected is None:
        return
    header = request.headers.get("authorization")
    if header is None:
        raise MatrixError(M_MISSING_TOKEN, "The control API needs the control token")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), expected.encode()
    ):
        raise MatrixError(M_UNKNOWN_TOKEN, "Wrong control token", soft_logout=False)


def mount_control(endpoints: Sequence[Endpoint], token: str | None) -> list[MatrixRoute]:
    """Routes for ``endpoints`` under ``/_mock``, guarded by ``token`` when it is set."""
    guarded = [
        replace(item, handler=_guarded(item.handler, token), public=True) for item in endpoints
    ]
    return mount(PREFIX, guarded)


def _guarded(handler: Handler, token: str | None) -> Handler:
    async def run(call: Call) -> Reply:
        check_control_token(call.request, token)
        return await handler(call)

    run.__name__ = handler.__name__
    return run
