"""docs/sliding-sync.md's js-sdk example, run as written against the demo scenario.

The page's ```js block is written next to ``harness.mjs`` with a few lines after it that
wait for the room list and report it, then run by node as the other scripts are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.js.runner import JS_DIR, run_js

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "sliding-sync.md"
JS_BLOCK = re.compile(r"^```js[^\n]*\n(.*?)^```", re.M | re.S)
REPORT = """
import { baseUrl, done, until } from "./harness.mjs";
await until(client, () => slidingSync.getListData("all")?.joinedCount > 0, { what: "the room list" });
done({
    count: slidingSync.getListData("all").joinedCount,
    rooms: client.getRooms().map((room) => [room.roomId, room.name, room.getMyMembership()]).sort(),
});
client.stopClient();
"""


@pytest.fixture
def demo() -> Iterator[ThreadedServer]:
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(ROOT / "fixtures" / "demo.json")
    server = ThreadedServer(homeserver).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_js_sdk_example_shows_the_demo_rooms(demo: ThreadedServer) -> None:
    blocks = JS_BLOCK.findall(PAGE.read_text())
    assert len(blocks) == 1, "docs/sliding-sync.md should have one js example"
    script = JS_DIR / f".docs-sliding-sync-{os.getpid()}.mjs"
    script.write_text(blocks[0] + REPORT)
    try:
        result = run_js(script.name, demo.base_url)
    finally:
        script.unlink()
    rooms = {room_id: (name, membership) for room_id, name, membership in result["rooms"]}
    assert rooms["!lobby:localhost"] == ("Lobby", "join")
    assert rooms["!direct:localhost"][1] == "join"
    assert any(membership == "invite" for _, membership in rooms.values())
    assert result["count"] == len(rooms)
