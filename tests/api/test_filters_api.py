"""The filter API, under today's prefixes and the seed's v2_alpha."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import SEED, V3, Account, assert_error

PREFIXES = [V3, "/_matrix/client/r0", SEED]

SEED_EXAMPLE = {
    "room": {
        "state": {"types": ["m.room.*"], "not_rooms": ["!726s6s6q:example.com"]},
        "timeline": {
            "limit": 10,
            "types": ["m.room.message"],
            "not_rooms": ["!726s6s6q:example.com"],
            "not_senders": ["@spam:example.com"],
        },
        "emphemeral": {
            "types": ["m.receipt", "m.typing"],
            "not_rooms": ["!726s6s6q:example.com"],
            "not_senders": ["@spam:example.com"],
        },
    },
    "presence": {"types": ["m.presence"], "not_senders": ["@alice:example.com"]},
    "event_format": "client",
    "event_fields": ["type", "content", "sender"],
}


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_upload_then_download(alice: Account, prefix: str) -> None:
    filter_id = await alice.upload_filter(SEED_EXAMPLE, prefix=prefix)
    assert isinstance(filter_id, str)
    stored = await alice.call("GET", f"/user/{alice.user_id}/filter/{filter_id}", prefix=prefix)
    assert stored == SEED_EXAMPLE


async def test_filter_ids_are_shared_across_prefixes(alice: Account) -> None:
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 1}}}, prefix=SEED)
    stored = await alice.call("GET", f"/user/{alice.user_id}/filter/{filter_id}", prefix=V3)
    assert stored == {"room": {"timeline": {"limit": 1}}}


async def test_each_upload_gets_a_new_id(alice: Account) -> None:
    first = await alice.upload_filter({})
    second = await alice.upload_filter({})
    assert first != second


async def test_filters_are_per_user(alice: Account, bob: Account) -> None:
    filter_id = await alice.upload_filter({"presence": {"limit": 1}})
    mine = await bob.client.get(
        f"{V3}/user/{bob.user_id}/filter/{filter_id}", headers=bob.headers
    )
    assert_error(mine, 404, "M_NOT_FOUND")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "errcode"),
    [
        ("POST", "/user/@bob:localhost/filter", {}, 403, "M_FORBIDDEN"),
        ("GET", "/user/@bob:localhost/filter/0", None, 403, "M_FORBIDDEN"),
        ("GET", "/user/@alice:localhost/filter/7", None, 404, "M_NOT_FOUND"),
        ("GET", "/user/@alice:localhost/filter/abc", None, 404, "M_NOT_FOUND"),
        ("GET", "/user/@alice:localhost/filter/-1", None, 404, "M_NOT_FOUND"),
        ("GET", "/user/@alice:localhost/filter/01", None, 404, "M_NOT_FOUND"),
        ("POST", "/user/@alice:localhost/filter", [], 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"room": []}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"room": {"timeline": {"limit": -1}}}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"room": {"timeline": {"limit": "5"}}}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"room": {"timeline": {"types": "m.room.message"}}}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"room": {"rooms": [5]}}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"event_fields": "type"}, 400, "M_BAD_JSON"),
        ("POST", "/user/@alice:localhost/filter", {"event_format": "fancy"}, 400, "M_BAD_JSON"),
    ],
)
async def test_filter_refusals(
    hs: Homeserver,
    alice: Account,
    bob: Account,
    prefix: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    errcode: str,
) -> None:
    await bob.upload_filter({})
    before = snapshot(hs.store)
    response = await alice.client.request(method, prefix + path, json=body, headers=alice.headers)
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_filter_body_not_json(hs: Homeserver, alice: Account, prefix: str) -> None:
    before = snapshot(hs.store)
    response = await alice.client.post(
        f"{prefix}/user/{alice.user_id}/filter", content=b"{room:", headers=alice.headers
    )
    assert_error(response, 400, "M_NOT_JSON")
    assert snapshot(hs.store) == before


async def test_an_uploaded_filter_applies_to_sync(alice: Account) -> None:
    room = await alice.create_room()
    sent = [await alice.send(room, f"m{i}") for i in range(3)]
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 2}}})
    body = await alice.sync(filter=filter_id)
    assert [e["event_id"] for e in body["rooms"]["join"][room]["timeline"]["events"]] == sent[1:]


async def test_the_downloaded_filter_is_a_copy(alice: Account) -> None:
    definition = {"room": {"timeline": {"limit": 2}}}
    filter_id = await alice.upload_filter(definition)
    definition["room"]["timeline"]["limit"] = 5
    stored = await alice.call("GET", f"/user/{alice.user_id}/filter/{filter_id}")
    assert stored == {"room": {"timeline": {"limit": 2}}}
