"""Pushers: where a user asked for push notifications to be sent (``/pushers``).

mockserver keeps them and lists them as Synapse does, but sends nothing to
a push gateway. A pusher is identified by (app_id, pushkey) for its user;
setting one again replaces it, and unless ``append`` is true it also
removes the same (app_id, pushkey) from every other user, as Synapse does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from mockserver.core.errors import M_THREEPID_NOT_FOUND, MatrixError, bad_json, missing_param

JsonDict = dict[str, Any]
REQUIRED = ("kind", "app_id", "app_display_name", "device_display_name", "pushkey", "lang", "data")
KINDS = ("http", "email")
PUSH_GATEWAY_PATH = "/_matrix/push/v1/notify"


@dataclass(frozen=True, slots=True)
class Pusher:
    kind: str
    app_id: str
    app_display_name: str
    device_display_name: str
    pushkey: str
    lang: str
    data: JsonDict
    profile_tag: str = ""

    def as_json(self) -> JsonDict:
        """The pusher as ``GET /pushers`` lists it."""
        return {
            "app_display_name": self.app_display_name,
            "app_id": self.app_id,
            "data": copy.deepcopy(self.data),
            "device_display_name": self.device_display_name,
            "kind": self.kind,
            "lang": self.lang,
            "profile_tag": self.profile_tag,
            "pushkey": self.pushkey,
        }


def parse_pusher(body: JsonDict) -> Pusher:
    """A ``POST /pushers/set`` body that sets a pusher, checked as Synapse checks it."""
    missing = [key for key in REQUIRED if key not in body]
    if missing:
        raise missing_param(f"Missing params: {missing}")
    for key in REQUIRED[:-1]:
        if not isinstance(body[key], str):
            raise bad_json(f"'{key}' must be a string")
    data = body["data"]
    if not isinstance(data, dict):
        raise bad_json("'data' must be an object")
    profile_tag = body.get("profile_tag", "")
    if not isinstance(profile_tag, str):
        raise bad_json("'profile_tag' must be a string")
    kind = body["kind"]
    if kind not in KINDS:
        raise missing_param(f"Config Error: Unknown pusher kind {kind!r}")
    if kind == "http":
        url = data.get("url")
        if not isinstance(url, str):
            raise missing_param("Config Error: 'url' required in data for HTTP pusher")
        if not url.split("?", 1)[0].endswith(PUSH_GATEWAY_PATH):
            raise missing_param(f"Config Error: 'url' must have a path of '{PUSH_GATEWAY_PATH}'")
    else:
        # Email pushers need the address bound to the account; no account has 3pids here.
        raise MatrixError(M_THREEPID_NOT_FOUND, "Delegation of email pushers is not supported")
    return Pusher(
        kind=kind,
        app_id=body["app_id"],
        app_display_name=body["app_display_name"],
        device_display_name=body["device_display_name"],
        pushkey=body["pushkey"],
        lang=body["lang"],
        data=copy.deepcopy(data),
        profile_tag=profile_tag,
    )


class Pushers:
    """Every user's pushers, in the order they were first set."""

    def __init__(self) -> None:
        self.by_user: dict[str, dict[tuple[str, str], Pusher]] = {}

    def of(self, user_id: str) -> list[Pusher]:
        return list(self.by_user.get(user_id, {}).values())

    def set(self, user_id: str, pusher: Pusher, *, append: bool = False) -> None:
        key = (pusher.app_id, pusher.pushkey)
        if not append:
            for other, pushers in self.by_user.items():
                if other != user_id:
                    pushers.pop(key, None)
        self.by_user.setdefault(user_id, {})[key] = pusher

    def remove(self, user_id: str, app_id: str, pushkey: str) -> None:
        self.by_user.get(user_id, {}).pop((app_id, pushkey), None)

    def remove_all(self, user_id: str) -> None:
        self.by_user.pop(user_id, None)
