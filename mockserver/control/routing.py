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

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.routing import Call, Endpoint, MatrixRoute, render
from mockserver.core.errors import M_MISSING_TOKEN, M_UNKNOWN_TOKEN, MatrixError
from mockserver.homeserver import Homeserver

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
    return [_route(item, token) for item in endpoints]


def _route(item: Endpoint, token: str | None) -> MatrixRoute:
    async def run(request: Request) -> Response:
        check_control_token(request, token)
        hs: Homeserver = request.app.state.homeserver
        return render(await item.handler(Call(request, hs, None, request.path_params)))

    run.__name__ = item.handler.__name__
    return MatrixRoute(PREFIX + item.path, run, methods=list(item.methods), name=None)
