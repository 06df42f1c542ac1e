"""Scenario control: ``POST /_mock/fixtures``, ``GET /_mock/export``, ``POST /_mock/script/next``

Mounted under ``/_mock`` by ``create_app`` unless the control API is off.
"""

from __future__ import annotations

from typing import Any

import orjson

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.core.errors import M_BAD_JSON, M_NOT_JSON, MatrixError, not_found
from mockserver.scenarios import Scenario, ScenarioError, export_scenario

#: Fixtures can be far larger than a client request (exports of long histories); a
#: larger body is refused by its Content-Length before any of it is read.
MAX_FIXTURE_BYTES = 64 * 1024 * 1024
REQUEST_SOURCE = "request body"


async def _document(call: Call, source: str) -> Any:
    raw = await params.body_bytes(call.request, MAX_FIXTURE_BYTES)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MatrixError(M_NOT_JSON, f"{source}: $: not valid JSON: {exc}") from None


def describe(scenario: Scenario) -> dict[str, Any]:
    """What a load made, for the caller: users with their devices and tokens, rooms."""
    return {
        "server_name": scenario.server_name,
        "users": [
            {
                "user_id": user.user_id,
                "devices": [
                    {"device_id": device_id, "access_token": token}
                    for device_id, token in user.sessions
                ],
            }
            for user in scenario.users
        ],
        "rooms": list(scenario.rooms),
        "script_steps": len(scenario.script.steps) if scenario.script is not None else 0,
    }


@endpoint("/fixtures", "POST", public=True)
async def post_fixtures(call: Call) -> Reply:
    """Load the body; ``?source=NAME`` names it in errors (say, the file it came from)."""
    source = call.query.get("source") or REQUEST_SOURCE
    document = await _document(call, source)
    try:
        scenario = call.hs.load_fixture(document, source)
    except ScenarioError as exc:
        raise MatrixError(M_BAD_JSON, str(exc), path=exc.path) from None
    return describe(scenario)


@endpoint("/export", "GET", public=True)
async def get_export(call: Call) -> Reply:
    return export_scenario(call.store)


@endpoint("/script/next", "POST", public=True)
async def post_script_next(call: Call) -> Reply:
    await control_body(call, ())
    release = call.hs.script.next()
    if release is None:
        raise not_found("No script step is waiting")
    return {
        "source": release.source,
        "step": release.step.path,
        "action": release.step.action.kind,
        "remaining": release.remaining,
        "error": release.error,
    }


routes = [post_fixtures, get_export, post_script_next]
