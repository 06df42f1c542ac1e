"""CORS for browser clients: every client API answer allows any origin; preflights get ``{}``.

:class:`~mockserver.responses.OrjsonResponse`, which every answer is (500s
and preflights included), sends them, so no layer adds them on the way out.
The control API (``/_mock``) gets none: it is for test processes, never for
web pages (see :mod:`mockserver.control.access`).
"""

from __future__ import annotations

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
}
#: HEADERS as ASGI raw headers.
RAW_HEADERS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]


def applies_to(path: str) -> bool:
    """True for every path but the control API's."""
    return path != "/_mock" and not path.startswith("/_mock/")
