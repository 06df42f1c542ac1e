"""Fault rules over HTTP: ``GET/POST/DELETE /_mock/faults``, ``DELETE /_mock/faults/{id}``.

``POST`` takes one rule::

    {"method": "PUT", "path": "*/send/*", "user_id": "@alice:localhost",
     "times": 2, "probability": 0.5, "seed": 7,
     "status": 429, "errcode": "M_LIMIT_EXCEEDED", "error": "...",
     "retry_after_ms": 1000, "soft_logout": true,
     "delay_ms": 250, "drop": true | "before" | "after"}

Every field is optional, but a rule needs ``status``, ``delay_ms`` or
``drop``. See :mod:`mockserver.traffic.faults` for what each means.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.core.errors import bad_json
from mockserver.core.model import JsonDict
from mockserver.traffic.faults import Drop, FaultAction, FaultRule


#: The keys of a rule in ``POST /_mock/faults``.
RULE_KEYS = (
    "method",
    "path",
    "user_id",
    "times",
    "probability",
    "seed",
    "status",
    "errcode",
    "error",
    "retry_after_ms",
    "soft_logout",
    "delay_ms",
    "drop",
)


def fault_json(rule: FaultRule) -> JsonDict:
    action = rule.action
    described: JsonDict = {
        "id": rule.id,
        "method": rule.method,
        "path": rule.path,
        "user_id": rule.user_id,
        "times": rule.times,
        "probability": rule.probability,
        "seed": rule.seed,
        "hits": rule.hits,
        "seen": rule.seen,
        "remaining": rule.remaining,
        "delay_ms": action.delay_ms,
        "drop": action.drop,
        "status": action.status,
    }
    error = action.matrix_error()
    if error is not None:
        described["response"] = error.body()
    return described


def _drop(body: JsonDict) -> Drop | None:
    value = body.get("drop")
    if value is None or value is False:
        return None
    if value is True:
        return "before"
    if value in ("before", "after"):
        return value  # type: ignore[no-any-return]
    raise bad_json("'drop' must be true, 'before' or 'after'")


def _number(body: JsonDict, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_json(f"'{key}' must be a number")
    return float(value)


def _seed(body: JsonDict) -> int | str:
    value = body.get("seed", 0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise bad_json("'seed' must be an integer or a string")
    return value


@endpoint("/faults", "POST", public=True)
async def post_fault(call: Call) -> Reply:
    # A probability is a fraction: the control API's settings are not canonical JSON.
    body = await control_body(call, RULE_KEYS, canonical=False)
    action = FaultAction(
        status=params.field(body, "status", int),
        errcode=params.field(body, "errcode", str),
        error=params.field(body, "error", str),
        retry_after_ms=params.field(body, "retry_after_ms", int),
        soft_logout=params.field(body, "soft_logout", bool),
        delay_ms=params.field(body, "delay_ms", int, 0),
        drop=_drop(body),
    )
    rule = call.hs.faults.add(
        action,
        method=params.field(body, "method", str),
        path=params.field(body, "path", str),
        user_id=params.field(body, "user_id", str),
        times=params.field(body, "times", int),
        probability=_number(body, "probability"),
        seed=_seed(body),
    )
    return fault_json(rule)


@endpoint("/faults", "GET", public=True)
async def get_faults(call: Call) -> Reply:
    return {"faults": [fault_json(rule) for rule in call.hs.faults.rules()]}


@endpoint("/faults", "DELETE", public=True)
async def delete_faults(call: Call) -> Reply:
    call.hs.faults.clear()
    return {}


@endpoint("/faults/{fault_id}", "DELETE", public=True)
async def delete_fault(call: Call) -> Reply:
    call.hs.faults.remove(call.path["fault_id"])
    return {}


routes = [post_fault, get_faults, delete_faults, delete_fault]
