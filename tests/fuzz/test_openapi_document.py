"""``GET /_mock/openapi.json``: the client API's routes as an OpenAPI document."""

from __future__ import annotations

import httpx

from mockserver.api.openapi import openapi_document
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
