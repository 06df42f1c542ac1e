"""Long-polling the seed's sync: it wakes for the user's own rooms and nothing else.

Each test parks a sync in a task group, waits for the notifier to report it
parked, acts, then awaits the response under a deadline. Timeouts are driven
by the frozen server clock, so a 30-second long-poll ends in microseconds.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import orjson

from mockserver.config import ServerConfig
from mockserver.core.tokens import SEED_PARTS
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.seed_sync import check_seed_shape, groups, seed_sync, timeline
from tests.support import SEED, Account, assert_error, register

LONG = 30_000


class Parked:
    """A seed sync running in the background; ``body`` once it has returned."""

    def __init__(self, account: Account, **params: Any) -> None:
        self.account = account
        self.params = params
        self.body: dict[str, Any] | None = None
        self.done = anyio.Event()

    async def run(self) -> None:
        self.body = await seed_sync(self.account, **self.params)
        self.done.set()


async def test_parked_sync_returns_promptly_after_a_send(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(bob)
    parked = Parked(bob, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(bob.user_id)
            assert parked.body is None
            sent = await alice.send(room, "wake up")
            await parked.done.wait()
    assert parked.body is not None
    assert timeline(parked.body, room) == [sent]
    assert hs.notifier.wakeups[bob.user_id] == 1
    assert hs.notifier.total_parked() == 0


async def test_parked_sync_ignores_rooms_the_user_is_not_in(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    hs.store.clock.freeze()
    outsider = await register(client, "outsider")
    mine = await alice.create_room()
    theirs = await bob.create_room(preset="public_chat")
    await outsider.join(theirs)
    first = await seed_sync(alice)
    parked = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            await bob.send(theirs, "not for alice")
            await bob.put_state(theirs, "m.room.topic", {"topic": "x"})
            await outsider.typing(theirs)
            await bob.create_room(name="another")
            assert hs.notifier.wakeups[alice.user_id] == 0
            assert hs.notifier.parked[alice.user_id] == 1
            assert parked.body is None
            # The deadline passes on the server clock: an empty answer, at the current position.
            hs.store.clock.advance(LONG)
            await parked.done.wait()
    assert parked.body is not None
    assert parked.body["room_map"] == {}
    assert groups(parked.body) == {"joined": [], "invited": [], "archived": []}
    assert parked.body["next_batch"] == hs.store.position.format(SEED_PARTS)
    assert parked.body["next_batch"] != first["next_batch"]
    assert mine not in parked.body["room_map"]
    # Nothing was skipped: the next sync from there is empty too.
    after = await seed_sync(alice, since=parked.body["next_batch"])
    assert after["room_map"] == {}


async def test_deadline_with_nothing_at_all_returns_since(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    await alice.create_room()
    first = await seed_sync(alice)
    parked = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            parks = hs.notifier.parks[alice.user_id]
            hs.store.clock.advance(LONG - 1)
            # Woken by the clock, it re-checks its deadline and parks again.
            await hs.notifier.until_parks(alice.user_id, parks + 1)
            assert parked.body is None
            hs.store.clock.advance(1)
            await parked.done.wait()
    assert parked.body is not None
    assert parked.body["next_batch"] == first["next_batch"]
    assert parked.body["room_map"] == {} and parked.body["presence"] == {"events": []}


async def test_initial_sync_and_timeout_zero_never_wait(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    await alice.create_room()
    with anyio.fail_after(2):
        first = await seed_sync(alice, timeout=LONG)
        empty = await seed_sync(alice, since=first["next_batch"], timeout=0)
        default = await seed_sync(alice, since=first["next_batch"])
    assert groups(first)["joined"]
    assert empty["room_map"] == {} and empty["next_batch"] == first["next_batch"]
    assert default["next_batch"] == first["next_batch"]
    assert hs.notifier.wakeups[alice.user_id] == 0


async def test_sync_with_something_already_new_does_not_wait(
    hs: Homeserver, alice: Account
) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room()
    first = await seed_sync(alice)
    sent = await alice.send(room)
    with anyio.fail_after(2):
        body = await seed_sync(alice, since=first["next_batch"], timeout=LONG)
    assert timeline(body, room) == [sent]


async def test_parked_sync_keeps_waiting_while_everything_new_is_filtered_out(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    no_messages = await alice.upload_filter(
        {"room": {"timeline": {"not_types": ["m.room.message"]}}}, prefix=SEED
    )
    first = await seed_sync(alice, filter=no_messages)
    parked = Parked(alice, since=first["next_batch"], timeout=LONG, filter=no_messages)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            parks = hs.notifier.parks[alice.user_id]
            await bob.send(room, "filtered out")
            assert hs.notifier.wakeups[alice.user_id] == 1
            # It recomputes, finds nothing to report and parks again.
            await hs.notifier.until_parks(alice.user_id, parks + 1)
            assert parked.body is None
            topic = await alice.put_state(room, "m.room.topic", {"topic": "reportable"})
            await parked.done.wait()
    assert parked.body is not None
    assert timeline(parked.body, room) == [topic]
    assert hs.notifier.wakeups[alice.user_id] == 2


async def test_parked_sync_wakes_for_an_invite(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    hs.store.clock.freeze()
    first = await seed_sync(alice)
    room = await bob.create_room()
    parked = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            await bob.invite(room, alice.user_id)
            await parked.done.wait()
    assert parked.body is not None
    assert groups(parked.body)["invited"] == [room]


async def test_parked_sync_wakes_for_typing_and_its_expiry(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    typing = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(typing.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            await bob.typing(room, timeout=5_000)
            await typing.done.wait()
    assert typing.body is not None
    ephemeral = typing.body["room_map"][room]["ephemeral"]["events"]
    assert ephemeral == [
        {"room_id": room, "type": "m.typing", "content": {"user_ids": [bob.user_id]}}
    ]

    expiry = Parked(alice, since=typing.body["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(expiry.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            hs.store.clock.advance(5_000)
            await expiry.done.wait()
    assert expiry.body is not None
    assert expiry.body["room_map"][room]["ephemeral"]["events"][0]["content"] == {"user_ids": []}


async def test_parked_sync_sees_a_room_joined_while_parked(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    """The keys a sync waits on are asked afresh each time it parks."""
    hs.store.clock.freeze()
    room = await bob.create_room(preset="public_chat")
    first = await seed_sync(alice)
    joined = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(joined.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            await alice.join(room)
            await joined.done.wait()
    assert joined.body is not None
    assert groups(joined.body)["joined"] == [room]
    later = Parked(alice, since=joined.body["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(later.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            sent = await bob.send(room, "now you hear me")
            await later.done.wait()
    assert later.body is not None
    assert timeline(later.body, room) == [sent]


async def test_cancelled_long_poll_leaves_nothing_parked(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    first = await seed_sync(alice)
    parked = Parked(alice, since=first["next_batch"], timeout=LONG)
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(parked.run)
            await hs.notifier.until_parked(alice.user_id)
            tg.cancel_scope.cancel()
    assert parked.body is None
    assert hs.notifier.total_parked() == 0
    assert hs.notifier.parked[alice.user_id] == 0


async def test_long_poll_over_a_real_socket() -> None:
    hs = Homeserver.create(ServerConfig(host="127.0.0.1", port=0))
    server = ThreadedServer(hs).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            alice = await register(client, "alice")
            bob = await register(client, "bob")
            room = await alice.create_room(preset="public_chat")
            await bob.join(room)
            first = await seed_sync(bob)
            parked = Parked(bob, since=first["next_batch"], timeout=LONG)
            async with anyio.create_task_group() as tg:
                tg.start_soon(parked.run)
                with anyio.fail_after(5):
                    # The control API waits (server-side, no polling) until bob's sync is parked.
                    waited = await client.get(
                        "/_mock/parked", params={"user_id": bob.user_id, "timeout": 5000}
                    )
                    assert waited.json()["reached"] is True
                    assert parked.body is None
                    sent = await alice.send(room, "over the wire")
                    await parked.done.wait()
            assert parked.body is not None
            check_seed_shape(parked.body)
            assert timeline(parked.body, room) == [sent]
    finally:
        server.stop()


async def test_read_receipts_do_not_end_a_seed_long_poll(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    """The seed's sync has no receipts: one wakes the sync, which finds nothing and parks again."""
    hs.store.clock.freeze()
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = await alice.send(room)
    first = await seed_sync(alice)
    await bob.call("POST", f"/rooms/{room}/receipt/m.read/{sent}", json={})
    assert (await seed_sync(alice, since=first["next_batch"]))["room_map"] == {}
    parked = Parked(alice, since=first["next_batch"], timeout=LONG)
    async with anyio.create_task_group() as tg:
        tg.start_soon(parked.run)
        with anyio.fail_after(2):
            await hs.notifier.until_parked(alice.user_id)
            parks = hs.notifier.parks[alice.user_id]
            await bob.call("POST", f"/rooms/{room}/receipt/m.read/{sent}", json={})
            await hs.notifier.until_parks(alice.user_id, parks + 1)
            assert parked.body is None
            hs.store.clock.advance(LONG)
            await parked.done.wait()
    assert parked.body is not None and parked.body["room_map"] == {}


