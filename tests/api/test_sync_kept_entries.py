"""Initial ``/sync`` answers served from kept room entries are the answers built afresh.

An initial sync in today's dialect keeps each joined room's entry, encoded,
with what it depends on (``mockserver/core/sync/kept.py``,
``mockserver/api/entries.py``), and serves it again while that holds. Each
test here builds a world, takes initial syncs (keeping the entries), changes
one thing an entry depends on, then takes the same syncs again: every answer
must be byte for byte the one the server gives once everything kept is
forgotten, and the rooms the change did not touch must have been served from
what was kept (so a kept entry is used, and nothing is served stale), but for
a room whose timeline has bundled aggregations (built each time). The clock is
frozen, so two answers at one moment have the same ages.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver.api import sync as sync_api
from mockserver.api.entries import ENTRIES
from mockserver.core.store import Store
from mockserver.core.sync import SyncRequest, SyncResult
from mockserver.core.sync.kept import EntryKeeper, KeptEntry
from mockserver.homeserver import Homeserver
from tests.support import V3, Account, register

pytestmark = pytest.mark.anyio

LAZY = {"room": {"timeline": {"limit": 1}, "state": {"lazy_load_members": True}}}
#: The request shapes compared: each has its own keeper (or none: event_fields, PDUs).
VARIANTS: list[dict[str, str]] = [
    {},
    {"filter": json.dumps(LAZY)},
    {"filter": json.dumps({"room": {"timeline": {"limit": 2}}}), "use_state_after": "true"},
    {"filter": json.dumps({"room": {"timeline": {"limit": 3, "unread_thread_notifications": True}}})},
    {"filter": json.dumps({"room": {"ephemeral": {"not_types": ["m.receipt"]}, "account_data": {"types": ["m.tag"]}}})},
    {"filter": json.dumps({"room": {"timeline": {"types": ["m.room.message"], "limit": 2}}})},
    {"full_state": "true"},
    {"filter": json.dumps({"event_fields": ["type", "content.body", "sender"]})},
    {"filter": json.dumps({"event_format": "federation", "room": {"timeline": {"limit": 2}}})},
]


@dataclass
class World:
    hs: Homeserver
    client: httpx.AsyncClient
    alice: Account
    #: Alice's second device: her first device's transaction ids are not its own.
    alice2: Account
    bob: Account
    carol: Account
    rooms: dict[str, str]
    #: Per answer computed, the rooms served from kept entries.
    served_kept: list[set[str]]

    async def answers(self, account: Account | None = None) -> list[bytes]:
        """The initial syncs of every variant, as bytes."""
        account = account or self.alice
        found = []
        for params in VARIANTS:
            response = await self.client.get(
                f"{V3}/sync", params={"timeout": "0", **params}, headers=account.headers
            )
            assert response.status_code == 200, response.text
            found.append(response.content)
        return found

    async def compare(
        self, *, touched: set[str], account: Account | None = None, label: str = ""
    ) -> None:
        """The kept answers of every variant equal those built afresh; the rooms of the
        world outside ``touched`` (names) came from kept entries in the plain variant."""
        self.served_kept.clear()
        kept = await self.answers(account)
        plain_kept = set(self.served_kept[0])
        ENTRIES.clear()
        fresh = await self.answers(account)
        for params, served, built in zip(VARIANTS, kept, fresh):
            assert served == built, f"{label} {params}: a kept entry differs from a fresh one"
        joined = json.loads(fresh[0])["rooms"]["join"]
        expected = {
            room_id
            for name, room_id in self.rooms.items()
            if name not in touched and room_id in joined and not bundles(joined[room_id])
        }
        assert plain_kept == expected, (label, sorted(plain_kept), sorted(expected))
        # What the fresh answers kept serves the next ones.
        assert await self.answers(account) == fresh


def bundles(entry: dict[str, Any]) -> bool:
    """Whether an entry's timeline has bundled aggregations (then it is built each time:
    its bytes hold the bundled events' ages)."""
    return any("m.relations" in e["unsigned"] for e in entry["timeline"]["events"])


