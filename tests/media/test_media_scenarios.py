"""Media in scenario fixtures: declared, served, refused whole, exported, reset, in the demo."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.scenarios import ScenarioError
from tests.media.images import decoded, image_bytes
from tests.scenario_docs import FIXTURES
from tests.support import assert_error

MEDIA = "/_matrix/client/v1/media"
PNG = image_bytes("image/png", (48, 32))
TOKEN = {"Authorization": "Bearer alice_token"}


def world(*media: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """alice (token ``alice_token``, avatar ``mxc://localhost/avatar``) and ``media``."""
    return {
        "users": [
            {
                "user_id": "@alice:localhost",
                "access_token": "alice_token",
                "avatar_url": "mxc://localhost/avatar",
            }
        ],
        "media": list(media),
        **extra,
    }


def avatar(**fields: Any) -> dict[str, Any]:
    entry = {
        "media_id": "avatar",
        "content_type": "image/png",
        "filename": "alice.png",
        "user_id": "@alice:localhost",
        "base64": base64.b64encode(PNG).decode(),
    }
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not None}


@pytest.fixture
def hs() -> Homeserver:
    return Homeserver.create(ServerConfig())


@pytest.fixture
async def client(hs: Homeserver) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(homeserver=hs))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8008") as c:
        yield c


async def test_declared_media_is_served_under_its_fixed_id(
    client: httpx.AsyncClient,
) -> None:
    room = {
        "room_id": "!photos:localhost",
        "creator": "@alice:localhost",
        "state": [
            {
                "type": "m.room.avatar",
                "sender": "@alice:localhost",
                "content": {"url": "mxc://localhost/avatar"},
            }
        ],
        "timeline": [
            {
                "type": "m.room.message",
                "sender": "@alice:localhost",
                "content": {"msgtype": "m.image", "body": "a.png", "url": "mxc://localhost/avatar"},
            }
        ],
    }
    loaded = await client.post("/_mock/fixtures", json=world(avatar(), rooms=[room]))
    assert loaded.status_code == 200, loaded.text
    profile = await client.get("/_matrix/client/v3/profile/@alice:localhost", headers=TOKEN)
    assert profile.json()["avatar_url"] == "mxc://localhost/avatar"
    response = await client.get(f"{MEDIA}/download/localhost/avatar", headers=TOKEN)
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == "inline; filename=alice.png"
    thumbnail = await client.get(
        f"{MEDIA}/thumbnail/localhost/avatar",
        params={"width": 24, "height": 24, "method": "crop"},
        headers=TOKEN,
    )
    assert decoded(thumbnail.content).size == (24, 24)
    state = await client.get(
        "/_matrix/client/v3/rooms/!photos:localhost/state/m.room.avatar", headers=TOKEN
    )
    assert state.json() == {"url": "mxc://localhost/avatar"}


def test_a_file_is_read_relative_to_the_scenario_file(hs: Homeserver, tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "alice.png").write_bytes(PNG)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(world(avatar(base64=None, file="pictures/alice.png"))))
    hs.load_fixture_file(scenario)
    media = hs.store.media("localhost", "avatar")
    assert media is not None and media.content == PNG
    # A reset loads the scenario again, bytes and all.
    hs.reset(reload_fixtures=True)
    media = hs.store.media("localhost", "avatar")
    assert media is not None and media.content == PNG


def test_a_missing_file_is_refused_naming_it(hs: Homeserver, tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(world(avatar(base64=None, file="nowhere.png"))))
    with pytest.raises(ScenarioError) as refused:
        hs.load_fixture_file(scenario)
    assert refused.value.path == "media[0].file"
    assert "nowhere.png" in refused.value.problem
    assert hs.store.users == {}


@pytest.mark.parametrize(
    ("entry", "path", "problem"),
    [
        (avatar(media_id="no/slash"), "media[0].media_id", "not a media id"),
        (avatar(media_id=""), "media[0].media_id", "must not be empty"),
        (avatar(content_type="png"), "media[0].content_type", "not a content type"),
        (avatar(content_type="image/png\r\nX-Evil: 1"), "media[0].content_type", "not a content type"),
        (avatar(user_id="@nobody:localhost"), "media[0].user_id", "unknown user"),
        (avatar(base64="not base64!"), "media[0].base64", "not valid base64"),
        (avatar(base64=None), "media[0]", "missing the bytes"),
        (avatar(base64=None, file="alice.png"), "media[0].file", "scenario loaded from a file"),
        (avatar(colour="red"), "media[0].colour", "unknown key"),
    ],
)
async def test_a_bad_media_entry_is_refused_whole(
    client: httpx.AsyncClient, entry: dict[str, Any], path: str, problem: str
) -> None:
    response = await client.post("/_mock/fixtures", json=world(entry))
    body = assert_error(response, 400, "M_BAD_JSON")
    assert body["path"] == path
    assert problem in body["error"]
    assert (await client.get("/_mock/export")).json()["users"] == []


