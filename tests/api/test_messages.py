"""History: ``GET /rooms/{roomId}/messages`` in both directions, with tokens from every source."""

from __future__ import annotations

import json

import pytest

from mockserver.homeserver import Homeserver
from tests.snapshot import snapshot
from tests.support import V3, Account, assert_error


async def room_with_messages(alice: Account, count: int) -> tuple[str, list[str]]:
    room = await alice.create_room(preset="public_chat")
    return room, [await alice.send(room, f"m{i}") for i in range(count)]


def ids(page: dict[str, object]) -> list[str]:
    return [event["event_id"] for event in page["chunk"]]  # type: ignore[attr-defined,index]


async def test_backwards_from_the_end_by_default(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 5)
    page = await alice.messages(room, dir="b", limit=3)
    assert ids(page) == sent[::-1][:3]
    assert page["start"].startswith("t")
    assert "end" in page
    rest = await alice.messages(room, dir="b", limit=100, **{"from": page["end"]})
    assert ids(rest)[:2] == sent[:2][::-1]
    assert rest["chunk"][-1]["type"] == "m.room.create"
    assert "end" not in rest


async def test_forwards_from_the_start_by_default(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 3)
    page = await alice.messages(room, dir="f", limit=100)
    assert page["chunk"][0]["type"] == "m.room.create"
    assert ids(page)[-3:] == sent
    # Newer events may still come: a page that found events gives an end to come back
    # from (as Synapse); from there, nothing yet, and no end.
    later = await alice.messages(room, dir="f", limit=100, **{"from": page["end"]})
    assert later["chunk"] == [] and "end" not in later


async def test_paging_forwards_in_steps_covers_everything_once(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 7)
    seen: list[str] = []
    token = None
    while True:
        params = {"dir": "f", "limit": 4}
        if token is not None:
            params["from"] = token
        page = await alice.messages(room, **params)
        seen += ids(page)
        if "end" not in page:
            break
        token = page["end"]
    assert seen[-7:] == sent
    assert len(seen) == len(set(seen))


async def test_backwards_then_forwards_from_the_same_token(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 6)
    middle = (await alice.messages(room, dir="b", limit=3))["end"]
    after = await alice.messages(room, dir="f", limit=10, **{"from": middle})
    assert ids(after) == sent[3:]
    before = await alice.messages(room, dir="b", limit=3, **{"from": middle})
    assert ids(before) == sent[:3][::-1]


async def test_to_bounds_the_page(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 6)
    start = (await alice.messages(room, dir="b", limit=5))["end"]  # before sent[1]
    end = (await alice.messages(room, dir="b", limit=2))["end"]  # before sent[4]
    forward = await alice.messages(room, dir="f", limit=50, **{"from": start, "to": end})
    assert ids(forward) == sent[1:4]
    backward = await alice.messages(room, dir="b", limit=50, **{"from": end, "to": start})
    assert ids(backward) == sent[1:4][::-1]


async def test_limit_zero_and_default(alice: Account) -> None:
    room, _ = await room_with_messages(alice, 12)
    assert (await alice.messages(room, dir="b", limit=0))["chunk"] == []
    assert len((await alice.messages(room, dir="b"))["chunk"]) == 10


async def test_filter_types_senders_and_not(alice: Account, bob: Account) -> None:
    room, sent = await room_with_messages(alice, 2)
    await bob.join(room)
    from_bob = await bob.send(room, "bob here")
    await alice.send(room, {"x": 1}, event_type="org.example.ping")
    only_messages = await alice.messages(
        room, dir="b", limit=50, filter=json.dumps({"types": ["m.room.message"]})
    )
    assert ids(only_messages) == [from_bob, *sent[::-1]]
    by_bob = await alice.messages(
        room, dir="b", limit=50, filter=json.dumps({"senders": [bob.user_id]})
    )
    assert [e["sender"] for e in by_bob["chunk"]] == [bob.user_id, bob.user_id]
    wildcard = await alice.messages(
        room, dir="b", limit=50, filter=json.dumps({"not_types": ["m.room.*"]})
    )
    assert [e["type"] for e in wildcard["chunk"]] == ["org.example.ping"]
    other_room = await alice.messages(
        room, dir="b", limit=50, filter=json.dumps({"not_rooms": [room]})
    )
    assert other_room["chunk"] == []
    limited = await alice.messages(room, dir="b", limit=50, filter=json.dumps({"limit": 2}))
    assert len(limited["chunk"]) == 2


async def test_lazy_loading_members_adds_senders_state(alice: Account, bob: Account) -> None:
    room, _ = await room_with_messages(alice, 1)
    await bob.join(room)
    await bob.send(room, "hi")
    page = await alice.messages(
        room, dir="b", limit=1, filter=json.dumps({"lazy_load_members": True})
    )
    assert [e["state_key"] for e in page["state"]] == [bob.user_id]


