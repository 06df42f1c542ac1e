"""The README's "Testing your client with pytest" examples, run by our own suite.

Each example block of that README section must appear here verbatim
(``test_readme_shows_these_examples`` checks it), so the documentation
cannot drift from code that passes. They use the plugin's ``homeserver``
fixture exactly as a client project would.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from nio import AsyncClient, RoomMessageText, RoomSendResponse


@pytest.fixture
def anyio_backend():
    return "asyncio"  # matrix-nio runs on asyncio


@pytest.mark.anyio
async def test_alice_sees_bobs_message_live(homeserver):
    homeserver.register("alice", password="secret")
    bob = homeserver.as_user(homeserver.register("bob").user_id)
    room_id = bob.create_room(preset="public_chat", name="Lobby")

    client = AsyncClient(homeserver.base_url, "@alice:localhost")
    try:
        await client.login("secret")
        await client.join(room_id)
        first = await client.sync(timeout=0)
        long_poll = asyncio.create_task(client.sync(timeout=30_000, since=first.next_batch))
        await homeserver.until_parked("@alice:localhost")  # her /sync is waiting now
        bob.send(room_id, "Hi Alice!")
        response = await long_poll
    finally:
        await client.close()

    events = response.rooms.join[room_id].timeline.events
    assert [(e.sender, e.body) for e in events if isinstance(e, RoomMessageText)] == [
        ("@bob:localhost", "Hi Alice!")
    ]


@pytest.mark.anyio
async def test_client_marks_the_room_read(homeserver):
    homeserver.register("alice", password="secret")
    room_id = homeserver.create_room("@alice:localhost", name="Notes")
    event_id = homeserver.send("@alice:localhost", room_id, "remember the milk")

    client = AsyncClient(homeserver.base_url, "@alice:localhost")
    try:
        await client.login("secret")
        await client.room_read_markers(room_id, fully_read_event=event_id, read_event=event_id)
    finally:
        await client.close()

    [request] = homeserver.journal("*/read_markers", user_id="@alice:localhost")
    assert request["method"] == "POST"
    assert request["body"] == {"m.fully_read": event_id, "m.read": event_id}
    assert request["status"] == 200


@pytest.mark.anyio
async def test_client_retries_after_rate_limit(homeserver):
    homeserver.register("alice", password="secret")
    room_id = homeserver.create_room("@alice:localhost")
    homeserver.fail(method="PUT", path="*/rooms/*/send/*", status=429, retry_after_ms=10)

    client = AsyncClient(homeserver.base_url, "@alice:localhost")
    try:
        await client.login("secret")
        response = await client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "hello"}
        )
    finally:
        await client.close()

    assert isinstance(response, RoomSendResponse)
    sends = homeserver.journal("*/rooms/*/send/*")
    assert [r["status"] for r in sends] == [429, 200]
    assert sends[0]["path"] == sends[1]["path"]  # the retry kept its transaction id


def test_typing_stops_when_the_clock_passes_its_timeout(homeserver):
    alice = homeserver.register("alice")
    bob = homeserver.register("bob")
    room_id = homeserver.create_room(alice.user_id, preset="public_chat")
    homeserver.join(bob.user_id, room_id)
    homeserver.clock.freeze()
    homeserver.typing(bob.user_id, room_id, timeout=5_000)

    def typing_users(since=None):
        response = httpx.get(
            homeserver.base_url + "/_matrix/client/v3/sync",
            params={"since": since} if since else {},
            headers={"Authorization": f"Bearer {alice.access_token}"},
        ).json()
        ephemeral = response["rooms"]["join"][room_id]["ephemeral"]["events"]
        typing = [e["content"]["user_ids"] for e in ephemeral if e["type"] == "m.typing"]
        return typing, response["next_batch"]

    typing, next_batch = typing_users()
    assert typing == [[bob.user_id]]
    homeserver.clock.advance(5_000)
    typing, _ = typing_users(next_batch)
    assert typing == [[]]


@pytest.mark.mockserver_scenario("fixtures/limited_timeline.json")
@pytest.mark.anyio
async def test_client_backfills_the_gap(homeserver):
    client = AsyncClient(homeserver.base_url)
    client.restore_login("@alice:localhost", "ALICE", "alice_token")  # from the scenario
    try:
        sync = await client.sync(timeout=0)
        timeline = sync.rooms.join["!history:localhost"].timeline
        assert timeline.limited
        messages = [e.body for e in timeline.events if isinstance(e, RoomMessageText)]
        token = timeline.prev_batch
        while token is not None:
            page = await client.room_messages("!history:localhost", start=token, limit=100)
            messages[:0] = [e.body for e in reversed(page.chunk) if isinstance(e, RoomMessageText)]
            token = page.end
    finally:
        await client.close()

    assert len(messages) == 300
    assert messages[0] == "Message 1 of 300" and messages[-1] == "Message 300 of 300"


def test_readme_shows_these_examples():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("\n## Testing your client with pytest\n")
    end = readme.index("\n## ", start + 1)
    blocks = re.findall(r"```python\n(.*?)```", readme[start:end], flags=re.S)
    assert len(blocks) >= 4
    source = Path(__file__).read_text()
    for block in blocks:
        if "# not run" not in block:
            assert block.strip() in source, f"README example not in {__file__}:\n{block}"
