"""Canonical JSON's numbers in request bodies: integers in [-(2**53)+1, 2**53-1], no floats.

Room versions require canonical JSON and Synapse enforces it: anything
else is ``400 M_BAD_JSON`` and changes nothing. orjson would parse 2**64
as a float and store it changed (1.8446744073709552e+19).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import V3, Account, assert_error

pytestmark = pytest.mark.anyio

REFUSED = [
    b"18446744073709551616",  # 2**64: orjson parses it as a float
    b"9007199254740992",  # 2**53
    b"-9007199254740992",
    b"123456789012345678901234567890",
    b"1.5",
    b"1.0",
    b"1e3",
    b"-0.0",
    b"2E-5",
]
ALLOWED = [b"9007199254740991", b"-9007199254740991", b"0", b"-7", b"1000000000000000"]


async def messages(account: Account, room_id: str) -> list[dict[str, object]]:
    page = await account.call("GET", f"/rooms/{room_id}/messages", params={"dir": "b"})
    return [e for e in page["chunk"] if e["type"] == "m.room.message"]


async def send_raw(client: httpx.AsyncClient, alice: Account, room: str, body: bytes) -> Any:
    """PUT a message whose JSON text is ``body`` as written (numbers untouched by a client)."""
    return await client.put(
        f"{V3}/rooms/{room}/send/m.room.message/t1", content=body, headers=alice.headers
    )


@pytest.mark.parametrize("number", REFUSED)
async def test_a_non_canonical_number_in_an_event_is_bad_json(
    client: httpx.AsyncClient, alice: Account, number: bytes
) -> None:
    room = await alice.create_room()
    body = b'{"msgtype": "m.text", "body": "n", "deep": [{"n": ' + number + b"}]}"
    assert_error(await send_raw(client, alice, room, body), 400, "M_BAD_JSON")
    assert await messages(alice, room) == []


@pytest.mark.parametrize("number", ALLOWED)
async def test_a_canonical_number_comes_back_exactly(
    client: httpx.AsyncClient, alice: Account, number: bytes
) -> None:
    room = await alice.create_room()
    body = b'{"msgtype": "m.text", "body": "n", "n": ' + number + b"}"
    response = await send_raw(client, alice, room, body)
    assert response.status_code == 200, response.text
    [event] = await messages(alice, room)
    assert event["content"]["n"] == int(number)


async def test_numbers_in_strings_are_only_text(client: httpx.AsyncClient, alice: Account) -> None:
    room = await alice.create_room()
    content = {"msgtype": "m.text", "body": "1.5e3 and 123456789012345678901234567890"}
    await alice.send(room, content)
    [event] = await messages(alice, room)
    assert event["content"] == content


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/rooms/{room}/state/org.example.n"),
        ("POST", "/user/@alice:localhost/filter"),
        ("POST", "/createRoom"),
        ("PUT", "/profile/@alice:localhost/displayname"),
        ("PUT", "/rooms/{room}/typing/@alice:localhost"),
    ],
)
async def test_every_body_is_held_to_canonical_numbers(
    client: httpx.AsyncClient, alice: Account, method: str, path: str
) -> None:
    room = await alice.create_room()
    before = (await client.get("/_mock/export")).json()
    response = await client.request(
        method,
        V3 + path.replace("{room}", room),
        content=b'{"displayname": "x", "typing": false, "n": 0.5}',
        headers=alice.headers,
    )
    assert_error(response, 400, "M_BAD_JSON")
    assert (await client.get("/_mock/export")).json() == before


async def test_act_as_send_is_held_to_canonical_numbers(
    client: httpx.AsyncClient, alice: Account
) -> None:
    room = await alice.create_room()
    response = await client.post(
        "/_mock/act/send",
        content=b'{"user_id": "@alice:localhost", "room_id": "' + room.encode()
        + b'", "content": {"msgtype": "m.text", "body": "x", "n": 18446744073709551616}}',
    )
    assert_error(response, 400, "M_BAD_JSON")
    assert await messages(alice, room) == []


async def test_account_data_is_not_event_content(client: httpx.AsyncClient, alice: Account) -> None:
    # The spec makes a tag's order a fraction; Synapse holds only events to canonical JSON.
    room = await alice.create_room()
    await alice.call("PUT", f"/user/{alice.user_id}/rooms/{room}/tags/u.work", json={"order": 0.25})
    await alice.call("PUT", f"/user/{alice.user_id}/account_data/org.example.n", json={"n": 0.5})
    assert (await alice.call("GET", f"/user/{alice.user_id}/account_data/org.example.n")) == {
        "n": 0.5
    }
