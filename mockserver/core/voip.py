"""TURN server settings and the credentials ``GET /voip/turnServer`` hands out.

A server with no TURN configured answers ``{}``, as Synapse does. Settings
come from a scenario's ``turn_server`` or the control API's
``PUT /_mock/turn_server``: either a fixed ``username``/``password`` or a
``shared_secret``, from which time-limited credentials are derived the way
TURN servers (coturn's ``use-auth-secret``) and Synapse derive them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from mockserver.core.errors import bad_json

DEFAULT_TTL_SECONDS = 86400


@dataclass(frozen=True, slots=True)
class TurnServer:
    uris: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    shared_secret: str | None = None
    ttl_seconds: int = DEFAULT_TTL_SECONDS

    def as_json(self) -> dict[str, Any]:
        """The settings as a scenario or the control API writes them."""
        body: dict[str, Any] = {"uris": list(self.uris), "ttl": self.ttl_seconds}
        for key in ("username", "password", "shared_secret"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


def parse_turn_server(body: Any) -> TurnServer:
    """Check settings as JSON (``uris``, ``ttl``, and credentials or a shared secret)."""
    if not isinstance(body, dict):
        raise bad_json("turn_server must be an object")
    unknown = set(body) - {"uris", "username", "password", "shared_secret", "ttl"}
    if unknown:
        raise bad_json(f"Unknown turn_server keys: {', '.join(sorted(unknown))}")
    uris = body.get("uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) and u for u in uris):
        raise bad_json("turn_server.uris must be a non-empty list of strings")
    texts = {}
    for key in ("username", "password", "shared_secret"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise bad_json(f"turn_server.{key} must be a string")
        texts[key] = value
    ttl = body.get("ttl", DEFAULT_TTL_SECONDS)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise bad_json("turn_server.ttl must be a positive number of seconds")
    has_fixed = texts["username"] is not None and texts["password"] is not None
    if has_fixed == (texts["shared_secret"] is not None):
        raise bad_json("turn_server needs either username and password, or shared_secret")
    if (texts["username"] is None) != (texts["password"] is None):
        raise bad_json("turn_server.username and turn_server.password go together")
    return TurnServer(tuple(uris), texts["username"], texts["password"], texts["shared_secret"], ttl)


def turn_credentials(server: TurnServer | None, user_id: str, now_ms: int) -> dict[str, Any]:
    """The body of ``GET /voip/turnServer`` for ``user_id`` at ``now_ms``."""
    if server is None:
        return {}
    if server.shared_secret is not None:
        expiry = (now_ms + server.ttl_seconds * 1000) // 1000
        username = f"{expiry}:{user_id}"
        mac = hmac.new(server.shared_secret.encode(), username.encode(), hashlib.sha1)
        password = base64.b64encode(mac.digest()).decode("ascii")
    else:
        assert server.username is not None and server.password is not None
        username, password = server.username, server.password
    return {"username": username, "password": password, "ttl": server.ttl_seconds, "uris": list(server.uris)}