async def test_logging_out_ends_a_parked_sync_with_unknown_token(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account
) -> None:
    hs.store.clock.freeze()
    first = await seed_sync(alice)
    responses: list[httpx.Response] = []

    async def park() -> None:
        responses.append(
            await client.get(
                f"{SEED}/sync",
                params={"since": first["next_batch"], "timeout": LONG},
                headers=alice.headers,
            )
        )

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            await alice.call("POST", "/logout", json={})
    (response,) = responses
    assert_error(response, 401, "M_UNKNOWN_TOKEN")


async def test_woken_syncs_each_get_their_own_transaction_id_and_age(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, bob: Account, carol: Account
) -> None:
    # Answers made in one millisecond share the timeline's encoding: the sender's
    # device must still see its transaction id, and nobody else, whoever answers first.
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    response = await client.post(
        "/_matrix/client/v3/login",
        json={"type": "m.login.password", "user": alice.user_id, "password": "secret"},
    )
    phone = Account(client, alice.user_id, response.json()["access_token"], response.json()["device_id"])
    readers = [bob, alice, phone, carol]
    since = {id(a): (await a.sync())["next_batch"] for a in readers}
    since = {id(a): (await a.sync(since=since[id(a)]))["next_batch"] for a in readers}
    hs.store.clock.freeze()
    answers: dict[int, dict[str, Any]] = {}

    async def wait(account: Account) -> None:
        answers[id(account)] = await account.sync(since=since[id(account)], timeout=LONG)

    async with anyio.create_task_group() as tg:
        for account in readers:
            tg.start_soon(wait, account)
        with anyio.fail_after(2):
            await hs.notifier.until_total_parked(len(readers))
            sent = await alice.send(room, "to all", txn_id="mine")
    for account in readers:
        events = answers[id(account)]["rooms"]["join"][room]["timeline"]["events"]
        assert [e["event_id"] for e in events] == [sent]
        unsigned = events[0]["unsigned"]
        assert unsigned.get("transaction_id") == ("mine" if account is alice else None)
        assert unsigned["age"] == 0
    hs.store.clock.advance(1500)
    later = await carol.sync(since=since[id(carol)])
    assert later["rooms"]["join"][room]["timeline"]["events"][0]["unsigned"]["age"] == 1500


