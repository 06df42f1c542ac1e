"""The loader of ``make fuzz-spec`` makes one document of many files with ``$ref``s across them.

The files here are written by the test, in the shape the spec's are (a base
path in ``servers``, refs into ``definitions/`` and up the tree): the
spec's own are not in this repository.
"""

from __future__ import annotations

from pathlib import Path

from tests.fuzz.spec_document import load_client_server

ROOM_SEND = """
openapi: 3.1.0
paths:
  "/rooms/{roomId}/send":
    put:
      security:
        - accessTokenBearer: []
      responses:
        "200":
          content:
            application/json:
              schema:
                $ref: definitions/event_id.yaml
        "400":
          description: bad
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/local"
servers:
  - url: "{protocol}://{hostname}{basePath}"
    variables:
      basePath:
        default: /_matrix/client/v3
components:
  securitySchemes:
    accessTokenBearer:
      $ref: definitions/security.yaml#/accessTokenBearer
  schemas:
    local:
      type: object
      required: [errcode]
"""
EVENT_ID = """
type: object
properties:
  event_id:
    $ref: ../../event-schemas/id.yaml#/definitions/event_id
  again:
    $ref: "#/properties/event_id"
"""
ID = """
definitions:
  event_id:
    type: string
    pattern: "^\\\\$"
"""
SECURITY = """
accessTokenBearer:
  type: http
  scheme: bearer
"""
VERSIONS = """
openapi: 3.1.0
paths:
  "/versions":
    get:
      responses: {}
servers:
  - url: "{protocol}://{hostname}{basePath}"
    variables:
      basePath:
        default: /_matrix/client
"""
LOOP = """
openapi: 3.1.0
paths:
  "/loop":
    get:
      responses:
        "200":
          content:
            application/json:
              schema:
                $ref: definitions/loop.yaml
"""
LOOP_SCHEMA = """
type: object
properties:
  child:
    $ref: loop.yaml
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_refs_across_files_are_inlined_under_each_files_base_path(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "data/api/client-server/room_send.yaml": ROOM_SEND,
            "data/api/client-server/versions.yaml": VERSIONS,
            "data/api/client-server/definitions/event_id.yaml": EVENT_ID,
            "data/api/client-server/definitions/security.yaml": SECURITY,
            "data/api/event-schemas/id.yaml": ID,
        },
    )
    document = load_client_server(tmp_path)
    assert set(document["paths"]) == {
        "/_matrix/client/v3/rooms/{roomId}/send",
        "/_matrix/client/versions",
    }
    put = document["paths"]["/_matrix/client/v3/rooms/{roomId}/send"]["put"]
    schema = put["responses"]["200"]["content"]["application/json"]["schema"]
    event_id = {"type": "string", "pattern": "^\\$"}
    assert schema["properties"] == {"event_id": event_id, "again": event_id}
    error = put["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"type": "object", "required": ["errcode"]}
    assert document["components"]["securitySchemes"] == {
        "accessTokenBearer": {"type": "http", "scheme": "bearer"}
    }


def test_a_schema_containing_itself_is_left_open_at_the_loop(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "data/api/client-server/loop.yaml": LOOP,
            "data/api/client-server/definitions/loop.yaml": LOOP_SCHEMA,
        },
    )
    document = load_client_server(tmp_path)
    schema = document["paths"]["/loop"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"] == {"type": "object", "properties": {"child": {}}}
