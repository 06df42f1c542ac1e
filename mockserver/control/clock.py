"""The server clock: ``GET /_mock/clock``, ``POST /_mock/clock/{freeze,advance,unfreeze}``.

Everything time-dependent reads this clock: ``origin_server_ts``,
``unsigned.age``, ``last_active_ago``, typing expiry and long-poll
deadlines. Moving it wakes every parked long-poll, which re-checks its
deadline, so ``advance`` ends a 30-second ``/sync`` at once.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.core.clock import Clock
from mockserver.core.errors import invalid_param
from mockserver.core.model import JsonDict


def clock_json(clock: Clock) -> JsonDict:
    return {"now_ms": clock.now_ms(), "frozen": clock.frozen}


@endpoint("/clock", "GET", public=True)
async def get_clock(call: Call) -> Reply:
    return clock_json(call.hs.clock)


@endpoint("/clock/freeze", "POST", public=True)
async def post_clock_freeze(call: Call) -> Reply:
    """Stop the clock, at ``at_ms`` if given (else now)."""
    body = await control_body(call, ("at_ms",))
    at_ms = params.field(body, "at_ms", int)
    if at_ms is not None and at_ms < 0:
        raise invalid_param("'at_ms' must not be negative")
    call.hs.clock.freeze(at_ms)
    return clock_json(call.hs.clock)


@endpoint("/clock/advance", "POST", public=True)
async def post_clock_advance(call: Call) -> Reply:
    """Move the clock forward by ``ms`` (frozen or not)."""
    body = await control_body(call, ("ms",))
    ms = params.required(body, "ms", int)
    if ms < 0:
        raise invalid_param("'ms' must not be negative: the clock only moves forward")
    call.hs.clock.advance(ms)
    return clock_json(call.hs.clock)


@endpoint("/clock/unfreeze", "POST", public=True)
async def post_clock_unfreeze(call: Call) -> Reply:
    """Let the clock run again, from where it stood (the offset to wall time is kept)."""
    await control_body(call, ())
    call.hs.clock.unfreeze()
    return clock_json(call.hs.clock)


routes = [get_clock, post_clock_freeze, post_clock_advance, post_clock_unfreeze]
