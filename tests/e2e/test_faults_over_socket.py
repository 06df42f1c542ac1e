"""Faults as a client sees them over a real socket: dropped connections."""

from __future__ import annotations


import httpx
import pytest



def alice(http: httpx.Client) -> dict[str, str]:
    body = http.post("/_mock/act/register", json={"username": "alice"}).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_drop_closes_the_connection_without_an_answer(http: httpx.Client) -> None:
    headers = alice(http)
    http.post("/_mock/faults", json={"path": "*/account/whoami", "drop": True})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        http.get("/_matrix/client/v3/account/whoami", headers=headers)
    assert http.get("/_matrix/client/v3/account/whoami", headers=headers).status_code == 200
    entries = http.get("/_mock/journal", params={"path": "*/whoami"}).json()["requests"]
    assert [(e["status"], e["dropped"], e["fault"]) for e in entries] == [
        (None, True, "f1"),
        (200, False, None),
    ]


def test_drop_after_serving_then_the_retry_is_idempotent(http: httpx.Client) -> None:
    headers = alice(http)
    room_id = http.post("/_matrix/client/v3/createRoom", json={}, headers=headers).json()["room_id"]
    http.post("/_mock/faults", json={"method": "PUT", "path": "*/send/*", "drop": "after"})
    path = f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/txn1"
    content = {"msgtype": "m.text", "body": "sent once"}
    with pytest.raises(httpx.RemoteProtocolError):
        http.put(path, json=content, headers=headers)
    retried = http.put(path, json=content, headers=headers)
    assert retried.status_code == 200
    messages = http.get(
        f"/_matrix/client/v3/rooms/{room_id}/messages", params={"dir": "b"}, headers=headers
    ).json()["chunk"]
    sent = [e for e in messages if e["type"] == "m.room.message"]
    assert [e["event_id"] for e in sent] == [retried.json()["event_id"]]


def test_delayed_answer_arrives(http: httpx.Client) -> None:
    headers = alice(http)
    http.post("/_mock/faults", json={"path": "*/account/whoami", "delay_ms": 1, "status": 502})
    response = http.get("/_matrix/client/v3/account/whoami", headers=headers)
    assert (response.status_code, response.json()["errcode"]) == (502, "M_UNKNOWN")
