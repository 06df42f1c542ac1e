"""The seed's ``GET /_matrix/client/v2_alpha/sync`` through HTTP: shape, state, timelines,
membership transitions, typing, presence and tokens. Filters and errors are in
``test_sync_seed_filters.py``; long-polling in ``test_sync_long_poll.py``."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.homeserver import Homeserver
from tests.seed_sync import (
    SEED_ROOM_TOKEN,
    SEED_STREAM_TOKEN,
    backfill,
    event,
    groups,
    seed_sync,
    state,
    timeline,
)
from tests.support import V3, Account, register


async def login_again(client: httpx.AsyncClient, account: Account) -> Account:
    """A second device of the same user."""
    response = await client.post(
        f"{V3}/login",
        json={
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": account.user_id},
            "password": "secret",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["device_id"] != account.device_id
    return Account(client, body["user_id"], body["access_token"], body["device_id"])


async def room_state_ids(account: Account, room_id: str) -> set[str]:
    return {e["event_id"] for e in await account.call("GET", f"/rooms/{room_id}/state")}


# -- the initial sync's shape ---------------------------------------------------------------


async def test_initial_sync_of_a_new_user_has_every_key_and_empty_groups(alice: Account) -> None:
    body = await seed_sync(alice)
    assert groups(body) == {"joined": [], "invited": [], "archived": []}
    assert body["room_map"] == {}
    assert [p["sender"] for p in body["presence"]["events"]] == [alice.user_id]


async def test_initial_sync_shape_per_group(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    joined = await alice.create_room(name="Joined")
    await alice.typing(joined)
    own = await alice.send(joined, "I am a fish", txn_id="1234")
    invited = await bob.create_room(name="My Room Name")
    await bob.invite(invited, alice.user_id)
    kicked = await bob.create_room(preset="public_chat")
    await alice.join(kicked)
    await bob.kick(kicked, alice.user_id)

    body = await seed_sync(alice)
    assert groups(body) == {"joined": [joined], "invited": [invited], "archived": [kicked]}

    entry = body["room_map"][joined]
    assert set(state(body, joined)) == await room_state_ids(alice, joined)
    assert timeline(body, joined)[-1] == own
    assert entry["ephemeral"]["events"] == [
        {"room_id": joined, "type": "m.typing", "content": {"user_ids": [alice.user_id]}}
    ]
    message = event(body, joined, own)
    assert message["content"] == {"msgtype": "m.text", "body": "I am a fish"}
    assert message["sender"] == alice.user_id and message["type"] == "m.room.message"
    assert "state_key" not in message
    assert message["unsigned"]["txn_id"] == "1234"
    assert isinstance(message["origin_server_ts"], int)

    invite_state = body["room_map"][invited]["invite_state"]["events"]
    assert invite_state[0] == {
        "type": "m.room.create",
        "state_key": "",
        "sender": bob.user_id,
        "content": invite_state[0]["content"],
    }
    assert {"type": "m.room.name", "state_key": "", "sender": bob.user_id,
            "content": {"name": "My Room Name"}} in invite_state
    assert invite_state[-1]["type"] == "m.room.member"
    assert invite_state[-1]["state_key"] == alice.user_id
    assert invite_state[-1]["sender"] == bob.user_id
    assert invite_state[-1]["content"]["membership"] == "invite"

    kick = event(body, kicked, timeline(body, kicked)[-1])
    assert kick["state_key"] == alice.user_id and kick["content"]["membership"] == "leave"
    assert kick["sender"] == bob.user_id


async def test_txn_id_only_for_the_sending_device(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = await alice.send(room, "from device one", txn_id="txn-1")
    second = await login_again(client, alice)

    mine = await seed_sync(alice)
    assert event(mine, room, sent)["unsigned"]["txn_id"] == "txn-1"
    for viewer in (second, bob):
        body = await seed_sync(viewer)
        assert "txn_id" not in event(body, room, sent)["unsigned"]

    # The same txnId from the second device is a new event, seen with its txn_id there only.
    again = await second.send(room, "from device two", txn_id="txn-1")
    assert again != sent
    theirs = await seed_sync(second, since=mine["next_batch"])
    assert event(theirs, room, again)["unsigned"]["txn_id"] == "txn-1"
    mine = await seed_sync(alice, since=mine["next_batch"])
    assert "txn_id" not in event(mine, room, again)["unsigned"]


async def test_unsigned_age_is_server_time_since_the_event(hs: Homeserver, alice: Account) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room()
    sent = await alice.send(room)
    hs.store.clock.advance(12_345)
    body = await seed_sync(alice)
    message = event(body, room, sent)
    assert message["unsigned"]["age"] == 12_345
    assert message["origin_server_ts"] == hs.store.clock.now_ms() - 12_345


async def test_tokens_are_the_seed_three_part_forms(alice: Account) -> None:
    room = await alice.create_room()
    body = await seed_sync(alice)
    assert SEED_STREAM_TOKEN.fullmatch(body["next_batch"])
    assert SEED_ROOM_TOKEN.fullmatch(body["room_map"][room]["timeline"]["prev_batch"])
    # Stable (seven-part) tokens are accepted by the seed's sync, and the other way round.
    stable = await alice.sync()
    assert stable["next_batch"].count("_") == 6
    assert (await seed_sync(alice, since=stable["next_batch"]))["room_map"] == {}
    assert (await alice.sync(since=body["next_batch"]))["rooms"]["join"] == {}


async def test_a_stranger_never_sees_other_peoples_rooms(
    alice: Account, bob: Account, carol: Account
) -> None:
    first = await seed_sync(carol)
    room = await alice.create_room(preset="public_chat", name="not yours")
    await bob.join(room)
    await alice.send(room)
    await alice.typing(room)
    assert groups(await seed_sync(carol)) == {"joined": [], "invited": [], "archived": []}
    later = await seed_sync(carol, since=first["next_batch"])
    assert later["room_map"] == {}


# -- state: the room state at the END of the timeline ------------------------------------------


async def test_initial_state_is_the_full_current_state_even_when_limited(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat", name="old")
    await bob.join(room)
    renamed = await alice.put_state(room, "m.room.name", {"name": "new"})
    for i in range(12):
        await bob.send(room, f"m{i}")
    body = await seed_sync(alice)
    entry = body["room_map"][room]
    assert entry["timeline"]["limited"] is True
    assert renamed not in timeline(body, room)
    assert set(state(body, room)) == await room_state_ids(alice, room)
    assert renamed in state(body, room)
    assert event(body, room, renamed)["content"] == {"name": "new"}


async def test_incremental_state_lists_only_what_changed(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat", name="one")
    await bob.join(room)
    first = await seed_sync(alice)
    said = await bob.send(room, "hi")
    renamed = await alice.put_state(room, "m.room.name", {"name": "two"})
    topic = await alice.put_state(room, "m.room.topic", {"topic": "t"})
    renamed_again = await alice.put_state(room, "m.room.name", {"name": "three"})

    body = await seed_sync(alice, since=first["next_batch"])
    assert timeline(body, room) == [said, renamed, topic, renamed_again]
    # State at the end of the timeline: the latest name and the topic; they overlap the timeline.
    assert set(state(body, room)) == {topic, renamed_again}
    assert event(body, room, renamed_again)["unsigned"]["prev_content"] == {"name": "two"}
    assert body["room_map"][room]["timeline"]["limited"] is False


async def test_incremental_state_change_outside_a_limited_window_is_in_state(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    limit3 = await alice.upload_filter({"room": {"timeline": {"limit": 3}}})
    first = await seed_sync(alice, filter=limit3)
    topic = await alice.put_state(room, "m.room.topic", {"topic": "t"})
    for i in range(5):
        await bob.send(room, f"m{i}")
    body = await seed_sync(alice, filter=limit3, since=first["next_batch"])
    assert body["room_map"][room]["timeline"]["limited"] is True
    assert topic not in timeline(body, room)
    assert state(body, room) == [topic]


async def test_incremental_sync_omits_rooms_with_nothing_new(alice: Account, bob: Account) -> None:
    quiet = await alice.create_room()
    busy = await alice.create_room()
    first = await seed_sync(alice)
    sent = await alice.send(busy)
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body)["joined"] == [busy]
    assert quiet not in body["room_map"]
    assert timeline(body, busy) == [sent]
    assert state(body, busy) == []
    nothing = await seed_sync(alice, since=body["next_batch"])
    assert nothing["room_map"] == {} and nothing["next_batch"] == body["next_batch"]


async def test_full_state_lists_every_room_with_its_whole_state(
    hs: Homeserver, alice: Account
) -> None:
    hs.store.clock.freeze()
    quiet = await alice.create_room(name="quiet")
    busy = await alice.create_room(name="busy")
    first = await seed_sync(alice)
    sent = await alice.send(busy)
    body = await seed_sync(alice, since=first["next_batch"], full_state="true", timeout=30_000)
    assert sorted(groups(body)["joined"]) == sorted([quiet, busy])
    for room in (quiet, busy):
        assert set(state(body, room)) == await room_state_ids(alice, room)
    assert timeline(body, quiet) == [] and timeline(body, busy) == [sent]


async def test_four_and_five_part_since_tokens_are_accepted(alice: Account) -> None:
    room = await alice.create_room()
    first = await seed_sync(alice)
    sent = await alice.send(room)
    for since in (first["next_batch"] + "_0", first["next_batch"] + "_0_0"):
        assert timeline(await seed_sync(alice, since=since), room) == [sent]


# -- limited timelines and prev_batch ---------------------------------------------------------


async def test_initial_prev_batch_pages_back_to_the_first_event(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    sent = [await alice.send(room, f"m{i}") for i in range(15)]
    limit3 = await alice.upload_filter({"room": {"timeline": {"limit": 3}}})
    body = await seed_sync(alice, filter=limit3)
    entry = body["room_map"][room]
    assert entry["timeline"] == {
        "events": sent[-3:],
        "limited": True,
        "prev_batch": entry["timeline"]["prev_batch"],
    }
    history = await backfill(alice, room, entry["timeline"]["prev_batch"], None)
    everything = [e["event_id"] for e in (await alice.messages(room, dir="f", limit=100))["chunk"]]
    assert history + sent[-3:] == everything
    assert history[-12:] == sent[:12]
    prev_batch = entry["timeline"]["prev_batch"]
    first = await alice.messages(room, dir="b", limit=1000, **{"from": prev_batch})
    assert first["chunk"][-1]["type"] == "m.room.create"
    assert "end" not in first
    # dir=f from prev_batch gives the window itself.
    window = await alice.messages(room, dir="f", limit=3, **{"from": prev_batch})
    assert [e["event_id"] for e in window["chunk"]] == sent[-3:]


async def test_incremental_gap_is_filled_by_messages_back_to_since(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    limit3 = await alice.upload_filter({"room": {"timeline": {"limit": 3}}})
    first = await seed_sync(alice, filter=limit3)
    sent = [await bob.send(room, f"m{i}") for i in range(7)]
    body = await seed_sync(alice, filter=limit3, since=first["next_batch"])
    entry = body["room_map"][room]
    assert entry["timeline"]["events"] == sent[-3:]
    assert entry["timeline"]["limited"] is True
    gap = await backfill(alice, room, entry["timeline"]["prev_batch"], first["next_batch"], page=3)
    assert gap == sent[:4]


async def test_unlimited_incremental_prev_batch_leads_straight_back_to_since(
    alice: Account, bob: Account
) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    sent = [await bob.send(room, f"m{i}") for i in range(3)]
    body = await seed_sync(alice, since=first["next_batch"])
    entry = body["room_map"][room]
    assert entry["timeline"]["events"] == sent and entry["timeline"]["limited"] is False
    assert await backfill(alice, room, entry["timeline"]["prev_batch"], first["next_batch"]) == []


async def test_exactly_limit_new_events_is_not_limited(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    sent = [await bob.send(room, f"m{i}") for i in range(10)]
    body = await seed_sync(alice, since=first["next_batch"])
    assert body["room_map"][room]["timeline"] == {
        "events": sent,
        "limited": False,
        "prev_batch": body["room_map"][room]["timeline"]["prev_batch"],
    }
    await bob.send(room, "one more")
    body = await seed_sync(alice, since=first["next_batch"])
    assert body["room_map"][room]["timeline"]["limited"] is True


async def test_replaying_a_since_gives_the_same_timeline(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    await bob.send(room, "a")
    await alice.put_state(room, "m.room.topic", {"topic": "x"})
    await bob.send(room, "b")
    once = await seed_sync(alice, since=first["next_batch"])
    twice = await seed_sync(alice, since=first["next_batch"])
    assert once["room_map"][room]["timeline"] == twice["room_map"][room]["timeline"]
    assert state(once, room) == state(twice, room)
    assert once["next_batch"] == twice["next_batch"]
    # Later events do not change what an old token covers, only where the window ends.
    later = await bob.send(room, "c")
    thrice = await seed_sync(alice, since=first["next_batch"])
    assert timeline(thrice, room) == [*timeline(once, room), later]


# -- membership: invited -> joined -> archived -----------------------------------------------


async def test_invite_join_leave_moves_the_room_between_groups(
    alice: Account, bob: Account
) -> None:
    room = await bob.create_room(name="Party")
    start = await seed_sync(alice)

    await bob.invite(room, alice.user_id)
    invited = await seed_sync(alice, since=start["next_batch"])
    assert groups(invited) == {"joined": [], "invited": [room], "archived": []}
    stripped = invited["room_map"][room]["invite_state"]["events"]
    assert stripped[-1]["content"]["membership"] == "invite"
    # Room activity while invited is not shown, and the invite is not repeated.
    await bob.send(room, "before you join")
    assert (await seed_sync(alice, since=invited["next_batch"]))["room_map"] == {}

    await alice.join(room)
    said = await bob.send(room, "welcome")
    joined = await seed_sync(alice, since=invited["next_batch"])
    assert groups(joined) == {"joined": [room], "invited": [], "archived": []}
    joined_events = [event(joined, room, e) for e in timeline(joined, room)]
    assert [e["content"].get("membership") for e in joined_events[-2:]] == ["join", None]
    assert timeline(joined, room)[-1] == said
    # A newly joined room gets its full state, as an initial sync would.
    assert set(state(joined, room)) == await room_state_ids(alice, room)

    await alice.leave(room)
    left = await seed_sync(alice, since=joined["next_batch"])
    assert groups(left) == {"joined": [], "invited": [], "archived": [room]}
    leave = event(left, room, timeline(left, room)[-1])
    assert leave["state_key"] == alice.user_id and leave["content"]["membership"] == "leave"
    assert leave["sender"] == alice.user_id
    assert timeline(left, room)[-1] in state(left, room)

    after = await bob.send(room, "you are gone")
    await bob.put_state(room, "m.room.topic", {"topic": "secret"})
    gone = await seed_sync(alice, since=left["next_batch"])
    assert gone["room_map"] == {}
    # A voluntary leave is not in an initial sync unless the filter asks for it ...
    assert room not in groups(await seed_sync(alice))["archived"]
    # ... and then its timeline still ends with the leave.
    include_leave = await alice.upload_filter({"room": {"include_leave": True}})
    archived = await seed_sync(alice, filter=include_leave)
    assert groups(archived)["archived"] == [room]
    assert timeline(archived, room)[-1] == timeline(left, room)[-1]
    assert after not in archived["room_map"][room]["event_map"]


async def test_kick_archives_the_room_and_hides_what_follows(alice: Account, bob: Account) -> None:
    room = await bob.create_room(preset="public_chat")
    await alice.join(room)
    first = await seed_sync(alice)
    said = await bob.send(room, "last words")
    await bob.kick(room, alice.user_id)
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body) == {"joined": [], "invited": [], "archived": [room]}
    kick_id = timeline(body, room)[-1]
    assert timeline(body, room) == [said, kick_id]
    kick = event(body, room, kick_id)
    assert (kick["sender"], kick["state_key"], kick["content"]["membership"]) == (
        bob.user_id,
        alice.user_id,
        "leave",
    )
    assert kick_id in state(body, room)

    hidden = [
        await bob.send(room, "after"),
        await bob.put_state(room, "m.room.name", {"name": "x"}),
    ]
    assert (await seed_sync(alice, since=body["next_batch"]))["room_map"] == {}
    # A kicked user's room is in every initial sync, still ending with the kick.
    again = await seed_sync(alice)
    assert groups(again)["archived"] == [room]
    assert timeline(again, room)[-1] == kick_id
    assert not set(hidden) & set(again["room_map"][room]["event_map"])
    # /messages stops at the kick too.
    back = await alice.messages(room, dir="b", limit=100)
    assert back["chunk"][0]["event_id"] == kick_id


async def test_ban_archives_the_room_and_hides_what_follows(alice: Account, bob: Account) -> None:
    room = await bob.create_room(preset="public_chat")
    await alice.join(room)
    first = await seed_sync(alice)
    await bob.ban(room, alice.user_id)
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body)["archived"] == [room]
    ban = event(body, room, timeline(body, room)[-1])
    assert ban["content"]["membership"] == "ban" and ban["state_key"] == alice.user_id
    hidden = await bob.send(room, "after the ban")
    assert (await seed_sync(alice, since=body["next_batch"]))["room_map"] == {}
    again = await seed_sync(alice)
    assert groups(again)["archived"] == [room]
    assert hidden not in again["room_map"][room]["event_map"]


async def test_join_and_leave_between_two_syncs_shows_the_visit(
    alice: Account, bob: Account
) -> None:
    room = await bob.create_room(preset="public_chat")
    before = await bob.send(room, "history")
    first = await seed_sync(alice)
    await alice.join(room)
    during = await bob.send(room, "while you were here")
    await alice.leave(room)
    await bob.send(room, "after")
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body) == {"joined": [], "invited": [], "archived": [room]}
    window = timeline(body, room)
    assert window[-2] == during and before in window
    assert event(body, room, window[-1])["content"]["membership"] == "leave"
    # Treated as new to the client: full state at the leave.
    assert event(body, room, window[0])["type"] == "m.room.create"


async def test_rejected_invite_shows_only_the_rejection(alice: Account, bob: Account) -> None:
    room = await bob.create_room(name="Secret")
    await bob.send(room, "private")
    await bob.invite(room, alice.user_id)
    first = await seed_sync(alice)
    assert groups(first)["invited"] == [room]
    await alice.leave(room)
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body) == {"joined": [], "invited": [], "archived": [room]}
    (rejection,) = timeline(body, room)
    assert event(body, room, rejection)["content"]["membership"] == "leave"
    # State as of the end of the timeline: only the membership changed.
    assert state(body, room) == [rejection]


async def test_leave_then_rejected_reinvite_hides_the_time_away(
    alice: Account, bob: Account
) -> None:
    room = await bob.create_room(preset="public_chat")
    await alice.join(room)
    await alice.leave(room)
    first = await seed_sync(alice)
    away = await bob.send(room, "said while alice was away")
    await bob.put_state(room, "m.room.topic", {"topic": "while away"})
    await bob.invite(room, alice.user_id)
    invited = await seed_sync(alice, since=first["next_batch"])
    assert groups(invited)["invited"] == [room]
    await alice.leave(room)
    body = await seed_sync(alice, since=invited["next_batch"])
    assert groups(body)["archived"] == [room]
    (rejection,) = timeline(body, room)
    assert event(body, room, rejection)["content"]["membership"] == "leave"
    assert away not in body["room_map"][room]["event_map"]
    assert state(body, room) == [rejection]
    # Nor does an initial sync or /messages show the time away.
    include_leave = await alice.upload_filter({"room": {"include_leave": True}})
    initial = await seed_sync(alice, filter=include_leave)
    assert away not in initial["room_map"][room]["event_map"]
    back = await alice.messages(room, dir="b", limit=100)
    assert away not in [e["event_id"] for e in back["chunk"]]


async def test_ban_after_kick_shows_only_the_ban(alice: Account, bob: Account) -> None:
    room = await bob.create_room(preset="public_chat")
    await alice.join(room)
    await bob.kick(room, alice.user_id)
    first = await seed_sync(alice)
    away = await bob.send(room, "between kick and ban")
    await bob.ban(room, alice.user_id)
    body = await seed_sync(alice, since=first["next_batch"])
    assert groups(body)["archived"] == [room]
    (ban,) = timeline(body, room)
    assert event(body, room, ban)["content"]["membership"] == "ban"
    assert away not in body["room_map"][room]["event_map"]
    assert state(body, room) == [ban]
    # An initial sync shows the visit up to the kick, then the ban; state is taken there.
    again = await seed_sync(alice)
    assert away not in again["room_map"][room]["event_map"]
    assert timeline(again, room)[-1] == ban
    assert event(again, room, timeline(again, room)[-2])["content"]["membership"] == "leave"
    assert ban in state(again, room)
    members = [
        e for e in state(again, room) if event(again, room, e).get("state_key") == alice.user_id
    ]
    assert members == [ban]
    # The ban is added within the window's limit.
    limit1 = await alice.upload_filter({"room": {"timeline": {"limit": 1}}})
    short = await seed_sync(alice, filter=limit1)
    assert short["room_map"][room]["timeline"]["events"] == [ban]
    assert short["room_map"][room]["timeline"]["limited"] is True
    history = await backfill(alice, room, short["room_map"][room]["timeline"]["prev_batch"], None)
    assert history == timeline(again, room)[:-1]  # the whole visit fits the default window
    assert away not in history


async def test_rejoin_is_a_new_join_with_full_state(alice: Account, bob: Account) -> None:
    room = await bob.create_room(preset="public_chat")
    await alice.join(room)
    first = await seed_sync(alice)
    await alice.leave(room)
    left = await seed_sync(alice, since=first["next_batch"])
    assert groups(left)["archived"] == [room]
    away = await bob.send(room, "while away")
    await alice.join(room)
    back = await seed_sync(alice, since=left["next_batch"])
    assert groups(back)["joined"] == [room]
    assert set(state(back, room)) == await room_state_ids(alice, room)
    # A joined user reads the room's whole (shared) history, the time away included.
    assert away in timeline(back, room)


# -- typing ----------------------------------------------------------------------------------


async def test_typing_appears_in_ephemeral_with_room_id(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    first = await seed_sync(alice)
    assert first["room_map"][room]["ephemeral"] == {"events": []}
    await bob.typing(room)
    body = await seed_sync(alice, since=first["next_batch"])
    assert timeline(body, room) == []
    assert body["room_map"][room]["ephemeral"]["events"] == [
        {"room_id": room, "type": "m.typing", "content": {"user_ids": [bob.user_id]}}
    ]
    # Unchanged typing is not repeated; stopping is reported as an empty set.
    assert (await seed_sync(alice, since=body["next_batch"]))["room_map"] == {}
    await bob.typing(room, False)
    stopped = await seed_sync(alice, since=body["next_batch"])
    assert stopped["room_map"][room]["ephemeral"]["events"][0]["content"] == {"user_ids": []}


async def test_typing_expires_on_the_server_clock(
    hs: Homeserver, alice: Account, bob: Account
) -> None:
    hs.store.clock.freeze()
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.typing(room, timeout=5_000)
    first = await seed_sync(alice)
    assert first["room_map"][room]["ephemeral"]["events"][0]["content"]["user_ids"] == [bob.user_id]
    hs.store.clock.advance(4_999)
    assert (await seed_sync(alice, since=first["next_batch"]))["room_map"] == {}
    hs.store.clock.advance(1)
    expired = await seed_sync(alice, since=first["next_batch"])
    assert expired["room_map"][room]["ephemeral"]["events"] == [
        {"room_id": room, "type": "m.typing", "content": {"user_ids": []}}
    ]
    # An initial sync shows typing only while someone types.
    assert (await seed_sync(alice))["room_map"][room]["ephemeral"] == {"events": []}


async def test_a_newly_joined_room_shows_who_is_already_typing(
    alice: Account, bob: Account
) -> None:
    room = await bob.create_room(preset="public_chat")
    await bob.typing(room)
    first = await seed_sync(alice)
    await alice.join(room)
    body = await seed_sync(alice, since=first["next_batch"])
    assert body["room_map"][room]["ephemeral"]["events"] == [
        {"room_id": room, "type": "m.typing", "content": {"user_ids": [bob.user_id]}}
    ]


async def test_a_newly_joined_room_shows_earlier_receipts_in_the_stable_dialect(
    alice: Account, bob: Account
) -> None:
    """The same rule in today's dialect, which also reports receipts."""
    room = await bob.create_room(preset="public_chat")
    sent = await bob.send(room)
    await bob.call("POST", f"/rooms/{room}/receipt/m.read/{sent}", json={})
    first = await alice.sync()
    await alice.join(room)
    body = await alice.sync(since=first["next_batch"])
    ephemeral = body["rooms"]["join"][room]["ephemeral"]["events"]
    receipts = [e for e in ephemeral if e["type"] == "m.receipt"]
    assert [list(r["content"]) for r in receipts] == [[sent]]
    assert list(receipts[0]["content"][sent]["m.read"]) == [bob.user_id]


