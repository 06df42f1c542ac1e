"""Filters on the seed's sync (timeline, state, ephemeral, presence) and refused parameters."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from mockserver.homeserver import Homeserver
from tests.seed_sync import event, groups, seed_sync, state, timeline
from tests.support import SEED, Account, assert_error, register


async def upload(account: Account, definition: dict[str, Any]) -> str:
    """Upload through the seed's own filter API."""
    return await account.upload_filter(definition, prefix=SEED)


async def two_rooms(alice: Account, bob: Account) -> tuple[str, str]:
    """Two public rooms alice created and bob joined."""
    first = await alice.create_room(preset="public_chat", name="first")
    second = await alice.create_room(preset="public_chat", name="second")
    for room in (first, second):
        await bob.join(room)
    return first, second


def types_of(body: dict[str, Any], room_id: str, ids: list[str]) -> list[str]:
    return [event(body, room_id, e)["type"] for e in ids]


# -- timeline -------------------------------------------------------------------------------


async def test_timeline_types_and_not_types_with_globs(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    said = await bob.send(room, "hi")
    topic = await alice.put_state(room, "m.room.topic", {"topic": "t"})
    custom = await bob.send(room, {"x": 1}, event_type="org.example.thing")
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"types": ["m.room.*"]}, [said, topic]),
        ({"types": ["*"], "not_types": ["m.room.*"]}, [custom]),
        ({"types": ["org.example.thing", "m.room.message"]}, [said, custom]),
        ({"not_types": ["*.topic"]}, [said, custom]),
        ({"types": ["m.room.*"], "not_types": ["m.room.message"]}, [topic]),
        ({"types": []}, []),
        ({"not_types": ["*"]}, []),
    ]
    for timeline_filter, expected in cases:
        filter_id = await upload(alice, {"room": {"timeline": timeline_filter}})
        body = await seed_sync(alice, filter=filter_id, since=first["next_batch"])
        assert timeline(body, room) == expected, timeline_filter
        # The state change is still reported as state, whatever the timeline shows.
        assert state(body, room) == [topic]


async def test_timeline_senders_and_not_senders(
    alice: Account, bob: Account, carol: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    first = await seed_sync(alice)
    by_bob = await bob.send(room)
    by_carol = await carol.send(room)
    by_alice = await alice.send(room)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"senders": [bob.user_id]}, [by_bob]),
        ({"senders": [bob.user_id, carol.user_id]}, [by_bob, by_carol]),
        ({"not_senders": [alice.user_id]}, [by_bob, by_carol]),
        ({"senders": [bob.user_id, alice.user_id, carol.user_id], "not_senders": [carol.user_id]}, [by_bob, by_alice]),
        # Sender ids are exact (as in Synapse): '*' is not a wildcard there.
        ({"senders": ["@*:localhost"]}, []),
        ({"senders": []}, []),
    ]
    for timeline_filter, expected in cases:
        filter_id = await upload(alice, {"room": {"timeline": timeline_filter}})
        body = await seed_sync(alice, filter=filter_id, since=first["next_batch"])
        if expected:
            assert timeline(body, room) == expected, timeline_filter
        else:
            assert room not in body["room_map"], timeline_filter


async def test_timeline_rooms_and_not_rooms(alice: Account, bob: Account) -> None:
    first_room, second_room = await two_rooms(alice, bob)
    start = await seed_sync(alice)
    in_first = await bob.send(first_room)
    in_second = await bob.send(second_room)
    only_first = await upload(alice, {"room": {"timeline": {"rooms": [first_room]}}})
    body = await seed_sync(alice, filter=only_first, since=start["next_batch"])
    assert groups(body)["joined"] == [first_room]
    assert timeline(body, first_room) == [in_first]
    not_first = await upload(alice, {"room": {"timeline": {"not_rooms": [first_room]}}})
    body = await seed_sync(alice, filter=not_first, since=start["next_batch"])
    assert groups(body)["joined"] == [second_room]
    assert timeline(body, second_room) == [in_second]
    # On an initial sync the room is still listed (its state is there), with an empty timeline.
    initial = await seed_sync(alice, filter=not_first)
    assert set(groups(initial)["joined"]) == {first_room, second_room}
    assert timeline(initial, first_room) == []
    assert initial["room_map"][first_room]["timeline"]["limited"] is False
    assert state(initial, first_room) != []


