"""Every answer the OpenAPI document gives a shape is checked against it on a real 2xx.

The fuzz test (``test_client_api.py``) checks each 2xx it happens to get,
but random requests seldom reach one. Here each shaped operation of
:data:`mockserver.api.shapes.SHAPES` gets one well-formed request in a
world of its own (after the steps that make it possible), which must
succeed, and its answer must match the document's schema for it. A shaped
operation without an example here fails the test that lists them.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator

from mockserver.api.openapi import openapi_document
from mockserver.api.shapes import SHAPES
from mockserver.app import client_routes
from mockserver.server import ThreadedServer
from tests.fuzz.world import own_world

DOCUMENT = openapi_document(client_routes())
V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"
MEDIA = "/_matrix/media/v3"
PASSWORD_AUTH = {
    "type": "m.login.password",
    "identifier": {"type": "m.id.user", "user": "<user>"},
    "password": "pw",
}
BACKUP = {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "k"}}
SESSION = {"first_message_index": 0, "forwarded_count": 0, "is_verified": False,
           "session_data": {"ciphertext": "c"}}
ROOM_KEYS = {"rooms": {"<room>": {"sessions": {"s1": SESSION}}}}
#: An ed25519 public key: 32 bytes, unpadded base64.
KEY = "A" * 43
KNOCK_ROOM = {"initial_state": [{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}]}


class Step:
    """One request: ``params`` fill the path's ``{names}``; ``as_friend`` sends the friend's token.

    A value ``"=key"`` is ``key`` of an earlier step's answer; ``"<name>"``
    is a live value of the world (:mod:`tests.fuzz.world`).
    """

    def __init__(self, key: str, *, params: dict[str, str] | None = None,
                 query: dict[str, Any] | None = None, body: Any = None,
                 as_friend: bool = False) -> None:
        self.method, self.path = key.split(" ", 1)
        self.params, self.query, self.body = params or {}, query or {}, body
        self.as_friend = as_friend


ROOM = {"room_id": "<room>"}
ROOM_EVENT = {"room_id": "<room>", "event_id": "<event>"}
ME = {"user_id": "<user>"}
MY_ROOM = {"user_id": "<user>", "room_id": "<room>"}

#: Shaped operation -> the steps before it, then its own request's parameters.
EXAMPLES: dict[str, tuple[list[Step], dict[str, Any]]] = {
    "GET /_matrix/client/versions": ([], {}),
    "GET /.well-known/matrix/client": ([], {}),
    f"GET {V3}/sync": ([], {"query": {"timeout": 0}}),
    f"POST {V3}/register": ([], {"body": {"username": "shaped", "password": "pw",
                                          "auth": {"type": "m.login.dummy"}}}),
    f"GET {V3}/register/available": ([], {"query": {"username": "nobody_yet"}}),
    f"GET {V3}/login": ([], {}),
    f"POST {V3}/login": ([], {"body": {**PASSWORD_AUTH}}),
    f"POST {V3}/logout": ([], {}),
    f"POST {V3}/logout/all": ([], {}),
    f"GET {V3}/account/whoami": ([], {}),
    f"GET {V3}/account/3pid": ([], {}),
    f"POST {V3}/account/password": ([], {"body": {"new_password": "pw2",
                                                  "auth": PASSWORD_AUTH}}),
    f"POST {V3}/account/deactivate": ([], {"body": {"auth": PASSWORD_AUTH}}),
    f"GET {V3}/capabilities": ([], {}),
    f"GET {V3}/pushrules/": ([], {}),
    f"POST {V3}/user/{{user_id}}/filter": ([], {"params": ME,
                                               "body": {"room": {"timeline": {"limit": 5}}}}),
    f"GET {V3}/user/{{user_id}}/filter/{{filter_id}}": (
        [Step(f"POST {V3}/user/{{user_id}}/filter", params=ME, body={"event_fields": ["type"]})],
        {"params": {**ME, "filter_id": "=filter_id"}},
    ),
    f"POST {V3}/createRoom": ([], {"body": {"name": "shaped", "preset": "public_chat"}}),
    f"POST {V3}/rooms/{{room_id}}/join": ([], {"params": ROOM}),
    f"POST {V3}/join/{{room_id_or_alias}}": ([], {"params": {"room_id_or_alias": "<room>"}}),
    f"POST {V3}/knock/{{room_id_or_alias}}": (
        [Step(f"POST {V3}/createRoom", body=KNOCK_ROOM, as_friend=True)],
        {"params": {"room_id_or_alias": "=room_id"}, "body": {"reason": "let me in"}},
    ),
    f"POST {V3}/rooms/{{room_id}}/invite": ([], {"params": ROOM,
                                                 "body": {"user_id": "<stranger>"}}),
    f"POST {V3}/rooms/{{room_id}}/leave": ([], {"params": ROOM}),
    f"POST {V3}/rooms/{{room_id}}/kick": ([], {"params": ROOM, "body": {"user_id": "<friend>"}}),
    f"POST {V3}/rooms/{{room_id}}/ban": ([], {"params": ROOM, "body": {"user_id": "<stranger>"}}),
    f"POST {V3}/rooms/{{room_id}}/unban": (
        [Step(f"POST {V3}/rooms/{{room_id}}/ban", params=ROOM, body={"user_id": "<stranger>"})],
        {"params": ROOM, "body": {"user_id": "<stranger>"}},
    ),
    f"POST {V3}/rooms/{{room_id}}/forget": (
        [Step(f"POST {V3}/rooms/{{room_id}}/leave", params=ROOM)], {"params": ROOM},
    ),
    f"GET {V3}/joined_rooms": ([], {}),
    f"GET {V3}/rooms/{{room_id}}/members": ([], {"params": ROOM}),
    f"GET {V3}/rooms/{{room_id}}/joined_members": ([], {"params": ROOM}),
    f"PUT {V3}/rooms/{{room_id}}/send/{{event_type}}/{{txn_id}}": (
        [], {"params": {**ROOM, "event_type": "m.room.message", "txn_id": "t2"},
             "body": {"msgtype": "m.text", "body": "shaped"}},
    ),
    f"POST {V3}/rooms/{{room_id}}/send/{{event_type}}": (
        [], {"params": {**ROOM, "event_type": "m.room.message"}, "body": {"body": "shaped"}},
    ),
    f"PUT {V3}/rooms/{{room_id}}/state/{{event_type}}/{{state_key}}": (
        [], {"params": {**ROOM, "event_type": "m.room.topic", "state_key": "x"},
             "body": {"topic": "shaped"}},
    ),
    f"PUT {V3}/rooms/{{room_id}}/state/{{event_type}}": (
        [], {"params": {**ROOM, "event_type": "m.room.topic"}, "body": {"topic": "shaped"}},
    ),
    f"GET {V3}/rooms/{{room_id}}/state/{{event_type}}/{{state_key}}": (
        [], {"params": {**ROOM, "event_type": "m.room.member", "state_key": "<user>"},
             "query": {"format": "event"}},
    ),
    f"GET {V3}/rooms/{{room_id}}/state": ([], {"params": ROOM}),
    f"GET {V3}/rooms/{{room_id}}/event/{{event_id}}": ([], {"params": ROOM_EVENT}),
    f"PUT {V3}/rooms/{{room_id}}/redact/{{event_id}}/{{txn_id}}": (
        [], {"params": {**ROOM_EVENT, "txn_id": "r1"}, "body": {"reason": "shaped"}},
    ),
    f"GET {V3}/rooms/{{room_id}}/messages": ([], {"params": ROOM, "query": {"dir": "b"}}),
    f"GET {V3}/rooms/{{room_id}}/context/{{event_id}}": ([], {"params": ROOM_EVENT}),
    f"GET {V3}/presence/{{user_id}}/status": ([], {"params": ME}),
    f"PUT {V3}/presence/{{user_id}}/status": ([], {"params": ME,
                                                   "body": {"presence": "online"}}),
    f"PUT {V3}/rooms/{{room_id}}/typing/{{user_id}}": (
        [], {"params": {**ROOM, **ME}, "body": {"typing": True, "timeout": 1000}},
    ),
    f"POST {V3}/rooms/{{room_id}}/receipt/{{receipt_type}}/{{event_id}}": (
        [], {"params": {**ROOM_EVENT, "receipt_type": "m.read"}, "body": {}},
    ),
    f"POST {V3}/rooms/{{room_id}}/read_markers": (
        [], {"params": ROOM, "body": {"m.fully_read": "<event>", "m.read": "<event>"}},
    ),
    f"GET {V3}/profile/{{user_id}}": ([], {"params": ME}),
    f"GET {V3}/profile/{{user_id}}/displayname": ([], {"params": ME}),
    f"PUT {V3}/profile/{{user_id}}/displayname": ([], {"params": ME,
                                                       "body": {"displayname": "Shaped"}}),
    f"GET {V3}/profile/{{user_id}}/avatar_url": (
        [Step(f"PUT {V3}/profile/{{user_id}}/avatar_url", params=ME,
              body={"avatar_url": "mxc://localhost/a"})],
        {"params": ME},
    ),
    f"PUT {V3}/profile/{{user_id}}/avatar_url": (
        [], {"params": ME, "body": {"avatar_url": "mxc://localhost/a"}},
    ),
    f"GET {V3}/user/{{user_id}}/rooms/{{room_id}}/tags": (
        [Step(f"PUT {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}",
              params={**MY_ROOM, "tag": "u.work"}, body={"order": 0.5})],
        {"params": MY_ROOM},
    ),
    f"PUT {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}": (
        [], {"params": {**MY_ROOM, "tag": "m.favourite"}, "body": {"order": 0.25}},
    ),
    f"DELETE {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}": (
        [Step(f"PUT {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}",
              params={**MY_ROOM, "tag": "u.work"}, body={})],
        {"params": {**MY_ROOM, "tag": "u.work"}},
    ),
    f"POST {V3}/keys/upload": ([], {"body": {}}),
    f"POST {V3}/keys/query": ([], {"body": {"device_keys": {"<user>": [], "<friend>": []}}}),
    f"POST {V3}/keys/claim": (
        [], {"body": {"one_time_keys": {"<friend>": {"<friend_device>": "signed_curve25519"}}}},
    ),
    f"GET {V3}/keys/changes": (
        [Step(f"GET {V3}/sync")], {"query": {"from": "=next_batch", "to": "=next_batch"}},
    ),
    f"POST {V3}/keys/device_signing/upload": (
        [], {"body": {"master_key": {"user_id": "<user>", "usage": ["master"],
                                     "keys": {f"ed25519:{KEY}": KEY}},
                      "auth": PASSWORD_AUTH}},
    ),
    f"POST {V3}/keys/signatures/upload": ([], {"body": {}}),
    f"PUT {V3}/sendToDevice/{{event_type}}/{{txn_id}}": (
        [], {"params": {"event_type": "m.test", "txn_id": "d1"},
             "body": {"messages": {"<friend>": {"<friend_device>": {"hello": 1}}}}},
    ),
    f"POST {V3}/room_keys/version": ([], {"body": BACKUP}),
    f"GET {V3}/room_keys/version": ([Step(f"POST {V3}/room_keys/version", body=BACKUP)], {}),
    f"GET {V3}/room_keys/version/{{version}}": (
        [Step(f"POST {V3}/room_keys/version", body=BACKUP)], {"params": {"version": "=version"}},
    ),
    f"PUT {V3}/room_keys/keys": (
        [Step(f"POST {V3}/room_keys/version", body=BACKUP)],
        {"query": {"version": "=version"}, "body": ROOM_KEYS},
    ),
    f"GET {V3}/room_keys/keys": (
        [Step(f"POST {V3}/room_keys/version", body=BACKUP),
         Step(f"PUT {V3}/room_keys/keys", query={"version": "=version"}, body=ROOM_KEYS)],
        {"query": {"version": "=version"}},
    ),
    f"GET {V3}/room_keys/keys/{{room_id}}": (
        [Step(f"POST {V3}/room_keys/version", body=BACKUP),
         Step(f"PUT {V3}/room_keys/keys", query={"version": "=version"}, body=ROOM_KEYS)],
        {"params": ROOM, "query": {"version": "=version"}},
    ),
    f"GET {V3}/room_keys/keys/{{room_id}}/{{session_id}}": (
        [Step(f"POST {V3}/room_keys/version", body=BACKUP),
         Step(f"PUT {V3}/room_keys/keys", query={"version": "=version"}, body=ROOM_KEYS)],
        {"params": {**ROOM, "session_id": "s1"}, "query": {"version": "=version"}},
    ),
    f"GET {V3}/devices": ([], {}),
    f"GET {V3}/devices/{{device_id}}": ([], {"params": {"device_id": "<device>"}}),
    f"PUT {V3}/devices/{{device_id}}": ([], {"params": {"device_id": "<device>"},
                                             "body": {"display_name": "shaped"}}),
    f"DELETE {V3}/devices/{{device_id}}": ([], {"params": {"device_id": "<device>"},
                                                "body": {"auth": PASSWORD_AUTH}}),
    f"POST {V3}/delete_devices": ([], {"body": {"devices": ["<device>"],
                                                "auth": PASSWORD_AUTH}}),
    f"GET {V3}/directory/room/{{room_alias}}": ([], {"params": {"room_alias": "<alias>"}}),
    f"PUT {V3}/directory/room/{{room_alias}}": (
        [], {"params": {"room_alias": "#shaped-put:localhost"}, "body": {"room_id": "<room>"}},
    ),
    f"DELETE {V3}/directory/room/{{room_alias}}": (
        [Step(f"PUT {V3}/directory/room/{{room_alias}}",
              params={"room_alias": "#shaped-delete:localhost"}, body={"room_id": "<room>"})],
        {"params": {"room_alias": "#shaped-delete:localhost"}},
    ),
    f"GET {V3}/directory/list/room/{{room_id}}": ([], {"params": ROOM}),
    f"PUT {V3}/directory/list/room/{{room_id}}": ([], {"params": ROOM,
                                                       "body": {"visibility": "public"}}),
    f"GET {V3}/publicRooms": (
        [Step(f"PUT {V3}/directory/list/room/{{room_id}}", params=ROOM,
              body={"visibility": "public"})],
        {"query": {"limit": 5}},
    ),
    f"GET {V3}/voip/turnServer": ([], {}),
    f"GET {V3}/pushers": (
        [Step(f"POST {V3}/pushers/set", body={
            "pushkey": "k", "kind": "http", "app_id": "a", "app_display_name": "A",
            "device_display_name": "D", "lang": "en", "data": {"url": "https://p/_matrix/push/v1/notify"}})],
        {},
    ),
    f"GET {V3}/notifications": (
        [Step(f"POST {V3}/rooms/{{room_id}}/join", params=ROOM, as_friend=True),
         Step(f"PUT {V3}/rooms/{{room_id}}/send/{{event_type}}/{{txn_id}}", as_friend=True,
              params={**ROOM, "event_type": "m.room.message", "txn_id": "n1"},
              body={"msgtype": "m.text", "body": "hello"})],
        {"query": {"limit": 5}},
    ),
    f"POST {V3}/rooms/{{room_id}}/report": ([], {"params": ROOM, "body": {"reason": "spam"}}),
    f"POST {V3}/rooms/{{room_id}}/report/{{event_id}}": (
        [], {"params": ROOM_EVENT, "body": {"reason": "spam", "score": -100}},
    ),
    f"POST {V3}/user_directory/search": ([], {"body": {"search_term": "friend", "limit": 5}}),
    f"POST {V3}/rooms/{{room_id}}/upgrade": ([], {"params": ROOM,
                                                  "body": {"new_version": "11"}}),
    f"GET {V3}/rooms/{{room_id}}/aliases": ([], {"params": ROOM}),
    f"GET {V1}/rooms/{{room_id}}/timestamp_to_event": (
        [], {"params": ROOM, "query": {"ts": "<now>", "dir": "b"}},
    ),
    f"GET {V1}/rooms/{{room_id}}/hierarchy": ([], {"params": ROOM}),
    f"GET {V1}/rooms/{{room_id}}/relations/{{event_id}}": (
        [Step(f"PUT {V3}/rooms/{{room_id}}/send/{{event_type}}/{{txn_id}}",
              params={**ROOM, "event_type": "m.reaction", "txn_id": "x1"},
              body={"m.relates_to": {"rel_type": "m.annotation", "event_id": "<event>",
                                     "key": "+1"}})],
        {"params": ROOM_EVENT},
    ),
    f"GET {V1}/rooms/{{room_id}}/threads": (
        [Step(f"PUT {V3}/rooms/{{room_id}}/send/{{event_type}}/{{txn_id}}",
              params={**ROOM, "event_type": "m.room.message", "txn_id": "x2"},
              body={"body": "in thread", "m.relates_to": {"rel_type": "m.thread",
                                                          "event_id": "<event>"}})],
        {"params": ROOM},
    ),
    "POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync": (
        [], {"body": {"lists": {"all": {"ranges": [[0, 9]], "timeline_limit": 1,
                                     "required_state": []}}},
             "query": {"timeout": 0}},
    ),
    f"GET {V1}/media/config": ([], {}),
    f"GET {MEDIA}/config": ([], {}),
    f"POST {MEDIA}/upload": ([], {"body": b"GIF89a"}),
    "POST /_matrix/media/v1/create": ([], {}),
}


def test_every_shaped_operation_has_an_example() -> None:
    assert sorted(set(SHAPES) - set(EXAMPLES)) == []
    assert sorted(set(EXAMPLES) - set(SHAPES)) == []


def live(value: Any, world: dict[str, str], answers: dict[str, Any]) -> Any:
    """``value`` with every ``<name>`` and ``=key`` put in, inside containers too."""
    if isinstance(value, dict):
        return {live(k, world, answers): live(v, world, answers) for k, v in value.items()}
    if isinstance(value, list):
        return [live(v, world, answers) for v in value]
    if isinstance(value, str) and value.startswith("="):
        return answers[value[1:]]
    if value == "<now>":
        return int(time.time() * 1000)
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        return world[value]
    return value


def request(http: httpx.Client, token: str, one: Step, world: dict[str, str],
            answers: dict[str, Any]) -> httpx.Response:
    path = one.path
    for name, value in live(one.params, world, answers).items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    kw: dict[str, Any] = {"params": live(one.query, world, answers)}
    if isinstance(one.body, bytes):
        kw["content"] = one.body
        kw["headers"] = {"Content-Type": "image/gif"}
    elif one.body is not None or one.method in ("POST", "PUT"):
        kw["json"] = live({} if one.body is None else one.body, world, answers)
    headers = {"Authorization": f"Bearer {world['<friend_token>'] if one.as_friend else token}"}
    headers.update(kw.pop("headers", {}))
    return http.request(one.method, path, headers=headers, **kw)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_the_answer_matches_its_shape(
    key: str, running: ThreadedServer, shared: dict[str, str]
) -> None:
    token, world = own_world(running.base_url, shared)
    before, own = EXAMPLES[key]
    answers: dict[str, Any] = {}
    with httpx.Client(base_url=running.base_url, timeout=60) as http:
        for one in before:
            response = request(http, token, one, world, answers)
            assert response.is_success, (one.method, one.path, response.text)
            answers.update(response.json())
        response = request(http, token, Step(key, **own), world, answers)
    assert response.is_success, response.text
    method, path = key.split(" ", 1)
    operation = DOCUMENT["paths"][path][method.lower()]
    schema = operation["responses"]["2XX"]["content"]["application/json"]["schema"]
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in Draft202012Validator(schema).iter_errors(response.json())]
    assert errors == [], (key, response.text[:500])
