"""Fixtures obey the limits client requests do, and POST /_mock/fixtures buffers no huge body.

A fixture with event content nested 250 levels deep used to load, after
which every /sync of the room's members answered 500 (orjson cannot encode
it) and every default reset loaded it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.control.scenarios import MAX_FIXTURE_BYTES
from mockserver.core.canonical import MAX_DEPTH
from mockserver.homeserver import Homeserver
from mockserver.scenarios import ScenarioError
from tests.scenario_docs import small_world
from tests.support import V3, Account, assert_error, http_scope

pytestmark = pytest.mark.anyio


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"a": value}
    return value


def with_content(extra: dict[str, Any]) -> dict[str, Any]:
    doc = small_world()
    doc["rooms"][0]["timeline"][3]["content"].update(extra)
    return doc


@pytest.mark.parametrize("levels", [250, 300, 500])
async def test_a_deep_fixture_is_refused_and_never_reloaded(
    hs: Homeserver, client: httpx.AsyncClient, levels: int
) -> None:
    await client.post("/_mock/fixtures", json={"users": [{"user_id": "@zed:localhost"}]})
    response = await client.post("/_mock/fixtures", json=with_content({"deep": nested(levels)}))
    body = assert_error(response, 400, "M_BAD_JSON")
    assert body["path"].startswith("rooms[0].timeline[3].content.deep.a.a"), body
    assert "nested deeper" in body["error"]
    assert set(hs.store.users) == {"@zed:localhost"} and hs.store.rooms == {}
    reset = await client.post("/_mock/reset")
    assert reset.json() == {"fixtures": ["request body"]}
    assert set(hs.store.users) == {"@zed:localhost"} and hs.store.rooms == {}


async def test_a_fixture_too_deep_for_json_parsing_is_not_json(client: httpx.AsyncClient) -> None:
    text = '{"rooms": [' + "[" * 5000 + "]" * 5000 + "]}"
    assert_error(await client.post("/_mock/fixtures", content=text), 400, "M_NOT_JSON")


async def test_content_as_deep_as_a_client_may_send_loads_from_an_export(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    # As deep as a request body may nest: the content is the whole body.
    await alice.send(room, {"msgtype": "m.text", "body": "x", "d": nested(MAX_DEPTH - 1)})
    exported = (await client.get("/_mock/export")).json()
    await client.post("/_mock/reset", json={"fixtures": False})
    loaded = await client.post("/_mock/fixtures", json=exported)
    assert loaded.status_code == 200, loaded.text
    sync = await alice.call("GET", "/sync")
    assert room in sync["rooms"]["join"]


async def test_the_frame_depth_covers_the_deepest_place_content_sits() -> None:
    # script.steps[0].send.content: the deepest place a scenario holds a client's body.
    doc = small_world()
    doc["script"] = {
        "steps": [
            {
                "after_ms": 1,
                "send": {
                    "room_id": "!created:localhost",
                    "sender": "@bob:localhost",
                    "content": {"msgtype": "m.text", "body": "x", "d": nested(MAX_DEPTH - 1)},
                },
            }
        ]
    }
    hs = Homeserver.create(ServerConfig())
    hs.load_fixture(doc, "t.json")
    assert len(hs.fixtures) == 1


@pytest.mark.parametrize(
    ("number", "problem"),
    [(2**64, "JSON integer out of range"), (2**53, "JSON integer out of range"), (0.5, "float")],
)
async def test_a_fixture_with_non_canonical_numbers_is_refused(
    hs: Homeserver, client: httpx.AsyncClient, number: float, problem: str
) -> None:
    raw = json.dumps(with_content({"n": [1, number]})).encode()
    body = assert_error(await client.post("/_mock/fixtures", content=raw), 400, "M_BAD_JSON")
    assert body["path"] == "rooms[0].timeline[3].content.n[1]"
    assert problem in body["error"]
    assert hs.store.rooms == {} and hs.fixtures == []


def test_a_fixture_file_with_a_float_is_refused(tmp_path: Path) -> None:
    # What --fixture and the pytest plugin load; the CLI prints this error and exits.
    path = tmp_path / "floats.json"
    path.write_text(json.dumps(with_content({"ratio": 0.25})))
    hs = Homeserver.create(ServerConfig())
    with pytest.raises(ScenarioError) as refused:
        hs.load_fixture_file(path)
    assert str(refused.value).startswith(
        f"{path}: rooms[0].timeline[3].content.ratio: Bad JSON value: float"
    )
    assert hs.store.users == {} and hs.fixtures == []


class Feed:
    """An ASGI ``receive`` that hands out a body in chunks and counts what was taken."""

    def __init__(self, chunk: bytes, chunks: int) -> None:
        self.chunk = chunk
        self.left = chunks
        self.taken = 0

    async def __call__(self) -> dict[str, Any]:
        if self.left == 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.taken += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}


async def post_raw(feed: Feed, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    app = create_app(ServerConfig())
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = http_scope("POST", "/_mock/fixtures", [(b"host", b"localhost:8008"), *headers], app=app)
    await app(scope, feed, send)  # type: ignore[arg-type]
    return sent[0]["status"], sent[1]["body"]


async def test_a_fixture_over_the_limit_is_refused_before_it_is_read() -> None:
    feed = Feed(b" " * 1024 * 1024, 1000)
    length = str(MAX_FIXTURE_BYTES + 1).encode()
    status, body = await post_raw(feed, [(b"content-length", length)])
    assert (status, json.loads(body)["errcode"]) == (413, "M_TOO_LARGE")
    assert feed.taken == 0


async def test_a_streamed_fixture_is_refused_once_it_passes_the_limit() -> None:
    chunk = b" " * 1024 * 1024
    feed = Feed(chunk, 10_000)
    status, body = await post_raw(feed, [(b"transfer-encoding", b"chunked")])
    assert (status, json.loads(body)["errcode"]) == (413, "M_TOO_LARGE")
    assert MAX_FIXTURE_BYTES < feed.taken <= MAX_FIXTURE_BYTES + len(chunk)


async def test_sync_still_works_for_members_after_a_refused_fixture(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_mock/fixtures", json=small_world())
    deep = {"rooms": [{"room_id": "!other:localhost", "creator": "@bob:localhost",
                       "timeline": [{"type": "m.room.message", "sender": "@bob:localhost",
                                     "content": nested(250)}]}]}
    assert_error(await client.post("/_mock/fixtures", json=deep), 400, "M_BAD_JSON")
    await client.post("/_mock/reset")
    bob = Account(client, "@bob:localhost", "bob_token", "BOB")
    sync = await bob.call("GET", "/sync")
    assert set(sync["rooms"]["join"]) == {"!created:localhost"}
    assert (await client.get(f"{V3}/rooms/!other:localhost/messages")).status_code != 500


async def test_account_data_in_a_fixture_may_hold_fractions(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    doc = small_world()
    doc["rooms"][0]["account_data"] = [
        {"user_id": "@bob:localhost", "type": "m.tag", "content": {"tags": {"u.w": {"order": 0.5}}}}
    ]
    response = await client.post("/_mock/fixtures", json=doc)
    assert response.status_code == 200, response.text