async def test_a_media_id_is_taken_once(client: httpx.AsyncClient) -> None:
    twice = world(avatar(), avatar(user_id=None))
    body = assert_error(await client.post("/_mock/fixtures", json=twice), 400, "M_BAD_JSON")
    assert body["path"] == "media[1].media_id"
    assert (await client.post("/_mock/fixtures", json=world(avatar()))).status_code == 200
    again = {"media": [avatar(user_id=None)]}
    body = assert_error(await client.post("/_mock/fixtures", json=again), 400, "M_BAD_JSON")
    assert "already exists" in body["error"]


async def test_an_export_writes_uploads_back_and_loads_to_the_same_downloads(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_mock/fixtures", json=world(avatar()))
    uploaded = await client.post(
        "/_matrix/media/v3/upload?filename=notes.txt",
        content=b"plain words",
        headers={**TOKEN, "Content-Type": "text/plain"},
    )
    media_id = uploaded.json()["content_uri"].rsplit("/", 1)[-1]
    pending = await client.post("/_matrix/media/v1/create", headers=TOKEN)
    assert pending.status_code == 200
    exported = (await client.get("/_mock/export")).json()
    assert exported["media"] == [
        avatar(),
        {
            "media_id": media_id,
            "content_type": "text/plain",
            "filename": "notes.txt",
            "user_id": "@alice:localhost",
            "base64": base64.b64encode(b"plain words").decode(),
        },
    ]
    fresh = Homeserver.create(ServerConfig())
    fresh.load_fixture(exported, "export")
    transport = httpx.ASGITransport(app=create_app(homeserver=fresh))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as other:
        for mxc_id in ("avatar", media_id):
            before = await client.get(f"{MEDIA}/download/localhost/{mxc_id}", headers=TOKEN)
            after = await other.get(f"{MEDIA}/download/localhost/{mxc_id}", headers=TOKEN)
            assert after.status_code == 200
            assert (after.content, after.headers) == (before.content, before.headers)


async def test_a_reset_reloads_scenario_media_and_forgets_uploads(client: httpx.AsyncClient) -> None:
    await client.post("/_mock/fixtures", json=world(avatar()))
    uploaded = await client.post("/_matrix/media/v3/upload", content=b"x", headers=TOKEN)
    upload_id = uploaded.json()["content_uri"].rsplit("/", 1)[-1]
    await client.post("/_mock/reset", json={"fixtures": True})
    assert (await client.get(f"{MEDIA}/download/localhost/avatar", headers=TOKEN)).status_code == 200
    gone = await client.get(f"{MEDIA}/download/localhost/{upload_id}", headers=TOKEN)
    assert_error(gone, 404, "M_NOT_FOUND")
    await client.post("/_mock/reset", json={"fixtures": False})
    assert_error(await client.get("/_matrix/media/v3/download/localhost/avatar"), 404, "M_NOT_FOUND")


async def test_the_demo_has_avatars_a_room_avatar_and_a_photo(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    hs.load_fixture_file(FIXTURES / "demo.json")
    for name in ("alice", "bob", "carol", "dave"):
        profile = await client.get(f"/_matrix/client/v3/profile/@{name}:localhost", headers=TOKEN)
        url = profile.json()["avatar_url"]
        image = await client.get(f"{MEDIA}/download/{url.removeprefix('mxc://')}", headers=TOKEN)
        assert decoded(image.content).size == (64, 64)
    sync = (await client.get("/_matrix/client/v3/sync", headers=TOKEN)).json()
    lobby = sync["rooms"]["join"]["!lobby:localhost"]
    [room_avatar] = [e for e in lobby["state"]["events"] if e["type"] == "m.room.avatar"]
    photo = [
        event
        for event in lobby["timeline"]["events"]
        if event["content"].get("msgtype") == "m.image"
    ]
    assert photo, "the photo is among the lobby's newest messages"
    for content in (room_avatar["content"], photo[0]["content"]):
        answer = await client.get(
            f"{MEDIA}/download/{content['url'].removeprefix('mxc://')}", headers=TOKEN
        )
        assert answer.headers["content-type"] == "image/png"
        info = content["info"]
        assert decoded(answer.content).size == (info["w"], info["h"])
    assert photo[0]["content"]["info"]["size"] == len(answer.content)
