"""matrix-js-sdk 43's SlidingSync driving a client through mockserver's sliding sync."""

from __future__ import annotations

import pytest

from mockserver.server import ThreadedServer
from tests.js.runner import run_js


@pytest.mark.parametrize("crypto", [False, True], ids=["plain", "rust_crypto"])
def test_js_sdk_sliding_sync_client(server: ThreadedServer, crypto: bool) -> None:
    result = run_js(
        "sliding_sync_client.mjs", server.base_url, alice="alice", bob="bob", crypto=crypto
    )
    assert result["roomList"] == {
        "count": 2,
        "names": ["Lobby", "History"],
        "historyBodies": ["h12"],
    }
    assert result["lobbyBodies"] == ["first", "live"]
    assert result["historyBodies"] == [f"h{n}" for n in range(3, 13)]
    assert result["typing"] is True
    assert result["receipt"] is True
    assert result["toDevice"] == {
        "type": "m.mockserver.test",
        "content": {"hello": "bob"},
        "sender": "@alice:localhost",
    }
    if crypto:
        # Rust crypto asked for the e2ee extension and uploaded keys the answers count.
        assert "Rust SDK" in result["crypto"]
        keys = server.homeserver.store.query_keys({"@bob:localhost": []})
        assert keys["@bob:localhost"]
