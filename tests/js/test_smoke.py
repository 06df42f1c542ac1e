"""The node harness itself: matrix-js-sdk 43 (on Node 22) syncing from a real socket."""

from __future__ import annotations

from mockserver.server import ThreadedServer
from tests.js.runner import run_js


def test_js_sdk_sees_a_live_message(server: ThreadedServer) -> None:
    result = run_js("smoke.mjs", server.base_url, alice="alice", bob="bob", crypto=False)
    assert result["roomName"] == "Smoke"
    assert result["bodies"] == ["hello from js-sdk"]
    assert result["members"] == ["@alice:localhost", "@bob:localhost"]


def test_js_sdk_rust_crypto_starts(server: ThreadedServer) -> None:
    """Rust crypto (WASM) initialises in node and uploads its device keys to mockserver."""
    result = run_js("smoke.mjs", server.base_url, alice="carol", bob="dan", crypto=True)
    assert "Rust SDK" in result["cryptoVersion"]
    keys = server.homeserver.store.query_keys("@dan:localhost", {"@dan:localhost": []})
    assert keys["device_keys"]["@dan:localhost"], "dan's device uploaded no keys"
