"""Random request sequences played in process, every answer written to one file.

    python bench/replay.py FIRST_SEED COUNT OUT.json

Run in two checkouts (from each checkout's root, so each imports its own
mockserver) and compare the files byte for byte: an optimisation that
changes no behaviour leaves them identical. Each seed registers four users
and three rooms, then makes 160 random requests: sends (some mentioning
users), topics, joins, leaves, invites, kicks, bans, redactions, typing,
receipts, presence, account data, display names, to-device, /messages, and
/sync in both dialects with eight filters, full_state, use_state_after and
set_presence, from earlier since tokens. The server clock is frozen (and
advanced by the sequence), so ages repeat; access tokens are left out.
"""
from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import Any

sys.path.insert(0, ".")
sys.path.insert(0, "bench")
# The checkout's own mockserver, whatever is installed.

import orjson  # noqa: E402

from inprocess import Asgi  # noqa: E402
from mockserver.app import create_app  # noqa: E402
from mockserver.config import ServerConfig  # noqa: E402
from mockserver.homeserver import Homeserver  # noqa: E402

V3 = "/_matrix/client/v3"
SEED = "/_matrix/client/v2_alpha"
USERS = ["alice", "bob", "carol", "dan"]
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"room": {"timeline": {"limit": 2}}},
    {"room": {"timeline": {"limit": 1}, "state": {"lazy_load_members": True}}},
    {"room": {"timeline": {"types": ["m.room.message"], "limit": 3}}},
    {"room": {"ephemeral": {"not_types": ["m.receipt"]}, "include_leave": True}},
    {"presence": {"not_types": ["m.presence"]}, "room": {"timeline": {"not_senders": ["@bob:localhost"]}}},
    {"event_fields": ["type", "content.body", "sender"]},
    {"room": {"rooms": []}},
]


