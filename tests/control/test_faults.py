"""Fault rules through ``/_mock/faults``, applied to client requests in-process."""

from __future__ import annotations

import anyio
import httpx
import pytest

from mockserver.homeserver import Homeserver
from mockserver.traffic.middleware import ConnectionDropped
from tests.control.conftest import Control
from tests.support import Account, assert_error

pytestmark = pytest.mark.anyio


async def whoami(account: Account) -> httpx.Response:
    return await account.client.get("/_matrix/client/v3/account/whoami", headers=account.headers)


async def test_429_with_retry_after_then_the_request_passes(
    control: Control, alice: Account
) -> None:
    await control.fail(path="*/account/whoami", status=429, retry_after_ms=1500)
    limited = await whoami(alice)
    body = assert_error(limited, 429, "M_LIMIT_EXCEEDED")
    assert body["retry_after_ms"] == 1500
    assert limited.headers["retry-after"] == "2"
    assert (await whoami(alice)).status_code == 200
    [rule] = (await control.call("GET", "/faults"))["faults"]
    assert (rule["hits"], rule["remaining"], rule["times"]) == (1, 0, 1)


async def test_unknown_token_with_soft_logout_keeps_the_token_valid(
    control: Control, alice: Account
) -> None:
    await control.fail(path="*/account/whoami", status=401, soft_logout=True)
    body = assert_error(await whoami(alice), 401, "M_UNKNOWN_TOKEN")
    assert body["soft_logout"] is True
    assert (await whoami(alice)).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(control: Control, alice: Account, status: int) -> None:
    await control.fail(path="*/account/whoami", status=status)
    body = assert_error(await whoami(alice), status, "M_UNKNOWN")
    assert body["error"]


async def test_custom_errcode_and_message(control: Control, alice: Account) -> None:
    await control.fail(status=403, errcode="M_CONSENT_NOT_GIVEN", error="Sign the terms")
    body = assert_error(await whoami(alice), 403, "M_CONSENT_NOT_GIVEN")
    assert body["error"] == "Sign the terms"


async def test_rules_match_method_path_and_user(
    control: Control, alice: Account, bob: Account
) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await control.fail(
        method="PUT", path="*/rooms/*/send/*", user_id=bob.user_id, status=500, times=5
    )
    await alice.send(room_id, "alice is not matched")
    await bob.call("GET", f"/rooms/{room_id}/messages", params={"dir": "b"})
    await bob.call(
        "PUT", f"/rooms/{room_id}/send/m.room.message/x1", json={"body": "no"}, expect=500
    )
    [rule] = (await control.call("GET", "/faults"))["faults"]
    assert rule["hits"] == 1


async def test_times_limits_how_often_a_rule_fires(control: Control, alice: Account) -> None:
    await control.fail(path="*/account/whoami", status=503, times=3)
    statuses = [(await whoami(alice)).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]


async def test_probability_is_replayed_by_the_seed(alice: Account, control: Control) -> None:
    async def run() -> list[int]:
        await control.call("DELETE", "/faults")
        await control.fail(path="*/account/whoami", status=502, probability=0.5, seed=42)
        return [(await whoami(alice)).status_code for _ in range(40)]

    first = await run()
    assert first == await run()
    assert first.count(502) not in (0, 40)
    [rule] = (await control.call("GET", "/faults"))["faults"]
    assert (rule["seen"], rule["hits"], rule["remaining"]) == (40, first.count(502), None)


async def test_rules_are_tried_in_order_and_one_fires(control: Control, alice: Account) -> None:
    await control.fail(path="*/account/whoami", status=500)
    await control.fail(status=503, times=2)
    assert (await whoami(alice)).status_code == 500
    assert (await whoami(alice)).status_code == 503


async def test_a_faulted_request_changes_nothing(control: Control, alice: Account) -> None:
    room_id = await alice.create_room(preset="public_chat")
    await control.fail(method="PUT", path="*/send/*", status=500)
    await alice.call(
        "PUT", f"/rooms/{room_id}/send/m.room.message/t1", json={"body": "x"}, expect=500
    )
    messages = await alice.messages(room_id, dir="b")
    assert [e for e in messages["chunk"] if e["type"] == "m.room.message"] == []


async def test_control_api_is_never_faulted(control: Control, alice: Account) -> None:
    await control.fail(status=500, probability=1)
    assert (await whoami(alice)).status_code == 500
    assert len((await control.call("GET", "/faults"))["faults"]) == 1
    await control.act("register", username="zed")


async def test_rules_are_listed_deleted_and_cleared(control: Control, alice: Account) -> None:
    first = await control.fail(path="/a", status=500)
    second = await control.fail(path="/b", delay_ms=5)
    assert first["id"] != second["id"]
    listed = (await control.call("GET", "/faults"))["faults"]
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    await control.call("DELETE", f"/faults/{first['id']}")
    assert [r["id"] for r in (await control.call("GET", "/faults"))["faults"]] == [second["id"]]
    assert_error(await control.client.delete(f"/_mock/faults/{first['id']}"), 404, "M_NOT_FOUND")
    await control.call("DELETE", "/faults")
    assert (await control.call("GET", "/faults"))["faults"] == []


@pytest.mark.parametrize(
    "rule",
    [
        {},
        {"path": "*"},
        {"status": 200},
        {"status": 600},
        {"status": "429"},
        {"status": 500, "drop": True},
        {"drop": "sometimes"},
        {"delay_ms": -1},
        {"status": 500, "times": 0},
        {"status": 500, "probability": 1.5},
        {"status": 500, "probability": 0},
        {"status": 500, "probability": "half"},
        {"retry_after_ms": 10},
        {"status": 500, "seed": [1]},
    ],
)
async def test_bad_rules_are_refused(control: Control, rule: dict[str, object]) -> None:
    response = await control.client.post("/_mock/faults", json=rule)
    assert response.status_code == 400, response.text
    assert response.json()["errcode"] in ("M_INVALID_PARAM", "M_BAD_JSON")
    assert (await control.call("GET", "/faults"))["faults"] == []


async def test_delay_holds_the_request(hs: Homeserver, control: Control, alice: Account) -> None:
    await control.fail(path="*/account/whoami", delay_ms=60_000)
    answered = anyio.Event()

    async def ask() -> None:
        await whoami(alice)
        answered.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask)
        await anyio.wait_all_tasks_blocked()
        [entry] = hs.journal.select(path="*/account/whoami")
        assert (entry.status, entry.fault) == (None, "f1")
        assert not answered.is_set()
        tg.cancel_scope.cancel()


async def test_delay_then_answer(control: Control, alice: Account) -> None:
    await control.fail(path="*/account/whoami", delay_ms=1, status=503)
    assert_error(await whoami(alice), 503, "M_UNKNOWN")
    await control.fail(path="*/account/whoami", delay_ms=1)
    assert (await whoami(alice)).status_code == 200


async def test_drop_in_process_raises(control: Control, alice: Account) -> None:
    await control.fail(path="*/account/whoami", drop=True)
    with pytest.raises(ConnectionDropped):
        await whoami(alice)
    [entry] = await control.journal(path="*/account/whoami")
    assert (entry["dropped"], entry["status"], entry["fault"]) == (True, None, "f1")
