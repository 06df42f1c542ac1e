"""An OpenAPI 3.1 document of the client API, made from the route table.

What a route table knows, and nothing more: each path with its path
parameters, each method served there, whether it needs an access token
(Bearer, or ``access_token`` in the query), and whether it takes a body (a
JSON object for ``POST`` and ``PUT``, the file's bytes for a media upload).
Every answer is documented as JSON, a Matrix error
(``{"errcode": "M_…", "error": "…"}``) unless the status is 2xx; media
downloads answer the file's own type. What the table does not know, the
query parameters and the shapes of bodies and answers, comes from
:mod:`mockserver.api.shapes` (the spec's shapes, written for the main
operations); an operation without one takes any JSON object and answers any
JSON.

The document serves the fuzz test of the client API (``tests/fuzz/``) and
any client developer who wants the list of what mockserver serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute

from mockserver.api import media
from mockserver.api.shapes import INTERACTIVE_AUTH, SHAPES, UIA_ANSWER
from mockserver.api.routing import Endpoint, MatrixRoute
from mockserver.core.model import JsonDict

#: Older prefixes serving the same endpoints as v3: one copy is documented.
ALIASES = ("/_matrix/client/r0/", "/_matrix/client/api/v1/")
#: Endpoints whose body is the file's bytes, not JSON.
RAW_BODY = frozenset({media.post_upload, media.put_upload})
#: Endpoints answering a file of any type.
FILE_ANSWER = frozenset({media.get_download, media.get_thumbnail})
SECURITY_SCHEME = "accessToken"
PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")

ERROR: JsonDict = {
    "type": "object",
    "required": ["errcode", "error"],
    "properties": {
        "errcode": {"type": "string", "pattern": "^M_[A-Z0-9_]+$"},
        "error": {"type": "string"},
    },
}
ERROR_REF: JsonDict = {"$ref": "#/components/schemas/Error"}


def openapi_document(routes: Iterable[BaseRoute], *, title: str = "mockserver") -> JsonDict:
    """The document for ``routes`` (a list like ``mockserver.app.client_routes()``)."""
    paths: JsonDict = {}
    for route in routes:
        if not isinstance(route, MatrixRoute) or route.path.startswith(ALIASES):
            continue
        parameters = [_path_parameter(name) for name in PARAMETER.findall(route.path)]
        path = PARAMETER.sub(r"{\1}", route.path)
        paths[path] = {
            method.lower(): _operation(item, f"{method} {path}", parameters)
            for method, item in sorted(route.endpoints.items())
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title}: the Matrix client-server API it serves", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer"},
                "accessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
            },
            "schemas": {"Error": ERROR},
        },
    }


def _path_parameter(name: str) -> JsonDict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _operation(item: Endpoint, name: str, parameters: list[JsonDict]) -> JsonDict:
    """One operation; ``name`` is ``"METHOD path"``, as :data:`SHAPES` names it."""
    shape = SHAPES.get(name, {})
    responses: JsonDict = {"2XX": _success(item, shape), "default": _error(ERROR_REF)}
    if name in INTERACTIVE_AUTH:
        responses["401"] = _error({"anyOf": [ERROR_REF, UIA_ANSWER]})
    operation: JsonDict = {
        "summary": (item.handler.__doc__ or item.handler.__name__).strip().splitlines()[0],
        "security": [] if item.public else [{SECURITY_SCHEME: []}, {"accessTokenQuery": []}],
        "responses": responses,
    }
    parameters = parameters + shape.get("query", [])
    if parameters:
        operation["parameters"] = parameters
    if name.split()[0] in ("POST", "PUT"):
        operation["requestBody"] = _body(item, shape)
    return operation


def _body(item: Endpoint, shape: JsonDict) -> JsonDict:
    if item.handler in RAW_BODY:
        content: dict[str, Any] = {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
        }
    else:
        content = {"application/json": {"schema": shape.get("body", {"type": "object"})}}
    return {"required": True, "content": content}


def _success(item: Endpoint, shape: JsonDict) -> JsonDict:
    if item.handler in FILE_ANSWER:
        return {"description": "The file, in its own content type", "content": {"*/*": {}}}
    schema = shape.get("answer", {})
    return {"description": "Success", "content": {"application/json": {"schema": schema}}}


def _error(schema: JsonDict) -> JsonDict:
    return {"description": "A Matrix error", "content": {"application/json": {"schema": schema}}}
