"""``make fuzz-spec`` end to end, on a two-route spec written by the test (the spec is not here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fuzz.spec_run import main
from tests.fuzz.test_spec_document import write

WHOAMI = """
openapi: 3.1.0
paths:
  "/account/whoami":
    get:
      security:
        - accessTokenBearer: []
      responses:
        "200":
          content:
            application/json:
              schema:
                type: object
                required: [user_id, {required}]
  "/nowhere/{{thing}}":
    get:
      parameters:
        - in: path
          name: thing
          required: true
          schema:
            type: string
      responses: {{}}
servers:
  - url: "{{protocol}}://{{hostname}}{{basePath}}"
    variables:
      basePath:
        default: /_matrix/client/v3
components:
  securitySchemes:
    accessTokenBearer:
      type: http
      scheme: bearer
"""


@pytest.mark.parametrize(("required", "found"), [("device_id", 0), ("a_field_never_sent", 1)])
def test_a_run_reports_what_breaks_the_spec_and_what_is_not_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], required: str, found: int
) -> None:
    write(tmp_path, {"data/api/client-server/whoami.yaml": WHOAMI.format(required=required)})
    assert main([str(tmp_path), "--examples", "3"]) == found
    report = capsys.readouterr().out
    assert re.search(r"\d+ requests; statuses \{200: \d+, 404: \d+\}", report), report
    assert f"{found} distinct findings" in report
    assert ("a_field_never_sent" in report) == bool(found)
    assert "1 operations not served" in report
    assert "GET /_matrix/client/v3/nowhere/{thing}" in report
