"""docs/control-api.md lists every /_mock route, one row each, and no route that is not served."""

from __future__ import annotations

import re

from mockserver.app import CONTROL_ENDPOINTS
from mockserver.control import inspector
from mockserver.control.routing import PREFIX
from tests.docs.blocks import ROOT

PAGE = ROOT / "docs" / "control-api.md"
ROW = re.compile(r"^\| `([A-Z]+) (/_mock[^`]*)` \|", re.M)


def test_every_control_route_has_a_row_and_every_row_a_route() -> None:
    served = {
        (method, PREFIX + endpoint.path)
        for endpoint in [*CONTROL_ENDPOINTS, *inspector.page_routes]
        for method in endpoint.methods
    }
    rows = ROW.findall(PAGE.read_text(encoding="utf-8"))
    assert len(rows) == len(set(rows)), "a route is listed twice"
    assert sorted(served - set(rows)) == [], "add these routes to docs/control-api.md"
    assert sorted(set(rows) - served) == [], "rows for routes that are not served"
