"""matrix-js-sdk 43 (threadSupport) shows mockserver's threads, reactions and edits."""

from __future__ import annotations

from mockserver.server import ThreadedServer
from tests.js.runner import run_js


def test_js_sdk_shows_a_thread_reactions_and_an_edit(server: ThreadedServer) -> None:
    result = run_js(
        "relations_thread.mjs",
        server.base_url,
        alice="alice",
        bob="bob",
        carol="carol",
        initialSyncLimit=8,
    )
    assert result["threadRoot"] == "Shall we ship on Friday?"
    assert result["threadLength"] == 2
    assert result["threadReplies"] == ["Friday works for me", "Great, Friday it is"]
    # The replies live in the thread, not in the main timeline; the edit replaced its original.
    assert "Friday works for me" not in result["mainTimeline"]
    assert "Shall we ship on Friday?" in result["mainTimeline"]
    assert result["thumbsUp"] == 2
    assert result["editedBody"] == "the plan is set"
    assert result["replacedBy"] == result["edit"]