async def test_accepts_prev_batch_and_next_batch_from_sync(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 15)
    filter_id = await alice.upload_filter({"room": {"timeline": {"limit": 3}}})
    stable = await alice.sync(filter=filter_id)
    timeline = stable["rooms"]["join"][room]["timeline"]
    assert [e["event_id"] for e in timeline["events"]] == sent[-3:]
    gap = await alice.messages(room, dir="b", limit=12, **{"from": timeline["prev_batch"]})
    assert ids(gap) == sent[:12][::-1]
    window = await alice.messages(room, dir="f", limit=3, **{"from": timeline["prev_batch"]})
    assert ids(window) == sent[-3:]
    seed = await alice.seed_sync(filter=filter_id)
    prev = seed["room_map"][room]["timeline"]["prev_batch"]
    assert ids(await alice.messages(room, dir="b", limit=1, **{"from": prev})) == [sent[-4]]
    for next_batch in (stable["next_batch"], seed["next_batch"]):
        back = await alice.messages(room, dir="b", limit=2, **{"from": next_batch})
        assert ids(back) == sent[::-1][:2]
        forward = await alice.messages(room, dir="f", **{"from": next_batch})
        assert forward["chunk"] == []
    later = await alice.send(room, "later")
    forward = await alice.messages(room, dir="f", **{"from": stable["next_batch"]})
    assert ids(forward) == [later]


async def test_start_echoes_from(alice: Account) -> None:
    room, _ = await room_with_messages(alice, 3)
    token = (await alice.messages(room, dir="b", limit=1))["end"]
    page = await alice.messages(room, dir="b", limit=1, **{"from": token})
    assert page["start"] == token


async def test_a_user_who_left_sees_history_up_to_leaving(alice: Account, bob: Account) -> None:
    room, sent = await room_with_messages(alice, 2)
    await bob.join(room)
    seen = await alice.send(room, "bob sees this")
    await bob.leave(room)
    await alice.send(room, "bob never sees this")
    page = await bob.messages(room, dir="b", limit=2)
    assert page["chunk"][0]["type"] == "m.room.member"
    assert page["chunk"][0]["state_key"] == bob.user_id
    assert ids(page)[1] == seen
    forward = await bob.messages(room, dir="f", limit=100)
    assert forward["chunk"][-1]["state_key"] == bob.user_id
    assert "end" not in forward


@pytest.mark.parametrize(
    ("params", "status", "errcode"),
    [
        ({}, 400, "M_MISSING_PARAM"),
        ({"dir": "x"}, 400, "M_INVALID_PARAM"),
        ({"dir": "B"}, 400, "M_INVALID_PARAM"),
        ({"dir": ""}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "ten"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "-1"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "1.5"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "1_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "99999999999999999999"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "9" * 5000}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "limit": "\uff11"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "garbage"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "s99999_0_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "t99999-1_0_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "t2-99999_0_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "t2-1_0_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "from": "s01_0_0"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "to": "nonsense"}, 400, "M_INVALID_PARAM"),
        ({"dir": "b", "filter": "{not json"}, 400, "M_NOT_JSON"),
        ({"dir": "b", "filter": "[]"}, 400, "M_BAD_JSON"),
        ({"dir": "b", "filter": '{"types": "m.room.message"}'}, 400, "M_BAD_JSON"),
        ({"dir": "b", "filter": '{"limit": "5"}'}, 400, "M_BAD_JSON"),
    ],
)
async def test_messages_refusals(
    hs: Homeserver, alice: Account, params: dict[str, str], status: int, errcode: str
) -> None:
    room, _ = await room_with_messages(alice, 3)
    before = snapshot(hs.store)
    response = await alice.client.get(
        f"{V3}/rooms/{room}/messages", params=params, headers=alice.headers
    )
    assert_error(response, status, errcode)
    assert snapshot(hs.store) == before


async def test_messages_need_membership(alice: Account, bob: Account) -> None:
    room, _ = await room_with_messages(alice, 1)
    response = await bob.client.get(
        f"{V3}/rooms/{room}/messages", params={"dir": "b"}, headers=bob.headers
    )
    assert_error(response, 403, "M_FORBIDDEN")
    await alice.invite(room, bob.user_id)
    invited = await bob.client.get(
        f"{V3}/rooms/{room}/messages", params={"dir": "b"}, headers=bob.headers
    )
    assert_error(invited, 403, "M_FORBIDDEN")
    unknown = await bob.client.get(
        f"{V3}/rooms/!unknown:localhost/messages", params={"dir": "b"}, headers=bob.headers
    )
    assert_error(unknown, 403, "M_FORBIDDEN")


async def test_a_token_from_another_room_is_refused(alice: Account) -> None:
    room, _ = await room_with_messages(alice, 3)
    other, _ = await room_with_messages(alice, 1)
    token = (await alice.messages(room, dir="b", limit=1))["end"]
    response = await alice.client.get(
        f"{V3}/rooms/{other}/messages", params={"dir": "b", "from": token}, headers=alice.headers
    )
    assert_error(response, 400, "M_INVALID_PARAM")


async def test_context(alice: Account) -> None:
    room, sent = await room_with_messages(alice, 5)
    body = await alice.call("GET", f"/rooms/{room}/context/{sent[2]}", params={"limit": 2})
    assert body["event"]["event_id"] == sent[2]
    assert [e["event_id"] for e in body["events_before"]] == [sent[1]]
    assert [e["event_id"] for e in body["events_after"]] == [sent[3]]
    after = await alice.messages(room, dir="f", **{"from": body["end"]})
    assert ids(after) == [sent[4]]
