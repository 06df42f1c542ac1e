"""Expectations through ``/_mock/expectations``: declared, counted on client calls, verified."""

from __future__ import annotations

import pytest

from mockserver.homeserver import Homeserver
from tests.control.conftest import Control
from tests.support import Account

pytestmark = pytest.mark.anyio


async def _send(account: Account, room_id: str, txn: str, body: str) -> None:
    response = await account.client.put(
        f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}",
        json={"msgtype": "m.text", "body": body},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text


async def test_met_and_unmet_expectations_are_reported(control: Control, alice: Account) -> None:
    room_id = (await control.act("create_room", user_id=alice.user_id))["room_id"]
    once = await control.call(
        "POST",
        "/expectations",
        json={"method": "PUT", "path": "*/send/*", "user_id": alice.user_id, "times": 1,
              "body": {"body": "hello"}, "name": "says hello once"},
    )
    assert once["id"] == "e1" and (once["min"], once["max"]) == (1, 1)
    await control.call("POST", "/expectations", json={"path": "*/sync", "never": True})
    await _send(alice, room_id, "t1", "hello")
    await _send(alice, room_id, "t2", "again")

    listed = (await control.call("GET", "/expectations"))["expectations"]
    assert [(e["id"], e["calls"], e["met"]) for e in listed] == [("e1", 1, True), ("e2", 0, True)]
    assert (await control.call("POST", "/expectations/verify", json={})) == {
        "met": True,
        "problems": [],
    }

    await alice.client.get("/_matrix/client/v3/sync", headers=alice.headers)
    verdict = await control.call("POST", "/expectations/verify", json={})
    assert verdict["met"] is False
    [problem] = verdict["problems"]
    assert problem.startswith(
        "expectation e2 (any method */sync): expected no call, got 1 call; the matching calls:\n"
        "  #"
    )
    assert problem.endswith(f"GET /_matrix/client/v3/sync by {alice.user_id} -> 200")


async def test_query_predicates(control: Control, alice: Account) -> None:
    await control.call(
        "POST", "/expectations", json={"path": "*/sync", "query": {"timeout": "0", "since": None}}
    )
    await alice.client.get("/_matrix/client/v3/sync?timeout=5", headers=alice.headers)
    assert (await control.call("GET", "/expectations"))["expectations"][0]["calls"] == 0
    await alice.client.get("/_matrix/client/v3/sync?timeout=0", headers=alice.headers)
    assert (await control.call("GET", "/expectations"))["expectations"][0]["met"] is True


async def test_control_calls_are_not_counted(control: Control) -> None:
    await control.call("POST", "/expectations", json={"path": "/_mock/*", "never": True})
    await control.call("GET", "/journal")
    assert (await control.call("POST", "/expectations/verify", json={}))["met"] is True


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"path": "*/sync", "time": 1}, "M_BAD_JSON"),
        ({"times": -1}, "M_BAD_JSON"),
        ({"times": 1, "min": 1}, "M_INVALID_PARAM"),
        ({"never": True, "max": 2}, "M_INVALID_PARAM"),
        ({"min": 3, "max": 2}, "M_INVALID_PARAM"),
        ({"query": {"since": 5}}, "M_BAD_JSON"),
        ({"query": ["since"]}, "M_BAD_JSON"),
        ({"body": "hello"}, "M_BAD_JSON"),
        ({"never": "yes"}, "M_BAD_JSON"),
    ],
)
async def test_bad_expectations_are_refused_and_nothing_is_declared(
    control: Control, hs: Homeserver, body: dict[str, object], errcode: str
) -> None:
    refused = await control.call("POST", "/expectations", json=body, expect=400)
    assert refused["errcode"] == errcode
    assert hs.expectations.all() == []


async def test_delete_one_all_and_reset(control: Control, hs: Homeserver) -> None:
    await control.call("POST", "/expectations", json={"path": "*/a"})
    await control.call("POST", "/expectations", json={"path": "*/b"})
    await control.call("DELETE", "/expectations/e1")
    assert [e.id for e in hs.expectations.all()] == ["e2"]
    missing = await control.call("DELETE", "/expectations/e9", expect=404)
    assert missing["errcode"] == "M_NOT_FOUND"
    await control.call("DELETE", "/expectations")
    assert hs.expectations.all() == []
    await control.call("POST", "/expectations", json={"path": "*/c"})
    await control.call("POST", "/reset", json={})
    assert hs.expectations.all() == []
