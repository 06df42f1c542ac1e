"""``GET /_mock/openapi.json``: the client API's routes as an OpenAPI document."""

from __future__ import annotations

import httpx
from jsonschema import Draft202012Validator

from mockserver.api.openapi import openapi_document
from mockserver.api.shapes import INTERACTIVE_AUTH, SHAPES
from mockserver.app import client_routes

SEND = "/_matrix/client/v3/rooms/{room_id}/send/{event_type}/{txn_id}"


async def test_the_document_lists_the_client_api_with_tokens_and_bodies(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/_mock/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    assert not [p for p in paths if p.startswith(("/_mock", "/_matrix/client/r0/"))]
    send = paths[SEND]["put"]
    assert [p["name"] for p in send["parameters"]] == ["room_id", "event_type", "txn_id"]
    assert send["security"] == [{"accessToken": []}, {"accessTokenQuery": []}]
    assert send["requestBody"]["content"] == {"application/json": {"schema": {"type": "object"}}}
    assert paths["/_matrix/client/versions"]["get"]["security"] == []
    assert "requestBody" not in paths["/_matrix/client/v3/sync"]["get"]
    upload = paths["/_matrix/media/v3/upload"]["post"]["requestBody"]["content"]
    assert list(upload) == ["application/octet-stream"]
    download = paths["/_matrix/client/v1/media/download/{server_name}/{media_id}"]["get"]
    assert download["responses"]["2XX"]["content"] == {"*/*": {}}
    assert document == openapi_document(client_routes())


def test_every_shape_is_a_valid_schema_of_a_served_operation() -> None:
    document = openapi_document(client_routes())
    for name, shape in SHAPES.items():
        method, path = name.split(" ", 1)
        assert method.lower() in document["paths"].get(path, {}), name
        for part in ("answer", "body"):
            if part in shape:
                Draft202012Validator.check_schema(shape[part])
        for parameter in shape.get("query", []):
            Draft202012Validator.check_schema(parameter["schema"])
    assert INTERACTIVE_AUTH <= set(SHAPES)


def test_a_shape_refuses_what_the_spec_refuses() -> None:
    whoami = Draft202012Validator(SHAPES["GET /_matrix/client/v3/account/whoami"]["answer"])
    assert whoami.is_valid({"user_id": "@a:localhost", "device_id": "D"})
    assert not whoami.is_valid({"device_id": "D"})
    members = Draft202012Validator(
        SHAPES["GET /_matrix/client/v3/rooms/{room_id}/joined_members"]["answer"]
    )
    assert not members.is_valid({"joined": {"@a:localhost": {"display_name": None}}})