async def test_typing_is_cleared_by_leaving(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.typing(room)
    first = await seed_sync(alice)
    await bob.leave(room)
    body = await seed_sync(alice, since=first["next_batch"])
    assert body["room_map"][room]["ephemeral"]["events"][0]["content"] == {"user_ids": []}


# -- presence --------------------------------------------------------------------------------


def presence_of(body: dict[str, Any]) -> dict[str, str]:
    return {p["sender"]: p["content"]["presence"] for p in body["presence"]["events"]}


async def test_syncing_marks_the_user_online_unless_set_presence_offline(
    client: httpx.AsyncClient,
) -> None:
    quiet = await register(client, "quiet")
    body = await seed_sync(quiet, set_presence="offline")
    assert presence_of(body) == {}
    status = await quiet.call("GET", f"/presence/{quiet.user_id}/status")
    assert status["presence"] == "offline"

    await quiet.call("PUT", f"/presence/{quiet.user_id}/status", json={"presence": "unavailable"})
    body = await seed_sync(quiet, set_presence="offline")
    assert presence_of(body) == {quiet.user_id: "unavailable"}

    body = await seed_sync(quiet)
    assert presence_of(body) == {quiet.user_id: "online"}
    status = await quiet.call("GET", f"/presence/{quiet.user_id}/status")
    assert status["presence"] == "online"


async def test_presence_only_of_users_sharing_a_room(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    stranger = await register(client, "stranger")
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await stranger.call("PUT", f"/presence/{stranger.user_id}/status", json={"presence": "online"})
    await bob.call("PUT", f"/presence/{bob.user_id}/status", json={"presence": "unavailable"})
    first = await seed_sync(alice)
    assert presence_of(first) == {alice.user_id: "online", bob.user_id: "unavailable"}

    await stranger.call(
        "PUT", f"/presence/{stranger.user_id}/status", json={"presence": "unavailable"}
    )
    await seed_sync(stranger)
    await bob.call(
        "PUT", f"/presence/{bob.user_id}/status", json={"presence": "online", "status_msg": "hi"}
    )
    body = await seed_sync(alice, since=first["next_batch"])
    assert presence_of(body) == {bob.user_id: "online"}
    (bobs,) = body["presence"]["events"]
    assert bobs["content"]["status_msg"] == "hi"
    assert isinstance(bobs["content"]["last_active_ago"], int)
    # Only the latest state per user, and nothing for the stranger even later on.
    await stranger.call("PUT", f"/presence/{stranger.user_id}/status", json={"presence": "online"})
    assert presence_of(await seed_sync(alice, since=first["next_batch"])) == {
        bob.user_id: "online"
    }
    assert stranger.user_id not in presence_of(await seed_sync(alice))



async def test_presence_of_users_who_newly_share_a_room(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    carol = await register(client, "carol")
    for account, state in ((bob, "unavailable"), (carol, "online")):
        path = f"/presence/{account.user_id}/status"
        await account.call("PUT", path, json={"presence": state})
    room = await bob.create_room(preset="public_chat")
    first = await seed_sync(alice)
    assert presence_of(first) == {alice.user_id: "online"}
    # Alice joins bob's room: bob's (unchanged) presence comes with it.
    await alice.join(room)
    joined = await seed_sync(alice, since=first["next_batch"])
    assert presence_of(joined) == {bob.user_id: "unavailable"}
    # Carol joins the room alice is in: carol's presence comes too, and only once.
    await carol.join(room)
    second = await seed_sync(alice, since=joined["next_batch"])
    assert presence_of(second) == {carol.user_id: "online"}
    assert presence_of(await seed_sync(alice, since=second["next_batch"])) == {}