async def run(seed: int, steps: int) -> list[Any]:
    rnd = random.Random(seed)
    hs = Homeserver.create(ServerConfig(port=0))
    hs.store.clock.freeze(1_700_000_000_000)
    app = Asgi(create_app(homeserver=hs))
    out: list[Any] = []
    tokens: dict[str, str] = {}
    since: dict[str, list[str]] = {u: [] for u in USERS}
    seed_since: dict[str, list[str]] = {u: [] for u in USERS}
    rooms: list[str] = []
    events: list[str] = []
    txn = 0

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in ("access_token",)}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    async def call(
        method: str,
        path: str,
        user: str | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        status, raw = await app(method, path, token=tokens.get(user) if user else None, body=body, query=query)
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            data = raw.decode("latin-1")
        out.append([method, path, user, query, status, scrub(data)])
        return status, data

    for user in USERS:
        status, data = await call("POST", f"{V3}/register", body={"username": user, "password": "p", "auth": {"type": "m.login.dummy"}})
        tokens[user] = data["access_token"]
    for i in range(3):
        creator = USERS[i]
        status, data = await call("POST", f"{V3}/createRoom", creator, {"preset": "public_chat" if i != 1 else "private_chat", "name": f"room {i}"})
        rooms.append(data["room_id"])

    for _ in range(steps):
        user = rnd.choice(USERS)
        room = rnd.choice(rooms)
        op = rnd.random()
        txn += 1
        if op < 0.22:
            body = rnd.choice(["hello", "hi bob", "@carol:localhost look", "dan!", "plain"])
            content: dict[str, Any] = {"msgtype": "m.text", "body": body}
            if rnd.random() < 0.2:
                content["m.mentions"] = {"user_ids": [f"@{rnd.choice(USERS)}:localhost"]}
            status, data = await call("PUT", f"{V3}/rooms/{room}/send/m.room.message/t{txn}", user, content)
            if status == 200:
                events.append(data["event_id"])
        elif op < 0.27:
            await call("PUT", f"{V3}/rooms/{room}/state/m.room.topic", user, {"topic": f"t{txn}"})
        elif op < 0.34:
            await call("POST", f"{V3}/join/{room}", user, {})
        elif op < 0.38:
            await call("POST", f"{V3}/rooms/{room}/leave", user, {})
        elif op < 0.41:
            await call("POST", f"{V3}/rooms/{room}/invite", user, {"user_id": f"@{rnd.choice(USERS)}:localhost"})
        elif op < 0.43:
            await call("POST", f"{V3}/rooms/{room}/kick", user, {"user_id": f"@{rnd.choice(USERS)}:localhost"})
        elif op < 0.44:
            await call("POST", f"{V3}/rooms/{room}/ban", user, {"user_id": f"@{rnd.choice(USERS)}:localhost"})
        elif op < 0.45:
            await call("POST", f"{V3}/rooms/{room}/unban", user, {"user_id": f"@{rnd.choice(USERS)}:localhost"})
        elif op < 0.48 and events:
            await call("PUT", f"{V3}/rooms/{room}/redact/{rnd.choice(events)}/r{txn}", user, {"reason": "x"})
        elif op < 0.51:
            await call("PUT", f"{V3}/rooms/{room}/typing/@{user}:localhost", user, {"typing": rnd.random() < 0.7, "timeout": 5000})
        elif op < 0.55 and events:
            await call("POST", f"{V3}/rooms/{room}/receipt/{rnd.choice(['m.read', 'm.read.private'])}/{rnd.choice(events)}", user, {})
        elif op < 0.57:
            await call("PUT", f"{V3}/presence/@{user}:localhost/status", user, {"presence": rnd.choice(["online", "unavailable", "offline"]), "status_msg": f"s{txn}"})
        elif op < 0.60:
            if rnd.random() < 0.5:
                await call("PUT", f"{V3}/user/@{user}:localhost/account_data/org.x.{txn % 3}", user, {"v": txn})
            else:
                await call("PUT", f"{V3}/user/@{user}:localhost/rooms/{room}/account_data/org.y", user, {"v": txn})
        elif op < 0.62:
            await call("PUT", f"{V3}/profile/@{user}:localhost/displayname", user, {"displayname": rnd.choice(["Bob", "carol", "Zed", f"n{txn}"])})
        elif op < 0.63:
            target = rnd.choice(USERS)
            await call("PUT", f"{V3}/sendToDevice/m.test/d{txn}", user, {"messages": {f"@{target}:localhost": {"*": {"n": txn}}}})
        elif op < 0.65:
            hs.store.clock.advance(rnd.choice([1, 700, 6000]))
        elif op < 0.67:
            await call("GET", f"{V3}/rooms/{room}/messages", user, query={"dir": "b", "limit": "3"})
        elif op < 0.85:
            filt = rnd.choice(FILTERS)
            query = {"timeout": "0"}
            if filt is not None:
                query["filter"] = json.dumps(filt)
            if since[user] and rnd.random() < 0.85:
                query["since"] = rnd.choice(since[user][-3:])
            if rnd.random() < 0.1:
                query["full_state"] = "true"
            if rnd.random() < 0.2:
                query["use_state_after"] = "true"
            if rnd.random() < 0.1:
                query["set_presence"] = rnd.choice(["offline", "unavailable"])
            status, data = await call("GET", f"{V3}/sync", user, query=query)
            if status == 200:
                since[user].append(data["next_batch"])
        else:
            filt = rnd.choice(FILTERS[:4])
            query = {"timeout": "0"}
            if filt is not None:
                query["filter"] = json.dumps(filt)
            if seed_since[user] and rnd.random() < 0.85:
                query["since"] = rnd.choice(seed_since[user][-3:])
            status, data = await call("GET", f"{SEED}/sync", user, query=query)
            if status == 200:
                seed_since[user].append(data["next_batch"])
    return out


def main() -> None:
    first, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    results: dict[int, list[Any]] = {}
    for seed in range(first, first + count):
        results[seed] = asyncio.run(run(seed, 160))
    with open(path, "wb") as f:
        f.write(orjson.dumps(results, option=orjson.OPT_NON_STR_KEYS))


main()
