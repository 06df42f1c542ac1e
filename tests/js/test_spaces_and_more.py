"""matrix-js-sdk 43 on spaces, knocking and the user directory (issue 17's client calls)."""

from __future__ import annotations

from mockserver.server import ThreadedServer
from tests.js.runner import run_js


def test_js_sdk_hierarchy_knock_and_user_directory(server: ThreadedServer) -> None:
    result = run_js("spaces_and_more.mjs", server.base_url, alice="alice", bob="bob")
    assert result["pages"] == [
        {"names": ["Space"], "more": True},
        {"names": ["Lobby"], "more": True},
        {"names": ["Door"], "more": False},
    ]
    assert result["suggested"] == ["Space", "Lobby"]
    assert result["spaceType"] == "m.space"
    assert len(result["children"]) == 2
    assert result["found"] == ["@alice:localhost"]
    assert result["knockRoomName"] == "Door"
    assert result["finally"] == "join"
    knock = server.homeserver.store.rooms[result["knocked"]]
    memberships = [e.content["membership"] for e in knock.member_events_of("@bob:localhost")]
    assert memberships == ["knock", "invite", "join"]
