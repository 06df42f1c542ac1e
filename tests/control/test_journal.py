"""The request journal through ``/_mock/journal``."""

from __future__ import annotations

import anyio
import httpx
import pytest

from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account, assert_error

pytestmark = pytest.mark.anyio


async def test_records_each_client_request(control: Control, alice: Account) -> None:
    await control.call("DELETE", "/journal")
    room_id = await alice.create_room(name="Journal")
    await alice.send(room_id, "hello", txn_id="txn1")
    await alice.sync(timeout=0)
    entries = await control.journal()
    assert [(e["method"], e["path"]) for e in entries] == [
        ("POST", "/_matrix/client/v3/createRoom"),
        ("PUT", f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/txn1"),
        ("GET", "/_matrix/client/v3/sync"),
    ]
    create, send, sync = entries
    assert create["body"] == {"name": "Journal"}
    assert send["body"] == {"msgtype": "m.text", "body": "hello"}
    assert sync["query"] == {"timeout": "0"}
    assert sync["body"] is None
    assert {e["user_id"] for e in entries} == {alice.user_id}
    assert [e["status"] for e in entries] == [200, 200, 200]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert all(isinstance(e["ts"], int) for e in entries)
    assert all(e["fault"] is None and e["dropped"] is False for e in entries)


async def test_unauthenticated_and_failed_requests(
    control: Control, client: httpx.AsyncClient
) -> None:
    await control.call("DELETE", "/journal")
    await client.get("/_matrix/client/versions")
    await client.get("/_matrix/client/v3/account/whoami", headers={"Authorization": "Bearer nope"})
    await client.post(
        "/_matrix/client/v3/createRoom",
        content=b"not json{",
        headers={"Authorization": "Bearer nope"},
    )
    await client.get("/_matrix/client/v3/no/such/endpoint?x=1&x=2")
    entries = await control.journal()
    assert [(e["user_id"], e["status"]) for e in entries] == [
        (None, 200),
        (None, 401),
        (None, 401),
        (None, 404),
    ]
    assert entries[3]["query"] == {"x": ["1", "2"]}


async def test_control_calls_are_not_journaled(control: Control) -> None:
    await control.act("register", username="quiet")
    await control.call("GET", "/faults")
    assert await control.journal() == []


async def test_filters(control: Control, alice: Account, bob: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    mark = (await control.call("GET", "/journal"))["last_seq"]
    await alice.send(room_id, "a")
    await bob.send(room_id, "b")
    await bob.sync()
    sends = await control.journal(path="*/send/*")
    assert [e["user_id"] for e in sends] == [alice.user_id, bob.user_id]
    assert [e["path"] for e in await control.journal(user_id=bob.user_id, since=mark)] == [
        sends[1]["path"],
        "/_matrix/client/v3/sync",
    ]
    assert {e["method"] for e in await control.journal(method="put")} == {"PUT"}
    later = await control.journal(since=sends[0]["seq"])
    assert [e["seq"] for e in later] == [sends[1]["seq"], sends[1]["seq"] + 1]
    assert await control.journal(path="/nothing/*") == []
    newest = await control.journal(limit=2)
    assert [e["seq"] for e in newest] == [sends[1]["seq"], sends[1]["seq"] + 1]
    assert await control.journal(limit=0) == []
    assert len(await control.journal(limit=1000)) == len(await control.journal())


async def test_since_ts_uses_the_server_clock(
    hs: Homeserver, control: Control, alice: Account
) -> None:
    start = (await control.call("GET", "/clock"))["now_ms"] + 1_000_000
    await control.call("POST", "/clock/freeze", json={"at_ms": start})
    await alice.sync()
    await control.call("POST", "/clock/advance", json={"ms": 5_000})
    await alice.call("GET", "/account/whoami")
    entries = await control.journal(since_ts=start + 1)
    assert [e["path"] for e in entries] == ["/_matrix/client/v3/account/whoami"]
    assert entries[0]["ts"] == start + 5_000


async def test_bad_filters_are_refused(control: Control) -> None:
    assert_error(await control.client.get("/_mock/journal?since=x"), 400, "M_INVALID_PARAM")
    assert_error(await control.client.get("/_mock/journal?since_ts=-1"), 400, "M_INVALID_PARAM")


async def test_non_json_body_is_kept_as_text(control: Control, alice: Account) -> None:
    await alice.client.post(
        "/_matrix/client/v3/createRoom", content=b"not json{", headers=alice.headers
    )
    [entry] = await control.journal(path="*/createRoom")
    assert (entry["body"], entry["status"]) == ("not json{", 400)


async def test_in_flight_long_poll_shows_no_status_yet(
    hs: Homeserver, control: Control, alice: Account
) -> None:
    first = await alice.sync()
    mark = (await control.call("GET", "/journal"))["last_seq"]
    done = {}

    async def park() -> None:
        done["body"] = await alice.sync(since=first["next_batch"], timeout=30_000)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(park)
            await hs.notifier.until_parked(alice.user_id)
            parked = await control.journal(path="*/sync", since=mark)
            assert [e["status"] for e in parked] == [None]
            await control.call("POST", "/clock/advance", json={"ms": 30_000})
    assert [e["status"] for e in await control.journal(path="*/sync")] == [200, 200]


async def test_delete_clears(control: Control, alice: Account) -> None:
    await alice.sync()
    await control.call("DELETE", "/journal")
    body = await control.call("GET", "/journal")
    assert body == {"requests": [], "last_seq": 0}
