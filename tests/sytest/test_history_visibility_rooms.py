"""SyTest tests/30rooms/30history-visibility.pl, re-expressed for real (non-guest) users.

The "Guest" variants are not here: mockserver, like Synapse's default configuration,
refuses guest registration. The room ``initialSync`` and v1 ``/events`` peeking tests
exercise deprecated endpoints mockserver does not serve (Synapse marks them
``deprecated_endpoints``). "Backfill works correctly with history visibility set to
joined" uses a federated user; its local form is here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Account, ApiError, assert_error, register

pytestmark = pytest.mark.anyio

#: SyTest's %PERMITTED_ACTIONS: what a user sees of a room with each setting.
PERMITTED = {
    "world_readable": {"see_without_join": True, "see_before_join": True, "see_after_invite": True},
    "shared": {"see_without_join": False, "see_before_join": True, "see_after_invite": True},
    "invited": {"see_without_join": False, "see_before_join": False, "see_after_invite": True},
    "joined": {"see_without_join": False, "see_before_join": False, "see_after_invite": False},
    "default": {"see_without_join": False, "see_before_join": True, "see_after_invite": True},
}


@pytest.fixture
async def creator(client: httpx.AsyncClient) -> Account:
    return await register(client, "creator")


@pytest.fixture
async def other(client: httpx.AsyncClient) -> Account:
    return await register(client, "other")


async def set_visibility(account: Account, room_id: str, visibility: str) -> None:
    """``matrix_set_room_history_visibility``; "default" sends nothing (shared by default)."""
    if visibility != "default":
        await account.put_state(
            room_id, "m.room.history_visibility", {"history_visibility": visibility}
        )


async def set_guest_access(account: Account, room_id: str) -> None:
    await account.put_state(room_id, "m.room.guest_access", {"guest_access": "can_join"})


def event_ids(body: dict[str, Any]) -> set[str]:
    return {e["event_id"] for e in body["chunk"]}


@pytest.mark.parametrize("visibility", list(PERMITTED))
async def test_history_visibility_allows_or_forbids_appropriately(
    creator: Account, other: Account, visibility: str
) -> None:
    """'m.room.history_visibility == "<visibility>" allows/forbids appropriately for Real users'."""
    permitted = PERMITTED[visibility]
    room_id = await creator.create_room()
    await set_visibility(creator, room_id, visibility)
    await set_guest_access(creator, room_id)
    before_join = await creator.send(room_id, "Before join")
    response = await other.client.get(
        f"/_matrix/client/v3/rooms/{room_id}/messages",
        params={"dir": "b", "limit": 10},
        headers=other.headers,
    )
    if permitted["see_without_join"]:
        assert response.status_code == 200, response.text
        assert before_join in event_ids(response.json())
    else:
        # SyTest's expect_4xx_or_empty_chunk; Synapse (and mockserver) answer 403.
        assert_error(response, 403, "M_FORBIDDEN")
    await creator.invite(room_id, other.user_id)
    after_invite = await creator.send(room_id, "After invite")
    await other.join(room_id)
    seen = event_ids(await other.messages(room_id, dir="b", limit=10))
    assert (before_join in seen) == permitted["see_before_join"]
    assert (after_invite in seen) == permitted["see_after_invite"]


async def test_non_joined_users_can_get_state_for_world_readable_rooms(
    creator: Account, other: Account
) -> None:
    """"Real non-joined users can get state for world_readable rooms" and "... individual
    state ...", with the refusal for a room that is not world-readable beside them."""
    room_id = await creator.create_room(preset="public_chat")
    state_path = f"/rooms/{room_id}/state"
    member_path = f"{state_path}/m.room.member/{creator.user_id}"
    for path in (state_path, member_path):
        with pytest.raises(ApiError, match="403"):
            await other.call("GET", path)
    await set_visibility(creator, room_id, "world_readable")
    state = await other.call("GET", state_path)
    assert {(e["type"], e["state_key"]) for e in state} >= {
        ("m.room.create", ""),
        ("m.room.history_visibility", ""),
        ("m.room.member", creator.user_id),
    }
    assert (await other.call("GET", member_path))["membership"] == "join"
    members = await other.call("GET", f"/rooms/{room_id}/members")
    assert [e["state_key"] for e in members["chunk"]] == [creator.user_id]


async def test_non_joined_users_can_get_individual_state_after_leaving(
    creator: Account, other: Account
) -> None:
    """"Real non-joined users can get individual state for world_readable rooms after leaving"."""
    room_id = await creator.create_room(preset="public_chat")
    await set_visibility(creator, room_id, "world_readable")
    await set_guest_access(creator, room_id)
    await other.join(room_id)
    await other.leave(room_id)
    await creator.put_state(room_id, "m.room.topic", {"topic": "after the leave"})
    member = await other.call("GET", f"/rooms/{room_id}/state/m.room.member/{creator.user_id}")
    assert member["membership"] == "join"
    # Past their departure they read as a peeker: the world-readable topic is theirs too.
    topic = await other.call("GET", f"/rooms/{room_id}/state/m.room.topic")
    assert topic == {"topic": "after the leave"}


