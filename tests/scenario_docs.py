"""Scenario documents shared by the scenario tests: a small valid world and ways to break it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCHEMA = FIXTURES / "scenario.schema.json"
SHIPPED = sorted(p for p in FIXTURES.glob("*.json") if p != SCHEMA)
FROZEN_AT = 1_700_000_500_000


def small_world() -> dict[str, Any]:
    """Two users, a created room with history and a bare room: valid as it stands."""
    return copy.deepcopy(
        {
            "server_name": "localhost",
            "users": [
                {"user_id": "@alice:localhost", "password": "pw", "access_token": "alice_token"},
                {"user_id": "@bob:localhost", "access_token": "bob_token", "device_id": "BOB"},
            ],
            "rooms": [
                {
                    "room_id": "!created:localhost",
                    "creator": "@alice:localhost",
                    "preset": "public_chat",
                    "members": [{"user_id": "@bob:localhost", "membership": "join"}],
                    "timeline": [
                        {
                            "type": "m.room.message",
                            "sender": "@bob:localhost",
                            "content": {"msgtype": "m.text", "body": "one"},
                        },
                        {
                            "type": "m.room.message",
                            "sender": "@alice:localhost",
                            "content": {"msgtype": "m.text", "body": "two"},
                        },
                        {
                            "type": "m.room.message",
                            "sender": "@bob:localhost",
                            "content": {"msgtype": "m.text", "body": "three"},
                        },
                        {
                            "type": "m.room.message",
                            "sender": "@bob:localhost",
                            "content": {"msgtype": "m.text", "body": "four"},
                        },
                    ],
                },
                {
                    "room_id": "!bare:localhost",
                    "timeline": [
                        {
                            "type": "m.room.member",
                            "state_key": "@alice:localhost",
                            "sender": "@alice:localhost",
                            "content": {"membership": "join"},
                        },
                    ],
                },
            ],
        }
    )


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def frozen_homeserver(at: int = FROZEN_AT, **config: Any) -> Homeserver:
    hs = Homeserver.create(ServerConfig(**config))
    hs.clock.freeze(at)
    return hs


def client_for(hs: Homeserver) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(homeserver=hs))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost:8008")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
