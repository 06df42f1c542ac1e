"""docs/client-api.md has one row per endpoint served, and no row for one that is not.

The served endpoints come from the route tables ``create_app`` mounts; the
documented ones are the ``| `METHOD` | `/path` |`` rows of the page's tables.
"""

from __future__ import annotations

import re

from mockserver.api.routing import MatrixRoute
from mockserver.app import create_app
from mockserver.config import ServerConfig
from tests.docs.blocks import ROOT

PAGE = ROOT / "docs" / "client-api.md"
ROW = re.compile(r"^\| `([A-Z]+)` \| `([^`]+)` \|", re.M)
#: The page shows every endpoint under /v3; these prefixes serve the same handlers.
SAME_AS_V3 = ("/_matrix/client/r0", "/_matrix/client/api/v1")


def served() -> set[tuple[str, str]]:
    app = create_app(ServerConfig(control=False))
    found: set[tuple[str, str]] = set()
    for route in app.table.routes:
        assert isinstance(route, MatrixRoute)
        if route.path.startswith(SAME_AS_V3):
            continue
        found.update((method, route.path) for method in route.endpoints)
    return found


def documented() -> set[tuple[str, str]]:
    rows = ROW.findall(PAGE.read_text(encoding="utf-8"))
    assert len(rows) == len(set(rows)), "a row is listed twice"
    return set(rows)


def test_every_served_endpoint_has_a_row() -> None:
    missing = sorted(served() - documented())
    assert not missing, "add a row to docs/client-api.md for:\n" + "\n".join(
        f"| `{method}` | `{path}` | ... |" for method, path in missing
    )


def test_every_row_is_an_endpoint_served() -> None:
    stale = sorted(documented() - served())
    assert not stale, f"rows in docs/client-api.md for endpoints not served: {stale}"


def test_the_other_prefixes_serve_what_v3_serves() -> None:
    app = create_app(ServerConfig(control=False))
    by_prefix: dict[str, set[tuple[str, str]]] = {}
    for route in app.table.routes:
        assert isinstance(route, MatrixRoute)
        for prefix in ("/_matrix/client/v3", *SAME_AS_V3):
            if route.path.startswith(prefix + "/"):
                rest = route.path.removeprefix(prefix)
                by_prefix.setdefault(prefix, set()).update((m, rest) for m in route.endpoints)
    v3 = by_prefix["/_matrix/client/v3"]
    assert by_prefix["/_matrix/client/r0"] == v3
    assert by_prefix["/_matrix/client/api/v1"] <= v3 - {("GET", "/sync")}
