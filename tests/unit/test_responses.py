"""The orjson response: its shortcut builds what Starlette's Response would."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from starlette.responses import Response

from mockserver.responses import OrjsonResponse


class Reference(Response):
    """Starlette's own construction, with orjson rendering."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


@pytest.mark.parametrize("status", [200, 201, 204, 304, 400, 401, 404, 429, 500])
@pytest.mark.parametrize("headers", [None, {"Retry-After": "3"}, {"Content-Type": "text/x"}])
@pytest.mark.parametrize("content", [{"a": [1, "é"]}, [], {}])
def test_orjson_response_matches_starlettes_construction(
    status: int, headers: dict[str, str] | None, content: Any
) -> None:
    ours = OrjsonResponse(content, status_code=status, headers=headers)
    reference = Reference(content, status_code=status, headers=headers)
    assert ours.body == reference.body == orjson.dumps(content)
    assert ours.raw_headers == reference.raw_headers
    assert ours.status_code == status and ours.background is None
