"""Control API bodies are strict: an unknown key is refused naming the valid ones, changing nothing."""

from __future__ import annotations

import pytest

from mockserver.control.act import ACTIONS
from mockserver.homeserver import Homeserver
from tests.control.conftest import Control

pytestmark = pytest.mark.anyio


async def test_a_misspelt_fault_key_is_refused_and_no_rule_is_made(
    control: Control, hs: Homeserver
) -> None:
    body = await control.call(
        "POST",
        "/faults",
        json={"path": "*/sync", "status": 429, "retry_after": 1500},
        expect=400,
    )
    assert body["errcode"] == "M_BAD_JSON"
    assert body["error"].startswith("Unknown key 'retry_after' in the body of POST /_mock/faults;")
    assert "retry_after_ms" in body["error"]
    assert body["unknown_keys"] == ["retry_after"]
    assert "retry_after_ms" in body["valid_keys"]
    assert hs.faults.rules() == []


async def test_an_unknown_action_lists_the_actions(control: Control, hs: Homeserver) -> None:
    body = await control.act("sendd", expect=404, user_id="@alice:localhost", body="hi")
    assert body["errcode"] == "M_UNRECOGNIZED"
    assert body["actions"] == sorted(ACTIONS)
    assert "'sendd'" in body["error"] and "send, state" in body["error"]
    assert hs.store.users == {}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/reset", {"fixture": False}),
        ("POST", "/clock/freeze", {"at": 5}),
        ("POST", "/clock/advance", {"ms": 5, "by": 1}),
        ("POST", "/clock/unfreeze", {"now": True}),
        ("POST", "/script/next", {"step": 1}),
        ("POST", "/act/register", {"username": "alice", "pasword": "x"}),
        ("POST", "/act/login", {"user_id": "@alice:localhost", "device": "X"}),
        ("POST", "/act/create_room", {"user_id": "@alice:localhost", "nmae": "x"}),
        ("POST", "/act/send", {"user_id": "@alice:localhost", "room_id": "!r:localhost", "text": "x"}),
        ("POST", "/act/state", {"user_id": "@alice:localhost", "room_id": "!r:localhost", "key": ""}),
        ("POST", "/act/redact", {"user_id": "@alice:localhost", "event": "$x"}),
        ("POST", "/act/join", {"user_id": "@alice:localhost", "room": "!r:localhost"}),
        ("POST", "/act/leave", {"user_id": "@alice:localhost", "target": "@bob:localhost"}),
        ("POST", "/act/invite", {"user_id": "@alice:localhost", "user": "@bob:localhost"}),
        ("POST", "/act/kick", {"user_id": "@alice:localhost", "why": "x"}),
        ("POST", "/act/ban", {"user_id": "@alice:localhost", "who": "x"}),
        ("POST", "/act/unban", {"user_id": "@alice:localhost", "who": "x"}),
        ("POST", "/act/typing", {"user_id": "@alice:localhost", "timeout_ms": 5}),
        ("POST", "/act/presence", {"user_id": "@alice:localhost", "state": "online"}),
        ("POST", "/act/receipt", {"user_id": "@alice:localhost", "type": "m.read"}),
        ("POST", "/act/profile", {"user_id": "@alice:localhost", "display_name": "A"}),
    ],
)
async def test_every_control_body_refuses_an_unknown_key(
    control: Control, hs: Homeserver, method: str, path: str, body: dict[str, object]
) -> None:
    await control.act("register", username="alice", access_token="a")
    before = hs.store.position
    refused = await control.call(method, path, json=body, expect=400)
    assert refused["errcode"] == "M_BAD_JSON"
    assert refused["unknown_keys"] and "valid keys are" in refused["error"]
    assert hs.store.position == before
    assert hs.clock.frozen is False and hs.faults.rules() == []


async def test_the_valid_keys_still_work(control: Control) -> None:
    await control.fail(path="*/sync", status=429, retry_after_ms=1500, times=2, seed=3)
    user = await control.act(
        "register", username="alice", password="pw", access_token="a", device_id="D"
    )
    assert user["device_id"] == "D"