async def test_non_joined_users_cannot_send_to_guest_access_rooms(
    creator: Account, other: Account
) -> None:
    """"Real non-joined users cannot send messages to guest_access rooms if not joined"."""
    room_id = await creator.create_room(preset="public_chat")
    await set_visibility(creator, room_id, "world_readable")
    await set_guest_access(creator, room_id)
    response = await other.client.put(
        f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/t1",
        json={"msgtype": "m.text", "body": "sup"},
        headers=other.headers,
    )
    assert_error(response, 403, "M_FORBIDDEN")
    assert all(e["sender"] != other.user_id for e in (await creator.messages(room_id, dir="b"))["chunk"])


@pytest.mark.parametrize("visibility", list(PERMITTED))
async def test_users_can_sync_from_guest_access_rooms_if_joined(
    creator: Account, other: Account, visibility: str
) -> None:
    """'Real users can sync from <visibility> guest_access rooms if joined'."""
    room_id = await creator.create_room(preset="public_chat")
    await set_guest_access(creator, room_id)
    await creator.send(room_id, "shared")
    await set_visibility(creator, room_id, visibility)
    await creator.send(room_id, "pre_join")
    await other.join(room_id)
    await creator.send(room_id, "post_join")
    room = (await other.sync())["rooms"]["join"][room_id]
    assert {"events", "limited", "prev_batch"} <= room["timeline"].keys()
    chunk = room["timeline"]["events"][-4:]
    if PERMITTED[visibility]["see_before_join"]:
        if visibility in ("shared", "default"):
            assert chunk[0]["type"] == "m.room.message"
        else:
            assert chunk[0]["type"] == "m.room.history_visibility"
        assert chunk[1]["type"] == "m.room.message"
        assert chunk[1]["content"]["body"] == "pre_join"
    else:
        assert chunk[0]["type"] == "m.room.message"
        assert chunk[0]["content"]["body"] == "shared"
        assert chunk[1]["type"] == "m.room.history_visibility"
    assert chunk[2]["type"] == "m.room.member"
    assert chunk[3]["type"] == "m.room.message"
    assert chunk[3]["content"]["body"] == "post_join"


async def test_only_see_history_visibility_changes_on_boundaries(
    creator: Account, other: Account
) -> None:
    """"Only see history_visibility changes on boundaries"."""
    room_id = await creator.create_room(preset="public_chat")
    await set_visibility(creator, room_id, "joined")
    await creator.send(room_id, "1")
    await set_visibility(creator, room_id, "invited")
    await creator.send(room_id, "2")
    await set_visibility(creator, room_id, "shared")
    await creator.send(room_id, "3")
    await other.join(room_id)
    room = (await other.sync())["rooms"]["join"][room_id]
    chunk = room["timeline"]["events"][-4:]
    assert [(e["type"], e["content"].get("history_visibility", e["content"].get("body"))) for e in chunk] == [
        ("m.room.history_visibility", "joined"),
        ("m.room.history_visibility", "shared"),
        ("m.room.message", "3"),
        ("m.room.member", None),
    ]


async def test_history_visibility_joined_hides_messages_from_a_later_joiner(
    client: httpx.AsyncClient, creator: Account, other: Account
) -> None:
    """"Backfill works correctly with history visibility set to joined", its local form:
    ten messages, another user's join (a state event), one more message, then a late
    joiner's /messages holds no message at all."""
    late = await register(client, "late")
    room_id = await creator.create_room(preset="public_chat")
    await set_visibility(creator, room_id, "joined")
    for number in range(1, 11):
        await creator.send(room_id, f"Message {number}")
    await other.join(room_id)
    await creator.send(room_id, "2")
    await late.join(room_id)
    chunk = (await late.messages(room_id, dir="b", limit=10))["chunk"]
    assert chunk and all(e["type"] != "m.room.message" for e in chunk)


async def test_a_peek_sees_only_what_was_sent_while_world_readable(
    creator: Account, other: Account
) -> None:
    """Synapse's rule for a non-member reading a world-readable room: the events sent
    while it was world-readable, none from its shared past; /event and /context agree."""
    room_id = await creator.create_room(preset="public_chat")
    private = await creator.send(room_id, "while shared")
    await set_visibility(creator, room_id, "world_readable")
    public = await creator.send(room_id, "while world readable")
    seen = event_ids(await other.messages(room_id, dir="b", limit=50))
    assert public in seen and private not in seen
    forwards = event_ids(await other.messages(room_id, dir="f", limit=50))
    assert forwards == seen
    base = f"/rooms/{room_id}"
    assert (await other.call("GET", f"{base}/event/{public}"))["content"]["body"] == "while world readable"
    context = await other.call("GET", f"{base}/context/{public}")
    assert private not in {e["event_id"] for e in context["events_before"]}
    for path in (f"{base}/event/{private}", f"{base}/context/{private}"):
        with pytest.raises(ApiError, match="404"):
            await other.call("GET", path)
    # Turned back to shared: the peek ends, and a stranger is refused as before.
    await set_visibility(creator, room_id, "shared")
    with pytest.raises(ApiError, match="403"):
        await other.messages(room_id, dir="b")
    # Peeking never grants what needs membership.
    await set_visibility(creator, room_id, "world_readable")
    with pytest.raises(ApiError, match="403"):
        await other.call("GET", f"{base}/joined_members")
