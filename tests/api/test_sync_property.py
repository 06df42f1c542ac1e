"""Property: chained seed syncs, plus backfill wherever a timeline was limited, deliver every
event the observer may see, exactly once and in stream order.

Hypothesis drives random sequences of sends, state changes, profile changes and
membership changes (join, leave, invite, reject, kick, ban, unban, rejoin) by
four users in a public and an invite-only room, interleaved with syncs by one
observer using timeline limits of 1, 2, 3 or 5. Each step picks one of the
moves the room's rules allow at that point, so none is wasted on a refusal.
After each sync the observer backfills every limited room with
``/messages?dir=b&from=<prev_batch>&to=<since>`` (to the room's start on the
initial sync), paging by ``end``. Its filter has ``include_leave`` so that an
initial sync also reports rooms it left.

Terms. The room's history H is its events in stream order (read by the room's
admin, who never leaves). The *interval* of sync k is the part of H after
sync k-1 and up to sync k (all history before the first sync for the initial
sync; a last sync closes the run). The observer O's *membership after* an
event is that of O's latest member event up to it. A *departure* is an O
leave or ban whose previous O membership was ``join``.

What O may see at sync k (``allowed``), with H cut at sync k: everything if O
is joined then (shared history visibility: a member reads the whole room);
otherwise everything up to and including O's last departure, plus O's own
member events. Nothing from the time away is ever shown to someone who has not
rejoined, not even after a re-invite that O rejects or a ban after a kick
(reference §2 rules 2, 12, 13).

What O must be given (``required``), for each interval, unless O's membership
at its end is ``invite`` (then the room is reported in ``invited`` with only
its ``invite_state``; a room is in one group per sync, §1.2, so a visit that
both starts or ends and is followed by a new invite within one interval is
not replayed into the timeline):
- every event after which O is joined (O's joins and all that happens while
  O is in the room),
- every departure,
- O's last member event of the interval when it is a leave or ban (a
  rejected invite, a ban after a kick, an unban: only the latest of several in
  one interval, as that is the membership the sync reports).

Exactly once, in order: within one sync, the delivered events (backfill, then
the window) are strictly increasing in stream order. A sync whose interval
holds an O join in the room (a new join or rejoin, rule 10), and the initial
sync, treat the room as new: the window is the last ``limit`` events of the
whole visible history, so it may repeat events the client already has from
before an earlier leave; the client dedupes there. Every other sync delivers
only events the client has not had, all after everything it had.

State (joined rooms): folding every ``state`` list received gives the room's
state at the sync (state at the end of the timeline, §2 rule 5), and an
incremental sync without a new join lists only entries that changed. In an
archived room, listed state is that at O's last departure, except O's own
member entry, which is O's latest membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.seed_sync import Follower, groups
from tests.support import SEED, Account, register

OBSERVER, ADMIN = "obs", "adm"
OTHERS = ["bob", "cat"]
ROOMS = ["public", "private"]
LIMITS = [1, 2, 3, 5]

#: What a user's membership may become next, and who makes the change.
MOVES: dict[str | None, list[str]] = {
    None: ["join", "invite", "ban"],
    "leave": ["join", "invite", "ban"],
    "invite": ["join", "reject", "kick", "ban"],
    "join": ["leave", "kick", "ban"],
    "ban": ["unban"],
}
RESULT = {
    "join": "join",
    "invite": "invite",
    "ban": "ban",
    "reject": "leave",
    "leave": "leave",
    "kick": "leave",
    "unban": "leave",
}

#: Step kinds; repeats weight the draw towards the observer's membership changes.
KINDS = ["obs"] * 5 + ["send"] * 4 + ["other"] * 2 + ["topic", "profile"] + ["sync"] * 3
Step = tuple[str, str, "int | str"]
#: A step is (kind, room, choice): the choice picks among the moves valid at that point,
#: so every step does something; examples may name the move instead.
steps = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(ROOMS), st.integers(0, 11)),
    min_size=8,
    max_size=50,
)


@dataclass
class SyncRecord:
    initial: bool
    groups: dict[str, list[str]]
    delivered: dict[str, list[str]]
    state: dict[str, list[str]]
    #: Per room, the id of the room's newest event when the sync was answered.
    heads: dict[str, str]


@dataclass
class World:
    hs: Homeserver
    users: dict[str, Account]
    rooms: dict[str, str]
    filters: dict[str, str]
    follower: Follower
    #: (user, room key) -> membership, kept by the driver from the moves it made.
    members: dict[tuple[str, str], str | None] = field(default_factory=dict)
    records: list[SyncRecord] = field(default_factory=list)
    counter: int = 0

    def valid_moves(self, user: str, room_key: str) -> list[str]:
        current = self.members.get((user, room_key))
        moves = MOVES[current]
        if room_key == "private" and current != "invite":
            moves = [m for m in moves if m != "join"]
        return moves

    async def act(self, step: Step) -> None:
        kind, room_key, choice = step
        room_id = self.rooms[room_key]
        admin = self.users[ADMIN]
        number = choice if isinstance(choice, int) else 0
        self.counter += 1
        if kind == "sync":
            limit = int(choice) if isinstance(choice, str) else LIMITS[number % len(LIMITS)]
            await self.sync(limit)
        elif kind == "send":
            joined = [u for u in (OBSERVER, *OTHERS) if self.members.get((u, room_key)) == "join"]
            senders = [ADMIN, *joined]
            sender = self.users[senders[number % len(senders)]]
            path = f"/rooms/{room_id}/send/m.room.message/p{self.counter}"
            await sender.call("PUT", path, json={"msgtype": "m.text", "body": f"m{self.counter}"})
        elif kind == "topic":
            await admin.call(
                "PUT", f"/rooms/{room_id}/state/m.room.topic/", json={"topic": f"t{self.counter}"}
            )
        elif kind == "profile":
            account = self.users[[OBSERVER, *OTHERS][number % 3]]
            await account.call(
                "PUT",
                f"/profile/{account.user_id}/displayname",
                json={"displayname": f"name {self.counter}"},
            )
        else:
            user = OBSERVER if kind == "obs" else OTHERS[number % len(OTHERS)]
            moves = self.valid_moves(user, room_key)
            move = choice if isinstance(choice, str) else moves[number // 2 % len(moves)]
            assert move in moves, (user, room_key, move, moves)
            await self.move(user, room_key, move)

    async def move(self, user: str, room_key: str, move: str) -> None:
        room_id = self.rooms[room_key]
        account = self.users[user]
        if move == "join":
            await account.call("POST", f"/join/{room_id}", json={})
        elif move in ("leave", "reject"):
            await account.call("POST", f"/rooms/{room_id}/leave", json={})
        else:
            await self.users[ADMIN].call(
                "POST", f"/rooms/{room_id}/{move}", json={"user_id": account.user_id}
            )
        self.members[(user, room_key)] = RESULT[move]

    async def sync(self, limit: int) -> None:
        initial = self.follower.since is None
        self.follower.filter_id = self.filters[str(limit)]
        body, delivered = await self.follower.sync()
        state = {
            room_id: body["room_map"][room_id]["state"]["events"]
            for room_id in [*groups(body)["joined"], *groups(body)["archived"]]
        }
        heads = {}
        for room_id in self.rooms.values():
            newest = await self.users[ADMIN].messages(room_id, dir="b", limit=1)
            heads[room_id] = newest["chunk"][0]["event_id"]
        self.records.append(SyncRecord(initial, groups(body), delivered, state, heads))


async def build_world(client: httpx.AsyncClient, hs: Homeserver) -> World:
    users = {name: await register(client, name) for name in (OBSERVER, ADMIN, *OTHERS)}
    admin = users[ADMIN]
    rooms = {
        "public": await admin.create_room(preset="public_chat"),
        "private": await admin.create_room(preset="private_chat"),
    }
    observer = users[OBSERVER]
    filters = {
        str(limit): await observer.upload_filter(
            {"room": {"include_leave": True, "timeline": {"limit": limit}}}, prefix=SEED
        )
        for limit in LIMITS
    }
    return World(hs, users, rooms, filters, Follower(observer))


# -- the model ---------------------------------------------------------------------------------


class RoomModel:
    """The observer's view of one room's history H, by position in H."""

    def __init__(self, history: list[dict[str, Any]], observer: str) -> None:
        self.history = history
        self.position = {event["event_id"]: index for index, event in enumerate(history)}
        self.own: list[bool] = []
        self.after: list[str | None] = []  # O's membership after each event
        membership: str | None = None
        for event in history:
            mine = event["type"] == "m.room.member" and event.get("state_key") == observer
            self.own.append(mine)
            if mine:
                membership = event["content"]["membership"]
            self.after.append(membership)

    def before(self, index: int) -> str | None:
        return self.after[index - 1] if index else None

    def membership_at(self, cut: int) -> str | None:
        return self.after[cut - 1] if cut else None

    def is_departure(self, index: int) -> bool:
        return (
            self.own[index]
            and self.after[index] in ("leave", "ban")
            and self.before(index) == "join"
        )

    def is_join(self, index: int) -> bool:
        return self.own[index] and self.after[index] == "join" and self.before(index) != "join"

    def last_departure(self, cut: int) -> int | None:
        return next((i for i in range(cut - 1, -1, -1) if self.is_departure(i)), None)

    def allowed(self, cut: int) -> set[int]:
        if self.membership_at(cut) == "join":
            return set(range(cut))
        departure = self.last_departure(cut)
        seen = set(range(departure + 1)) if departure is not None else set()
        return seen | {i for i in range(cut) if self.own[i]}

    def required(self, start: int, end: int) -> set[int]:
        if self.membership_at(end) == "invite":
            return set()
        own = [i for i in range(start, end) if self.own[i]]
        found = {i for i in range(start, end) if self.after[i] == "join" or self.is_departure(i)}
        if own and self.after[own[-1]] in ("leave", "ban"):
            found.add(own[-1])
        return found

    def state_at(self, cut: int) -> dict[tuple[str, str], str]:
        state: dict[tuple[str, str], str] = {}
        for event in self.history[:cut]:
            if "state_key" in event:
                state[(event["type"], event["state_key"])] = event["event_id"]
        return state


def key_of(event: dict[str, Any]) -> tuple[str, str]:
    return (event["type"], event["state_key"])


async def check(world: World) -> None:
    observer = world.users[OBSERVER].user_id
    admin = world.users[ADMIN]
    for room_id in world.rooms.values():
        chunk = (await admin.messages(room_id, dir="f", limit=1000))["chunk"]
        model = RoomModel(chunk, observer)
        events = {event["event_id"]: event for event in chunk}
        delivered_so_far: list[int] = []
        client_state: dict[tuple[str, str], str] = {}
        required: set[int] = set()
        start = 0
        for number, record in enumerate(world.records):
            cut = model.position[record.heads[room_id]] + 1
            where = f"sync {number} of room {room_id}"
            membership = model.membership_at(cut)
            joined_in_interval = record.initial or any(
                model.is_join(i) for i in range(start, cut)
            )
            required |= model.required(start, cut)
            # The room is in the group its current membership says, and whenever it must be.
            listed = {name for name, ids in record.groups.items() if room_id in ids}
            expected_group = {
                "join": "joined", "invite": "invited", "leave": "archived", "ban": "archived"
            }.get(membership or "")
            assert listed <= {expected_group}, (where, listed, membership)
            own_changes = [i for i in range(start, cut) if model.own[i]]
            if own_changes and membership != "join" or (membership == "join" and cut > start):
                assert listed == {expected_group}, (where, membership)
            if record.initial and membership in ("join", "invite", "leave", "ban"):
                assert listed == {expected_group}, (where, membership)

            delivered = [model.position[e] for e in record.delivered.get(room_id, [])]
            assert delivered == sorted(set(delivered)), f"{where}: out of order or repeated"
            assert set(delivered) <= model.allowed(cut), (
                f"{where}: shown {set(delivered) - model.allowed(cut)} it may not see"
            )
            if not joined_in_interval and delivered_so_far:
                assert not set(delivered) & set(delivered_so_far), f"{where}: repeated events"
                assert not delivered or min(delivered) > max(delivered_so_far), (
                    f"{where}: an old event delivered late"
                )
            delivered_so_far.extend(delivered)

            if room_id in record.state:
                listed_state = [events[e] for e in record.state[room_id]]
                if membership == "join":
                    if not joined_in_interval:
                        for event in listed_state:
                            assert client_state.get(key_of(event)) != event["event_id"], (
                                f"{where}: unchanged state {key_of(event)} listed"
                            )
                    for event in listed_state:
                        client_state[key_of(event)] = event["event_id"]
                    assert client_state == model.state_at(cut), f"{where}: state differs"
                else:
                    departure = model.last_departure(cut)
                    at_departure = model.state_at(departure + 1 if departure is not None else 0)
                    latest = max(i for i in range(cut) if model.own[i])
                    for event in listed_state:
                        if key_of(event) == ("m.room.member", observer):
                            assert model.position[event["event_id"]] == latest, where
                        else:
                            assert at_departure.get(key_of(event)) == event["event_id"], where
                    for event in listed_state:
                        client_state[key_of(event)] = event["event_id"]
            start = cut
        missing = required - set(delivered_so_far)
        assert not missing, f"room {room_id}: never delivered {[chunk[i] for i in sorted(missing)]}"


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=steps)
@example(  # a re-invite after a leave, rejected: the time away stays hidden
    steps=[("obs", "public", "join"), ("obs", "public", "leave"), ("sync", "public", "5"),
           ("send", "public", 0), ("obs", "public", "invite"), ("sync", "public", "5"),
           ("obs", "public", "reject"), ("sync", "public", "5")]
)
@example(  # a ban after a kick, then an unban: each shown alone
    steps=[("obs", "public", "join"), ("sync", "public", "2"), ("send", "public", 0),
           ("obs", "public", "kick"), ("sync", "public", "1"), ("topic", "public", 0),
           ("obs", "public", "ban"), ("sync", "public", "5"), ("obs", "public", "unban"),
           ("sync", "public", "5")]
)
@example(  # join and leave between two syncs; leave and rejoin between two syncs
    steps=[("sync", "public", "1"), ("send", "public", 0), ("obs", "public", "join"),
           ("send", "public", 0), ("obs", "public", "leave"), ("send", "public", 0),
           ("sync", "public", "1"), ("obs", "public", "join"), ("sync", "public", "3"),
           ("send", "public", 1), ("obs", "public", "leave"), ("topic", "public", 0),
           ("obs", "public", "join"), ("send", "public", 1), ("sync", "public", "5")]
)
@example(  # joined, left and invited again between two syncs: the invite wins
    steps=[("obs", "private", "invite"), ("obs", "private", "join"), ("sync", "private", "2"),
           ("send", "private", 1), ("obs", "private", "leave"), ("obs", "private", "invite"),
           ("sync", "private", "2"), ("obs", "private", "join"), ("sync", "private", "1")]
)
async def test_chained_syncs_deliver_what_the_observer_may_see_once_in_order(
    steps: list[Step],
) -> None:
    hs = Homeserver.create(ServerConfig())
    transport = httpx.ASGITransport(app=create_app(homeserver=hs))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8008") as client:
        world = await build_world(client, hs)
        for step in steps:
            await world.act(step)
        await world.sync(LIMITS[0])
        await world.sync(LIMITS[-1])
        await check(world)
