"""CORS for browser clients: every answer allows any origin; preflights get ``{}``.

:class:`~mockserver.responses.OrjsonResponse`, which every answer is (500s
and preflights included), sends them, so no layer adds them on the way out.
"""

from __future__ import annotations

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
}
#: HEADERS as ASGI raw headers.
RAW_HEADERS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
