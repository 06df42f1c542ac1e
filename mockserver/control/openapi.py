"""``GET /_mock/openapi.json``: the client API this server serves, as an OpenAPI document.

Made from the running app's route table by :mod:`mockserver.api.openapi`
(the control API itself left out): paths, methods, path parameters, which
routes need a token and which take a body. The fuzz test in ``make test``
is driven by the same document.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mockserver.api.openapi import openapi_document
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.routing import PREFIX


def _client(route: BaseRoute) -> bool:
    return not (isinstance(route, Route) and route.path.startswith(PREFIX))


@endpoint("/openapi.json", "GET", public=True)
async def get_openapi(call: Call) -> Reply:
    table = call.request.scope["app"].table
    return openapi_document([route for route in table.routes if _client(route)])


routes = [get_openapi]
