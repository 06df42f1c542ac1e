"""Expectations over HTTP, for tests in any language (see :mod:`mockserver.traffic.expectations`).

- ``POST /_mock/expectations``: declare one; the body, every key optional::

      {"method": "PUT", "path": "*/rooms/*/send/*", "user_id": "@alice:localhost",
       "query": {"timeout": "30000", "since": null}, "body": {"msgtype": "m.text"},
       "times": 1 | "min": 1, "max": 3 | "never": true, "name": "sends once"}

  answers the expectation with its ``id``;
- ``GET /_mock/expectations``: each with ``calls``, ``met`` and ``problem``;
- ``POST /_mock/expectations/verify``: ``{"met": bool, "problems": [...]}``, one
  message per unmet expectation, saying what was called instead;
- ``DELETE /_mock/expectations`` and ``DELETE /_mock/expectations/{id}``.
"""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.core.errors import bad_json
from mockserver.core.model import JsonDict
from mockserver.traffic.expectations import Verdict, count_bounds

EXPECTATION_KEYS = (
    "name",
    "method",
    "path",
    "user_id",
    "query",
    "body",
    "times",
    "min",
    "max",
    "never",
)


def _count(body: JsonDict, key: str) -> int | None:
    value = params.field(body, key, int)
    if value is not None and value < 0:
        raise bad_json(f"'{key}' must not be negative")
    return value


def _query(body: JsonDict) -> dict[str, str | None]:
    query = params.field(body, "query", dict, {})
    for key, value in query.items():
        if value is not None and not isinstance(value, str):
            raise bad_json(f"'query.{key}' must be a string (a glob) or null (absent)")
    return dict(query)


def verdict_json(verdict: Verdict) -> JsonDict:
    return {
        **verdict.expectation.to_json(),
        "calls": len(verdict.calls),
        "met": verdict.met,
        "problem": verdict.problem,
    }


@endpoint("/expectations", "POST", public=True)
async def post_expectation(call: Call) -> Reply:
    body = await control_body(call, EXPECTATION_KEYS)
    minimum, maximum = count_bounds(
        times=_count(body, "times"),
        minimum=_count(body, "min"),
        maximum=_count(body, "max"),
        never=params.field(body, "never", bool, False),
    )
    spec: dict[str, Any] = {
        "method": params.field(body, "method", str),
        "path": params.field(body, "path", str),
        "user_id": params.field(body, "user_id", str),
        "query": _query(body),
        "body": params.field(body, "body", dict),
        "name": params.field(body, "name", str),
        "minimum": minimum,
        "maximum": maximum,
    }
    return call.hs.expectations.add(call.hs.journal, **spec).to_json()


@endpoint("/expectations", "GET", public=True)
async def get_expectations(call: Call) -> Reply:
    verdicts = call.hs.expectations.check(call.hs.journal)
    return {"expectations": [verdict_json(v) for v in verdicts]}


@endpoint("/expectations/verify", "POST", public=True)
async def post_expectations_verify(call: Call) -> Reply:
    await control_body(call, ())
    problems = [v.problem for v in call.hs.expectations.check(call.hs.journal) if v.problem]
    return {"met": not problems, "problems": problems}


@endpoint("/expectations", "DELETE", public=True)
async def delete_expectations(call: Call) -> Reply:
    call.hs.expectations.clear()
    return {}


@endpoint("/expectations/{expectation_id}", "DELETE", public=True)
async def delete_expectation(call: Call) -> Reply:
    call.hs.expectations.remove(call.path["expectation_id"])
    return {}


routes = [
    post_expectation,
    get_expectations,
    post_expectations_verify,
    delete_expectations,
    delete_expectation,
]
