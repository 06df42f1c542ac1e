"""A fuzz test of the client API, driven by the OpenAPI document mockserver makes of itself.

schemathesis generates requests for every route in the document
(:func:`mockserver.api.openapi.openapi_document`): path parameters, JSON
object bodies and, in its negative mode, bodies that break the document.
Hypothesis swaps some path parameters for live ids of a small world
(:mod:`tests.fuzz.world`). Every answer must pass
:func:`tests.fuzz.answers.check_answer`, and match the shape the document
gives it (:mod:`mockserver.api.shapes`: the spec's shapes of the main
answers). A second run sends no token or a
wrong one (header or query) to every route that needs a token: always 401
``M_MISSING_TOKEN`` or ``M_UNKNOWN_TOKEN``.

Bounded (a few examples per route) and deterministic (a fixed seed), so it
runs in ``make test``. ``make fuzz-spec`` is the long run driven by the
spec's own definitions (docs/security.md).
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from mockserver.api.openapi import openapi_document
from mockserver.app import client_routes
from mockserver.server import ThreadedServer
from tests.fuzz.answers import check_answer
from tests.fuzz.world import aim

SEED = 20
CONFIG = SchemathesisConfig.from_dict(
    {"seed": SEED, "phases": {"coverage": {"enabled": False}}, "generation": {"mode": "all"}}
)
SCHEMA = schemathesis.openapi.from_dict(openapi_document(client_routes()), config=CONFIG)


def fuzz(examples: int) -> settings:
    """Hypothesis settings: ``examples`` per route, no deadline, no example database.

    The world is made once per route, on purpose: the function-scoped
    fixture health check is off.
    """
    return settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )


def call(case: Any, server: ThreadedServer, session: requests.Session) -> Any:
    return case.call(base_url=server.base_url, session=session, timeout=60, allow_redirects=False)


def send(case: Any, server: ThreadedServer, session: requests.Session) -> tuple[int, str, bytes]:
    """The answer's status, content type and body."""
    return parts(call(case, server, session))


def parts(response: Any) -> tuple[int, str, bytes]:
    content_type = response.headers.get("content-type", [""])[0]
    return response.status_code, content_type, response.content


def answers_a_file(case: Any) -> bool:
    return "*/*" in case.operation.definition.raw["responses"]["2XX"].get("content", {})


@SCHEMA.given(data=st.data())
@SCHEMA.parametrize()
@fuzz(8)
def test_every_answer_is_matrix(
    case: Any,
    data: st.DataObject,
    running: ThreadedServer,
    session: requests.Session,
    world: tuple[str, dict[str, str]],
) -> None:
    aim(case, data, *world)
    response = call(case, running, session)
    check_answer(*parts(response), file=answers_a_file(case))
    case.validate_response(response, checks=[response_schema_conformance])


#: Tokens no session has: anything printable in a header, empty included.
WRONG_TOKENS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)


@SCHEMA.given(where=st.sampled_from(["nowhere", "header", "query"]), token=WRONG_TOKENS)
@SCHEMA.include(lambda ctx: bool(ctx.operation.definition.raw["security"])).parametrize()
@fuzz(4)
def test_no_valid_token_is_401(
    case: Any, where: str, token: str, running: ThreadedServer, session: requests.Session
) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.query = {k: v for k, v in (case.query or {}).items() if k != "access_token"}
    if where == "header":
        case.headers["Authorization"] = f"Bearer {token}"
    elif where == "query":
        case.query["access_token"] = token
    sent = where != "nowhere"
    status, content_type, body = send(case, running, session)
    answer = check_answer(status, content_type, body)
    assert status == 401, (status, answer)
    assert answer["errcode"] == ("M_UNKNOWN_TOKEN" if sent else "M_MISSING_TOKEN"), answer