@pytest.fixture(autouse=True)
def forget_kept() -> Iterator[None]:
    ENTRIES.clear()
    yield
    ENTRIES.clear()


@pytest.fixture
async def world(
    hs: Homeserver, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    hs.clock.freeze(1_700_000_000_000)
    served_kept: list[set[str]] = []
    compute = sync_api.compute_sync

    def spy(store: Store, request: SyncRequest, keeper: EntryKeeper | None = None) -> SyncResult:
        result = compute(store, request, keeper)
        served_kept.append({r.room_id for r in result.joined if isinstance(r, KeptEntry)})
        return result

    monkeypatch.setattr(sync_api, "compute_sync", spy)
    alice = await register(client, "alice")
    login = await client.post(
        f"{V3}/login",
        json={"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "alice"}, "password": "secret"},
    )
    assert login.status_code == 200, login.text
    second = login.json()
    alice2 = Account(client, alice.user_id, second["access_token"], second["device_id"])
    bob = await register(client, "bob")
    carol = await register(client, "carol")
    rooms = {
        "chat": await alice.create_room(preset="public_chat", name="chat"),
        "team": await alice.create_room(preset="public_chat"),
        "quiet": await alice.create_room(preset="private_chat", name="quiet"),
        "dm": await bob.create_room(preset="private_chat", is_direct=True),
    }
    for name in ("chat", "team"):
        await bob.join(rooms[name])
    await carol.join(rooms["team"])
    await bob.invite(rooms["dm"], alice.user_id)
    await alice.join(rooms["dm"])
    for n in range(4):
        await alice.send(rooms["chat"], f"hello {n}", txn_id=f"mine{n}")
        await bob.send(rooms["chat"], f"hi alice {n}")
        await carol.send(rooms["team"], f"team {n}")
    await bob.send(rooms["dm"], "psst")
    built = World(hs, client, alice, alice2, bob, carol, rooms, served_kept)
    await built.answers()
    await built.answers(alice2)
    yield built


Change = Callable[[World], Awaitable[set[str]]]


async def message(w: World) -> set[str]:
    await w.bob.send(w.rooms["chat"], "one more")
    return {"chat"}


async def state_event(w: World) -> set[str]:
    await w.alice.put_state(w.rooms["team"], "m.room.topic", {"topic": "plans"})
    return {"team"}


async def room_name_removed(w: World) -> set[str]:
    await w.alice.put_state(w.rooms["quiet"], "m.room.name", {})
    return {"quiet"}


async def redaction(w: World) -> set[str]:
    timeline = (await w.alice.messages(w.rooms["chat"], dir="b", limit="3"))["chunk"]
    await w.alice.call("PUT", f"/rooms/{w.rooms['chat']}/redact/{timeline[1]['event_id']}/r1", json={})
    return {"chat"}


async def edit_and_thread(w: World) -> set[str]:
    root = (await w.bob.messages(w.rooms["team"], dir="b", limit="1"))["chunk"][0]["event_id"]
    await w.carol.send(
        w.rooms["team"],
        {
            "msgtype": "m.text",
            "body": "* edited",
            "m.new_content": {"msgtype": "m.text", "body": "edited"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": root},
        },
    )
    await w.bob.send(
        w.rooms["team"],
        {"msgtype": "m.text", "body": "in a thread", "m.relates_to": {"rel_type": "m.thread", "event_id": root}},
    )
    for n in range(3):
        await w.bob.send(w.rooms["team"], f"after {n}")
    return {"team"}


async def typing(w: World) -> set[str]:
    await w.bob.typing(w.rooms["chat"], timeout=1000)
    return {"chat"}


async def typing_expires(w: World) -> set[str]:
    await w.bob.typing(w.rooms["chat"], timeout=1000)
    await w.answers()
    w.hs.clock.advance(1500)
    return {"chat"}


async def own_receipt(w: World) -> set[str]:
    timeline = (await w.alice.messages(w.rooms["chat"], dir="b", limit="3"))["chunk"]
    await w.alice.call("POST", f"/rooms/{w.rooms['chat']}/receipt/m.read/{timeline[2]['event_id']}", json={})
    return {"chat"}


async def private_receipt(w: World) -> set[str]:
    timeline = (await w.alice.messages(w.rooms["team"], dir="b", limit="1"))["chunk"]
    await w.alice.call(
        "POST", f"/rooms/{w.rooms['team']}/receipt/m.read.private/{timeline[0]['event_id']}", json={}
    )
    return {"team"}


async def others_receipt(w: World) -> set[str]:
    timeline = (await w.bob.messages(w.rooms["chat"], dir="b", limit="1"))["chunk"]
    await w.bob.call("POST", f"/rooms/{w.rooms['chat']}/receipt/m.read/{timeline[0]['event_id']}", json={})
    return {"chat"}


async def room_account_data(w: World) -> set[str]:
    path = f"/user/{w.alice.user_id}/rooms/{w.rooms['quiet']}/account_data/org.example.draft"
    await w.alice.call("PUT", path, json={"text": "unsent"})
    return {"quiet"}


async def tag(w: World) -> set[str]:
    await w.alice.call("PUT", f"/user/{w.alice.user_id}/rooms/{w.rooms['team']}/tags/u.work", json={"order": 0.5})
    return {"team"}


async def someone_else_joins(w: World) -> set[str]:
    await w.carol.join(w.rooms["chat"])
    return {"chat"}


async def someone_else_leaves(w: World) -> set[str]:
    await w.carol.leave(w.rooms["team"])
    return {"team"}


async def user_leaves(w: World) -> set[str]:
    await w.alice.leave(w.rooms["dm"])
    return {"dm"}


async def user_invited(w: World) -> set[str]:
    room = await w.bob.create_room(preset="private_chat", name="new")
    await w.bob.invite(room, w.alice.user_id)
    return set()


async def display_name(w: World) -> set[str]:
    await w.bob.call("PUT", f"/profile/{w.bob.user_id}/displayname", json={"displayname": "Robert"})
    return {"chat", "team", "dm"}


async def clock_moves(w: World) -> set[str]:
    w.hs.clock.advance(61_000)
    return set()


async def device_keys(w: World) -> set[str]:
    keys = {f"signed_curve25519:AAAA{n}": {"key": f"k{n}", "signatures": {}} for n in range(3)}
    await w.alice.call("POST", "/keys/upload", json={"one_time_keys": keys})
    return set()


async def global_account_data_and_presence(w: World) -> set[str]:
    await w.alice.call("PUT", f"/user/{w.alice.user_id}/account_data/org.example.theme", json={"dark": True})
    await w.bob.call("PUT", f"/presence/{w.bob.user_id}/status", json={"presence": "unavailable"})
    return set()


CHANGES: list[Change] = [
    message,
    state_event,
    room_name_removed,
    redaction,
    edit_and_thread,
    typing,
    typing_expires,
    own_receipt,
    private_receipt,
    others_receipt,
    room_account_data,
    tag,
    someone_else_joins,
    someone_else_leaves,
    user_leaves,
    user_invited,
    display_name,
    clock_moves,
    device_keys,
    global_account_data_and_presence,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
async def test_kept_entries_equal_fresh_ones_after_a_change(world: World, change: Change) -> None:
    touched = await change(world)
    await world.compare(touched=touched)


async def test_nothing_changed_serves_every_room_kept(world: World) -> None:
    await world.compare(touched=set())


async def test_each_device_sees_only_its_own_transaction_ids(world: World) -> None:
    await world.alice2.send(world.rooms["chat"], "from the other device", txn_id="theirs")
    await world.compare(touched={"chat"})
    await world.answers(world.alice2)  # kept again (compare forgot everything kept)
    await world.compare(touched=set(), account=world.alice2)
    mine = json.loads((await world.answers())[0])["rooms"]["join"][world.rooms["chat"]]
    ids = [e["unsigned"].get("transaction_id") for e in mine["timeline"]["events"]]
    assert "mine3" in ids and "theirs" not in ids


async def test_changes_one_after_another_keep_matching(world: World) -> None:
    for change in CHANGES:
        touched = await change(world)
        await world.compare(touched=touched, label=change.__name__)


async def test_a_world_loaded_again_is_not_served_from_the_old_one(
    hs: Homeserver, client: httpx.AsyncClient
) -> None:
    document = {
        "users": [{"user_id": "@me:localhost", "access_token": "me_token", "device_id": "ME"}],
        "rooms": [
            {
                "room_id": "!one:localhost",
                "creator": "@me:localhost",
                "timeline": [{"type": "m.room.message", "sender": "@me:localhost", "content": {"msgtype": "m.text", "body": "hi"}}],
            }
        ],
    }
    hs.clock.freeze(1_700_000_000_000)
    hs.load_fixture(document, "test")
    headers = {"Authorization": "Bearer me_token"}
    first = await client.get(f"{V3}/sync", headers=headers)
    assert first.status_code == 200, first.text
    hs.clock.advance(5_000)  # the world loaded again has other timestamps, same ids
    hs.reset(reload_fixtures=True)
    served = await client.get(f"{V3}/sync", headers=headers)
    ENTRIES.clear()
    built = await client.get(f"{V3}/sync", headers=headers)
    assert served.content == built.content
    assert served.content != first.content


async def test_lazy_members_recorded_from_kept_entries_serve_the_next_sync(
    world: World,
) -> None:
    """What a kept lazy-loading answer records for the device (the member events it
    sent) is what a fresh one records: the incremental syncs after them are alike."""
    lazy = {"timeout": "0", "filter": json.dumps(LAZY)}
    chat = world.rooms["chat"]  # named: no heroes, so only senders' members are sent
    await world.carol.join(chat)

    async def initial_then_incremental() -> dict[str, Any]:
        first = await world.client.get(f"{V3}/sync", params=lazy, headers=world.alice.headers)
        await world.carol.send(chat, "carol again")
        later = await world.client.get(
            f"{V3}/sync",
            params={**lazy, "since": first.json()["next_batch"]},
            headers=world.alice.headers,
        )
        return later.json()["rooms"]["join"][chat]  # type: ignore[no-any-return]

    await world.carol.send(chat, "carol talks last")
    await world.answers()  # the room kept as it is now
    world.served_kept.clear()
    kept_later = await initial_then_incremental()
    assert chat in world.served_kept[0]
    await world.carol.send(chat, "carol talks last, again")
    ENTRIES.clear()
    world.served_kept.clear()
    fresh_later = await initial_then_incremental()
    assert world.served_kept[0] == set()
    # The initial answer, kept or fresh, sent carol's member event (she spoke last):
    # the device has it, so the incremental answer sends no member event again.
    for later in (kept_later, fresh_later):
        assert [e["content"]["body"] for e in later["timeline"]["events"]] == ["carol again"]
        assert later["state"]["events"] == []


async def test_keepers_beyond_the_bound_are_dropped_least_recent_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def plain_then_lazy() -> list[set[str]]:
        world.served_kept.clear()
        for params in ({}, {"filter": json.dumps(LAZY)}):
            response = await world.client.get(
                f"{V3}/sync", params={"timeout": "0", **params}, headers=world.alice.headers
            )
            assert response.status_code == 200
        return list(world.served_kept)

    every_room = set(world.rooms.values())
    assert await plain_then_lazy() == [every_room, every_room]
    monkeypatch.setattr(ENTRIES, "SLOTS", 1)  # room for one keeper's answer at a time
    await world.client.get(
        f"{V3}/sync", params={"filter": json.dumps({"room": {"timeline": {"limit": 4}}})},
        headers=world.alice.headers,
    )  # a new keeper: the others are dropped
    assert await plain_then_lazy() == [set(), set()]