async def test_timeline_limit_with_a_type_filter_counts_matching_events(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    said = []
    for i in range(4):
        said.append(await bob.send(room, f"m{i}"))
        await bob.send(room, {"i": i}, event_type="org.example.noise")
    filter_id = await upload(
        alice, {"room": {"timeline": {"limit": 2, "types": ["m.room.message"]}}}
    )
    body = await seed_sync(alice, filter=filter_id, since=first["next_batch"])
    entry = body["room_map"][room]["timeline"]
    assert entry["events"] == said[-2:] and entry["limited"] is True
    back = await alice.messages(
        room,
        dir="b",
        limit=10,
        filter=orjson.dumps({"types": ["m.room.message"]}).decode(),
        to=first["next_batch"],
        **{"from": entry["prev_batch"]},
    )
    assert [e["event_id"] for e in back["chunk"]] == said[:2][::-1]


# -- state ------------------------------------------------------------------------------------


async def test_state_filter_types_senders_and_rooms(alice: Account, bob: Account) -> None:
    first_room, second_room = await two_rooms(alice, bob)
    cases: list[tuple[dict[str, Any], dict[str, set[str]]]] = [
        ({"types": ["m.room.name"]}, {first_room: {"m.room.name"}, second_room: {"m.room.name"}}),
        (
            {"types": ["m.room.*"], "not_types": ["m.room.member", "m.room.power_levels", "*_*"]},
            {
                first_room: {"m.room.create", "m.room.name"},
                second_room: {"m.room.create", "m.room.name"},
            },
        ),
        (
            {"types": ["m.room.member"], "senders": [bob.user_id]},
            {first_room: {"m.room.member"}, second_room: {"m.room.member"}},
        ),
        (
            {"types": ["m.room.name"], "rooms": [second_room]},
            {first_room: set(), second_room: {"m.room.name"}},
        ),
        ({"not_rooms": [first_room, second_room]}, {first_room: set(), second_room: set()}),
    ]
    for state_filter, expected in cases:
        filter_id = await upload(alice, {"room": {"state": state_filter}})
        body = await seed_sync(alice, filter=filter_id)
        for room, wanted in expected.items():
            assert set(types_of(body, room, state(body, room))) == wanted, state_filter
    by_bob = await upload(alice, {"room": {"state": {"senders": [bob.user_id]}}})
    body = await seed_sync(alice, filter=by_bob)
    (bobs,) = state(body, first_room)
    assert event(body, first_room, bobs)["state_key"] == bob.user_id


async def test_state_filter_on_an_incremental_sync(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    topic = await alice.put_state(room, "m.room.topic", {"topic": "t"})
    await alice.put_state(room, "m.room.name", {"name": "n"})
    filter_id = await upload(alice, {"room": {"state": {"not_types": ["m.room.name"]}}})
    body = await seed_sync(alice, filter=filter_id, since=first["next_batch"])
    assert state(body, room) == [topic]
    assert len(timeline(body, room)) == 2


# -- ephemeral -----------------------------------------------------------------------------------


async def test_ephemeral_filter_types_and_rooms(alice: Account, bob: Account) -> None:
    first_room, second_room = await two_rooms(alice, bob)
    start = await seed_sync(alice)
    await bob.typing(first_room)
    await bob.typing(second_room)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {first_room, second_room}),
        ({"types": ["m.*"]}, {first_room, second_room}),
        ({"not_types": ["m.typing"]}, set()),
        ({"types": []}, set()),
        ({"rooms": [second_room]}, {second_room}),
        ({"not_rooms": [second_room]}, {first_room}),
    ]
    for ephemeral_filter, expected in cases:
        filter_id = await upload(alice, {"room": {"ephemeral": ephemeral_filter}})
        body = await seed_sync(alice, filter=filter_id, since=start["next_batch"])
        typing = {
            room
            for room in groups(body)["joined"]
            for e in body["room_map"][room]["ephemeral"]["events"]
            if e["type"] == "m.typing" and e["content"]["user_ids"] == [bob.user_id]
        }
        assert typing == expected, ephemeral_filter
        # Rooms with nothing else to report are left out entirely.
        assert set(groups(body)["joined"]) == expected, ephemeral_filter


async def test_the_seed_examples_misspelt_ephemeral_filters_nothing(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.typing(room)
    filter_id = await upload(alice, {"room": {"emphemeral": {"types": []}}})
    body = await seed_sync(alice, filter=filter_id)
    assert body["room_map"][room]["ephemeral"]["events"][0]["type"] == "m.typing"


# -- presence ---------------------------------------------------------------------------------


async def test_presence_filter(client: httpx.AsyncClient, alice: Account, bob: Account) -> None:
    carol = await register(client, "carol")
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await carol.join(room)
    for account in (bob, carol):
        path = f"/presence/{account.user_id}/status"
        await account.call("PUT", path, json={"presence": "online"})
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, [alice.user_id, bob.user_id, carol.user_id]),
        ({"types": ["m.presence"]}, [alice.user_id, bob.user_id, carol.user_id]),
        ({"types": ["m.*"], "not_types": ["m.presence"]}, []),
        ({"types": []}, []),
        ({"senders": [bob.user_id]}, [bob.user_id]),
        ({"not_senders": [bob.user_id, alice.user_id]}, [carol.user_id]),
        (
            {"senders": [alice.user_id, bob.user_id, carol.user_id], "not_senders": [carol.user_id]},
            [alice.user_id, bob.user_id],
        ),
        ({"limit": 1}, [alice.user_id]),  # the latest change: alice's own sync
    ]
    for presence_filter, expected in cases:
        filter_id = await upload(alice, {"presence": presence_filter})
        body = await seed_sync(alice, filter=filter_id)
        assert sorted(p["sender"] for p in body["presence"]["events"]) == sorted(expected), (
            presence_filter
        )


