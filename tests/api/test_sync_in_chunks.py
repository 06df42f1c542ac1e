"""A wide initial ``/sync`` is sent a chunk at a time, every chunk as of the answer's moment.

An initial sync about more rooms than :attr:`SharedEncodings.WIDE` (the
big account's 1,022) is put together from its kept entries as it is sent
(``mockserver/api/entries.py``: :class:`Pieces`). Here ``WIDE`` is lowered
so that a few rooms make such an answer, and a chunk is three pieces, so it
goes out in many body messages. Each answer must declare its true length,
carry every event's age as of its own moment (events stored in the same
millisecond share their age's bytes), equal the answer laid out afresh, and
keep its bytes while a later answer is made from the same kept pieces.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from mockserver.api.entries import ENTRIES, Pieces
from mockserver.api.shared import SHARED
from mockserver.app import create_app
from mockserver.homeserver import Homeserver
from tests.both_ways import client, hs  # noqa: F401 (fixtures: in process and over a socket)
from tests.support import V3, Account, http_scope, register

pytestmark = pytest.mark.anyio

START = 1_700_000_000_000
LAZY = json.dumps({"room": {"timeline": {"limit": 1}, "state": {"lazy_load_members": True}}})


@pytest.fixture(autouse=True)
def chunked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(SHARED, "WIDE", 1)
    monkeypatch.setattr(Pieces, "CHUNK", 3)
    ENTRIES.clear()
    yield
    ENTRIES.clear()


async def populate(hs: Homeserver, client: httpx.AsyncClient, *, frozen: bool = True) -> Account:
    """Alice in four rooms with Bob: messages many to a millisecond and one to a
    millisecond (unless the clock is left moving: ``frozen`` false), one redacted,
    bodies with ``%`` and non-ASCII."""
    if frozen:
        hs.clock.freeze(START)
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    for number in range(4):
        room_id = await alice.create_room(preset="public_chat", name=f"room {number}")
        await bob.join(room_id)
        for burst in range(3):
            for _ in range(3):  # three events stored in one millisecond
                await bob.send(room_id, {"msgtype": "m.text", "body": f"100% burst {burst} \u2603"})
            hs.clock.advance(7 + number)
        event_id = await alice.send(room_id, {"msgtype": "m.text", "body": "gone soon"})
        hs.clock.advance(1)
        if number == 2:
            await alice.call(
                "PUT", f"/rooms/{room_id}/redact/{event_id}/r{number}", json={"reason": "oops"}
            )
        hs.clock.advance(1000)
    return alice


async def initial(client: httpx.AsyncClient, account: Account, **params: str) -> bytes:
    response = await client.get(f"{V3}/sync", params={"timeout": "0", **params}, headers=account.headers)
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == len(response.content)
    return response.content


def events_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entry in answer["rooms"]["join"].values():
        found += entry["timeline"]["events"]
        found += entry.get("state", {}).get("events", [])
    return found


def assert_ages(body: bytes, now: int) -> None:
    """Every event's age is its time until ``now`` (0 for one stamped after it)."""
    events = events_of(json.loads(body))
    assert len(events) > 20
    for event in events:
        assert event["unsigned"]["age"] == max(now - event["origin_server_ts"], 0), event


@pytest.mark.parametrize("params", [{}, {"filter": LAZY}], ids=["full", "lazy"])
@pytest.mark.parametrize("stamps", ["shared", "distinct"])
async def test_chunked_answers_equal_fresh_ones_at_every_moment(
    hs: Homeserver,
    client: httpx.AsyncClient,
    params: dict[str, str],
    stamps: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if stamps == "distinct":  # every clock reading a millisecond later: no two events alike
        readings = itertools.count()
        monkeypatch.setattr(hs.clock, "_source", lambda: (START + next(readings)) / 1000)
    alice = await populate(hs, client, frozen=stamps == "shared")
    newest = hs.clock.freeze()
    served = [e["origin_server_ts"] for e in events_of(json.loads(await initial(client, alice)))]
    assert (len(set(served)) == len(served)) == (stamps == "distinct")
    # Later and later answers from the kept pieces, then one before the newest event.
    for now in (newest, newest + 1, newest + 86_400_000, START + 20):
        hs.clock.freeze(now)
        kept = await initial(client, alice, **params)
        served_again = await initial(client, alice, **params)
        assert_ages(kept, now)
        ENTRIES.clear()
        fresh = await initial(client, alice, **params)
        assert kept == served_again == fresh, now


async def test_an_answer_still_being_sent_keeps_its_bytes(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    """An answer held after its first chunk (a slow reader) is not refilled by the
    next answer made of the same kept pieces, at a later moment."""
    alice = await populate(hs, client)
    await initial(client, alice)  # the entries kept
    app = create_app(homeserver=hs)
    authorization = (b"authorization", f"Bearer {alice.access_token}".encode())
    scope = http_scope("GET", f"{V3}/sync", [(b"host", b"localhost"), authorization], b"timeout=0")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    first_chunk = anyio.Event()
    go_on = anyio.Event()
    held: list[bytes] = []

    async def slow_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            held.append(message["body"])
            if not first_chunk.is_set():
                first_chunk.set()
                await go_on.wait()

    held_at = hs.clock.now_ms()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(app, scope, receive, slow_send)
        await first_chunk.wait()
        later = hs.clock.advance(5_000)
        assert_ages(await initial(client, alice), later)
        go_on.set()
    assert len(held) > 2
    assert_ages(b"".join(held), held_at)