async def test_woken_syncs_share_answers_only_where_they_would_be_alike(
    hs: Homeserver, client: httpx.AsyncClient, alice: Account, bob: Account, carol: Account
) -> None:
    # Equal answers made in one millisecond are encoded once: readers who differ in
    # what the answer says of them (key counts, unread counts, event fields, where
    # state goes) must each still get their own, whoever is answered first.
    room = await alice.create_room(preset="public_chat")
    readers = [bob, carol]
    for name in ("dave", "erin", "fay", "gus"):
        readers.append(await register(client, name))
    for account in readers:
        await account.join(room)
    twin, keyed, projected, after = readers[2:]
    await keyed.call(
        "POST", "/keys/upload", json={"one_time_keys": {"signed_curve25519:K": {"key": "k"}}}
    )
    fields = {"event_fields": ["type", "content.body"]}
    params: dict[int, dict[str, Any]] = {
        id(projected): {"filter": orjson.dumps(fields).decode()},
        id(after): {"use_state_after": "true"},
    }
    # Everyone's first sync marks them online, which the others see: sync all twice.
    since = {id(a): (await a.sync(**params.get(id(a), {})))["next_batch"] for a in readers}
    for account in readers:
        extra = params.get(id(account), {})
        since[id(account)] = (await account.sync(since=since[id(account)], **extra))["next_batch"]
    hs.store.clock.freeze()
    answers: dict[int, dict[str, Any]] = {}

    async def wait(account: Account) -> None:
        answers[id(account)] = await account.sync(
            since=since[id(account)], timeout=LONG, **params.get(id(account), {})
        )

    async with anyio.create_task_group() as tg:
        for account in readers:
            tg.start_soon(wait, account)
        with anyio.fail_after(2):
            await hs.notifier.until_total_parked(len(readers))
            content = {"msgtype": "m.text", "body": "hi", "m.mentions": {"user_ids": [carol.user_id]}}
            sent = await alice.send(room, content)

    def entry(account: Account) -> dict[str, Any]:
        return answers[id(account)]["rooms"]["join"][room]  # type: ignore[no-any-return]

    for account in readers:
        assert [e.get("event_id") for e in entry(account)["timeline"]["events"]] in (
            [sent], [None]
        )
        highlights = entry(account)["unread_notifications"]["highlight_count"]
        assert highlights == (1 if account is carol else 0)
        counts = answers[id(account)]["device_one_time_keys_count"]
        assert counts == {"signed_curve25519": 1 if account is keyed else 0}
        assert ("state_after" in entry(account)) == (account is after)
        assert ("state" in entry(account)) == (account is not after)
    assert entry(projected)["timeline"]["events"] == [{"type": "m.room.message", "content": {"body": "hi"}}]
    assert entry(bob)["timeline"]["events"][0]["content"] == content
    # Readers alike in all of that got the same answer.
    assert answers[id(bob)] == answers[id(twin)]