# -- event_fields ---------------------------------------------------------------------------


async def test_event_fields_project_the_event_map(alice: Account) -> None:
    room = await alice.create_room()
    sent = await alice.send(room, {"msgtype": "m.text", "body": "x", "m.new": {"a": 1}})
    filter_id = await upload(alice, {"event_fields": ["type", "content.body", "content.m\\.new.a"]})
    body = await alice.seed_sync(filter=filter_id)  # projected events fail the full shape check
    assert timeline(body, room)[-1] == sent
    assert event(body, room, sent) == {
        "type": "m.room.message",
        "content": {"body": "x", "m.new": {"a": 1}},
    }


# -- where the filter comes from ------------------------------------------------------------


async def test_inline_filter_json(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = [await bob.send(room, f"m{i}") for i in range(3)]
    body = await seed_sync(alice, filter='{"room": {"timeline": {"limit": 2}}}')
    assert timeline(body, room) == sent[-2:]


async def test_a_filter_uploaded_through_v3_works_in_the_seed_sync(alice: Account) -> None:
    room = await alice.create_room()
    sent = await alice.send(room)
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 1}}})
    assert timeline(await seed_sync(alice, filter=filter_id), room) == [sent]


# -- refused requests ------------------------------------------------------------------------


async def sync_response(account: Account, **params: Any) -> httpx.Response:
    return await account.client.get(f"{SEED}/sync", params=params, headers=account.headers)


async def test_unknown_filter_id_is_invalid_param(alice: Account, bob: Account) -> None:
    assert_error(await sync_response(alice, filter="0"), 400, "M_INVALID_PARAM")
    assert_error(await sync_response(alice, filter="nope"), 400, "M_INVALID_PARAM")
    bobs = await upload(bob, {"room": {"timeline": {"limit": 1}}})
    assert_error(await sync_response(alice, filter=bobs), 400, "M_INVALID_PARAM")


async def test_bad_inline_filters(alice: Account) -> None:
    assert_error(await sync_response(alice, filter="{not json"), 400, "M_NOT_JSON")
    assert_error(
        await sync_response(alice, filter='{"room": {"timeline": {"limit": "x"}}}'),
        400,
        "M_BAD_JSON",
    )


@pytest.mark.parametrize(
    "query",
    [
        {"since": "garbage"},
        {"since": ""},
        {"since": "s1_2"},
        {"since": "t1-1_0_0"},
        {"since": "s99999_0_0"},  # a position this server has not reached
        {"since": "s0_99999_0"},
        {"since": "s0_0_0_0_0_99999"},
        {"from": "s0_0_0"},
        {"timeout": "soon"},
        {"timeout": "1.5"},
        {"timeout": str(2**60)},
        {"set_presence": "away"},
        {"set_presence": ""},
        {"full_state": "yes"},
    ],
)
async def test_bad_parameters_are_invalid_param_and_change_nothing(
    hs: Homeserver, alice: Account, query: dict[str, str]
) -> None:
    await alice.call("PUT", f"/presence/{alice.user_id}/status", json={"presence": "unavailable"})
    before = hs.store.position
    assert_error(await sync_response(alice, **query), 400, "M_INVALID_PARAM")
    status = await alice.call("GET", f"/presence/{alice.user_id}/status")
    assert status["presence"] == "unavailable"
    assert hs.store.position == before


async def test_unknown_query_parameters_are_ignored(alice: Account) -> None:
    body = await seed_sync(alice, _cacheBuster="123", **{"org.example.flag": "x"})
    assert body["room_map"] == {}


async def test_sync_needs_an_access_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"{SEED}/sync"), 401, "M_MISSING_TOKEN")
    assert_error(
        await client.get(f"{SEED}/sync", params={"access_token": "nope"}), 401, "M_UNKNOWN_TOKEN"
    )


async def test_access_token_in_the_query_as_the_seed_declares(alice: Account) -> None:
    response = await alice.client.get(f"{SEED}/sync", params={"access_token": alice.access_token})
    assert response.status_code == 200, response.text


async def test_negative_timeout_means_zero(alice: Account) -> None:
    first = await seed_sync(alice)
    body = await seed_sync(alice, since=first["next_batch"], timeout=-5)
    assert body["next_batch"] == first["next_batch"]
