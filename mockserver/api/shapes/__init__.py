"""The shapes of requests and answers, as the Matrix spec defines them.

The route table knows paths, methods and who may call them, not what goes in
or comes out; this module adds that for the OpenAPI document
(:mod:`mockserver.api.openapi`): for each operation (``"METHOD path"``, the
path as the document writes it) the query parameters, the JSON body and the
2xx answer, each a JSON schema written from the spec's client-server API
(v1.16). A schema holds what the spec requires and the types it gives; it
does not forbid keys the spec leaves open. Where mockserver follows Synapse
instead of the spec, the entry says so.

The fuzz test of the client API (``tests/fuzz/``) generates requests from
these shapes and checks every 2xx answer against them, so an answer that
breaks the spec's shape fails ``make test``. Operations without an entry
take any JSON object and answer any JSON.
"""

from __future__ import annotations

from typing import Any

from mockserver.api.shapes.sync import CLIENT_EVENT_WITHOUT_ROOM_ID, SYNC_RESPONSE
from mockserver.core.model import JsonDict

STRING: JsonDict = {"type": "string"}
INTEGER: JsonDict = {"type": "integer"}
BOOLEAN: JsonDict = {"type": "boolean"}
OBJECT: JsonDict = {"type": "object"}
#: The answer of an operation that answers `{}` (any object: the spec leaves it open).
EMPTY = OBJECT
NUMBER: JsonDict = {"type": "number"}


def obj(required: str = "", **properties: JsonDict) -> JsonDict:
    """An object with ``properties``; ``required`` names the required ones, space-separated.

    A property whose name is not a Python identifier is given with ``__``
    for ``.`` (``m__heroes`` is ``m.heroes``).
    """
    return {
        "type": "object",
        "properties": {name.replace("__", "."): schema for name, schema in properties.items()},
        "required": required.split(),
    }


def array(items: JsonDict) -> JsonDict:
    return {"type": "array", "items": items}


def map_of(values: JsonDict) -> JsonDict:
    return {"type": "object", "additionalProperties": values}


def enum(*values: Any) -> JsonDict:
    """A JSON schema allowing exactly ``values``."""
    return {"enum": list(values)}


#: The spec's ClientEvent: a ClientEventWithoutRoomID (see the /sync shapes) with its room.
CLIENT_EVENT: JsonDict = {
    "type": "object",
    "required": [*CLIENT_EVENT_WITHOUT_ROOM_ID["required"], "room_id"],
    "properties": {**CLIENT_EVENT_WITHOUT_ROOM_ID["properties"], "room_id": STRING},
}

DEVICE = obj("device_id", device_id=STRING, display_name=STRING, last_seen_ip=STRING,
             last_seen_ts=INTEGER)
DEVICE_KEYS = obj("user_id device_id algorithms keys signatures", user_id=STRING,
                  device_id=STRING, algorithms=array(STRING), keys=map_of(STRING),
                  signatures=map_of(map_of(STRING)), unsigned=OBJECT)
CROSS_SIGNING_KEY = obj("user_id usage keys", user_id=STRING, usage=array(STRING),
                        keys=map_of(STRING), signatures=map_of(map_of(STRING)))
PRESENCE = enum("online", "offline", "unavailable")
PUBLIC_ROOM = obj(
    "num_joined_members room_id world_readable guest_can_join",
    num_joined_members=INTEGER, room_id=STRING, world_readable=BOOLEAN, guest_can_join=BOOLEAN,
    name=STRING, topic=STRING, avatar_url=STRING, canonical_alias=STRING, join_rule=STRING,
    room_type=STRING,
)
BACKUP_VERSION = obj("algorithm auth_data count etag version", algorithm=STRING,
                     auth_data=OBJECT, count=INTEGER, etag=STRING, version=STRING)
KEY_BACKUP_DATA = obj("first_message_index forwarded_count is_verified session_data",
                      first_message_index=INTEGER, forwarded_count=INTEGER,
                      is_verified=BOOLEAN, session_data=OBJECT)
ROOM_KEY_BACKUP = obj("sessions", sessions=map_of(KEY_BACKUP_DATA))
PAGE = obj("chunk", chunk=array(CLIENT_EVENT), next_batch=STRING, prev_batch=STRING)
FILTER = obj(event_fields=array(STRING), event_format=enum("client", "federation"),
             presence=OBJECT, account_data=OBJECT, room=OBJECT)
MEDIA_CONFIG = obj(m__upload__size=INTEGER)
USER_ID_BODY = obj("user_id", user_id=STRING, reason=STRING)
AUTH = obj(type=STRING, session=STRING)


def query(name: str, schema: JsonDict, *, required: bool = False) -> JsonDict:
    return {"name": name, "in": "query", "required": required, "schema": schema}


PAGINATION = [query("from", STRING), query("limit", INTEGER)]

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"
MEDIA = "/_matrix/media/v3"

#: "METHOD path" -> ``answer`` (2xx body), ``body`` (request) and ``query`` (parameters).
SHAPES: dict[str, dict[str, Any]] = {
    "GET /_matrix/client/versions": {
        "answer": obj("versions", versions=array(STRING), unstable_features=map_of(BOOLEAN)),
    },
    "GET /.well-known/matrix/client": {
        "answer": obj("m.homeserver", m__homeserver=obj("base_url", base_url=STRING)),
    },
    f"GET {V3}/sync": {
        "answer": SYNC_RESPONSE,
        "query": [query("since", STRING), query("timeout", INTEGER), query("filter", STRING),
                  query("full_state", BOOLEAN), query("set_presence", PRESENCE),
                  query("use_state_after", BOOLEAN)],
    },
    f"POST {V3}/register": {
        "answer": obj("user_id", user_id=STRING, access_token=STRING, device_id=STRING,
                      expires_in_ms=INTEGER, refresh_token=STRING),
        "body": obj(username=STRING, password=STRING, device_id=STRING,
                    initial_device_display_name=STRING, inhibit_login=BOOLEAN, auth=AUTH),
        "query": [query("kind", enum("user", "guest"))],
    },
    f"GET {V3}/register/available": {
        "answer": obj("available", available=BOOLEAN),
        "query": [query("username", STRING, required=True)],
    },
    f"GET {V3}/login": {
        "answer": obj("flows", flows=array(obj("type", type=STRING))),
    },
    f"POST {V3}/login": {
        "answer": obj("user_id access_token device_id", user_id=STRING, access_token=STRING,
                      device_id=STRING, well_known=OBJECT),
        "body": obj("type", type=enum("m.login.password", "m.login.token"),
                    identifier=obj("type", type=STRING, user=STRING), password=STRING,
                    token=STRING, device_id=STRING, initial_device_display_name=STRING),
    },
    f"POST {V3}/logout": {"answer": EMPTY},
    f"POST {V3}/logout/all": {"answer": EMPTY},
    f"GET {V3}/account/whoami": {
        "answer": obj("user_id", user_id=STRING, device_id=STRING, is_guest=BOOLEAN),
    },
    f"GET {V3}/account/3pid": {
        "answer": obj(threepids=array(obj("medium address validated_at added_at",
                                          medium=STRING, address=STRING,
                                          validated_at=INTEGER, added_at=INTEGER))),
    },
    f"POST {V3}/account/password": {
        "answer": EMPTY,
        "body": obj("new_password", new_password=STRING, logout_devices=BOOLEAN, auth=AUTH),
    },
    f"POST {V3}/account/deactivate": {
        "answer": obj("id_server_unbind_result",
                      id_server_unbind_result=enum("success", "no-support")),
        "body": obj(auth=AUTH, erase=BOOLEAN, id_server=STRING),
    },
    f"GET {V3}/capabilities": {"answer": obj("capabilities", capabilities=OBJECT)},
    f"GET {V3}/pushrules/": {"answer": obj("global", **{"global": OBJECT})},
    f"POST {V3}/user/{{user_id}}/filter": {
        "answer": obj("filter_id", filter_id=STRING),
        "body": FILTER,
    },
    f"GET {V3}/user/{{user_id}}/filter/{{filter_id}}": {"answer": FILTER},
    f"POST {V3}/createRoom": {
        "answer": obj("room_id", room_id=STRING),
        "body": obj(visibility=enum("public", "private"), room_alias_name=STRING,
                    name=STRING, topic=STRING, invite=array(STRING),
                    preset=enum("private_chat", "public_chat", "trusted_private_chat"),
                    is_direct=BOOLEAN, creation_content=OBJECT,
                    initial_state=array(obj("type content", type=STRING, state_key=STRING,
                                            content=OBJECT)),
                    power_level_content_override=OBJECT, room_version=STRING),
    },
    f"POST {V3}/rooms/{{room_id}}/join": {
        "answer": obj("room_id", room_id=STRING), "body": obj(reason=STRING),
    },
    f"POST {V3}/join/{{room_id_or_alias}}": {
        "answer": obj("room_id", room_id=STRING), "body": obj(reason=STRING),
    },
    f"POST {V3}/knock/{{room_id_or_alias}}": {
        "answer": obj("room_id", room_id=STRING), "body": obj(reason=STRING),
    },
    f"POST {V3}/rooms/{{room_id}}/invite": {"answer": EMPTY, "body": USER_ID_BODY},
    f"POST {V3}/rooms/{{room_id}}/leave": {"answer": EMPTY, "body": obj(reason=STRING)},
    f"POST {V3}/rooms/{{room_id}}/kick": {"answer": EMPTY, "body": USER_ID_BODY},
    f"POST {V3}/rooms/{{room_id}}/ban": {"answer": EMPTY, "body": USER_ID_BODY},
    f"POST {V3}/rooms/{{room_id}}/unban": {"answer": EMPTY, "body": USER_ID_BODY},
    f"POST {V3}/rooms/{{room_id}}/forget": {"answer": EMPTY},
    f"GET {V3}/joined_rooms": {"answer": obj("joined_rooms", joined_rooms=array(STRING))},
    f"GET {V3}/rooms/{{room_id}}/members": {
        "answer": obj(chunk=array(CLIENT_EVENT)),
        "query": [query("at", STRING),
                  query("membership", enum("join", "invite", "knock", "leave", "ban")),
                  query("not_membership", enum("join", "invite", "knock", "leave", "ban"))],
    },
    f"GET {V3}/rooms/{{room_id}}/joined_members": {
        "answer": obj(joined=map_of(obj(display_name=STRING, avatar_url=STRING))),
    },
    f"PUT {V3}/rooms/{{room_id}}/send/{{event_type}}/{{txn_id}}": {
        "answer": obj("event_id", event_id=STRING),
    },
    f"POST {V3}/rooms/{{room_id}}/send/{{event_type}}": {
        "answer": obj("event_id", event_id=STRING),
    },
    f"PUT {V3}/rooms/{{room_id}}/state/{{event_type}}/{{state_key}}": {
        "answer": obj("event_id", event_id=STRING),
    },
    f"PUT {V3}/rooms/{{room_id}}/state/{{event_type}}": {
        "answer": obj("event_id", event_id=STRING),
    },
    f"GET {V3}/rooms/{{room_id}}/state/{{event_type}}/{{state_key}}": {
        "answer": OBJECT, "query": [query("format", enum("content", "event"))],
    },
    f"GET {V3}/rooms/{{room_id}}/state": {"answer": array(CLIENT_EVENT)},
    f"GET {V3}/rooms/{{room_id}}/event/{{event_id}}": {"answer": CLIENT_EVENT},
    f"PUT {V3}/rooms/{{room_id}}/redact/{{event_id}}/{{txn_id}}": {
        "answer": obj(event_id=STRING), "body": obj(reason=STRING),
    },
    f"GET {V3}/rooms/{{room_id}}/messages": {
        "answer": obj("start chunk", start=STRING, end=STRING, chunk=array(CLIENT_EVENT),
                      state=array(CLIENT_EVENT)),
        "query": [query("dir", enum("b", "f"), required=True), query("to", STRING),
                  query("filter", STRING), *PAGINATION],
    },
    f"GET {V3}/rooms/{{room_id}}/context/{{event_id}}": {
        "answer": obj(start=STRING, end=STRING, event=CLIENT_EVENT,
                      events_before=array(CLIENT_EVENT), events_after=array(CLIENT_EVENT),
                      state=array(CLIENT_EVENT)),
        "query": [query("limit", INTEGER), query("filter", STRING)],
    },
    f"GET {V3}/presence/{{user_id}}/status": {
        "answer": obj("presence", presence=PRESENCE, last_active_ago=INTEGER,
                      status_msg={"type": ["string", "null"]}, currently_active=BOOLEAN),
    },
    f"PUT {V3}/presence/{{user_id}}/status": {
        "answer": EMPTY, "body": obj("presence", presence=PRESENCE, status_msg=STRING),
    },
    f"PUT {V3}/rooms/{{room_id}}/typing/{{user_id}}": {
        "answer": EMPTY, "body": obj("typing", typing=BOOLEAN, timeout=INTEGER),
    },
    f"POST {V3}/rooms/{{room_id}}/receipt/{{receipt_type}}/{{event_id}}": {
        "answer": EMPTY, "body": obj(thread_id=STRING),
    },
    f"POST {V3}/rooms/{{room_id}}/read_markers": {
        "answer": EMPTY,
        "body": obj(m__fully_read=STRING, m__read=STRING, m__read__private=STRING),
    },
    f"GET {V3}/profile/{{user_id}}": {
        "answer": obj(displayname=STRING, avatar_url=STRING),
    },
    f"GET {V3}/profile/{{user_id}}/displayname": {"answer": obj(displayname=STRING)},
    f"PUT {V3}/profile/{{user_id}}/displayname": {
        "answer": EMPTY, "body": obj(displayname=STRING),
    },
    f"GET {V3}/profile/{{user_id}}/avatar_url": {"answer": obj(avatar_url=STRING)},
    f"PUT {V3}/profile/{{user_id}}/avatar_url": {
        "answer": EMPTY, "body": obj(avatar_url=STRING),
    },
    f"GET {V3}/user/{{user_id}}/rooms/{{room_id}}/tags": {
        "answer": obj("tags", tags=map_of(obj(order=NUMBER))),
    },
    f"PUT {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}": {
        "answer": EMPTY, "body": obj(order=NUMBER),
    },
    f"DELETE {V3}/user/{{user_id}}/rooms/{{room_id}}/tags/{{tag}}": {"answer": EMPTY},
    f"POST {V3}/keys/upload": {
        "answer": obj("one_time_key_counts", one_time_key_counts=map_of(INTEGER)),
        "body": obj(device_keys=DEVICE_KEYS, one_time_keys=OBJECT, fallback_keys=OBJECT),
    },
    f"POST {V3}/keys/query": {
        "answer": obj(device_keys=map_of(map_of(DEVICE_KEYS)), failures=OBJECT,
                      master_keys=map_of(CROSS_SIGNING_KEY),
                      self_signing_keys=map_of(CROSS_SIGNING_KEY),
                      user_signing_keys=map_of(CROSS_SIGNING_KEY)),
        "body": obj("device_keys", device_keys=map_of(array(STRING)), timeout=INTEGER),
    },
    f"POST {V3}/keys/claim": {
        "answer": obj("one_time_keys", one_time_keys=map_of(map_of(OBJECT)), failures=OBJECT),
        "body": obj("one_time_keys", one_time_keys=map_of(map_of(STRING)), timeout=INTEGER),
    },
    f"GET {V3}/keys/changes": {
        "answer": obj(changed=array(STRING), left=array(STRING)),
        "query": [query("from", STRING, required=True), query("to", STRING, required=True)],
    },
    f"POST {V3}/keys/device_signing/upload": {
        "answer": EMPTY,
        "body": obj(master_key=CROSS_SIGNING_KEY, self_signing_key=CROSS_SIGNING_KEY,
                    user_signing_key=CROSS_SIGNING_KEY, auth=AUTH),
    },
    f"POST {V3}/keys/signatures/upload": {"answer": obj(failures=OBJECT)},
    f"PUT {V3}/sendToDevice/{{event_type}}/{{txn_id}}": {
        "answer": EMPTY, "body": obj("messages", messages=map_of(map_of(OBJECT))),
    },
    f"POST {V3}/room_keys/version": {
        "answer": obj("version", version=STRING),
        "body": obj("algorithm auth_data", algorithm=STRING, auth_data=OBJECT),
    },
    f"GET {V3}/room_keys/version": {"answer": BACKUP_VERSION},
    f"GET {V3}/room_keys/version/{{version}}": {"answer": BACKUP_VERSION},
    f"PUT {V3}/room_keys/keys": {
        "answer": obj("etag count", etag=STRING, count=INTEGER),
        "body": obj("rooms", rooms=map_of(ROOM_KEY_BACKUP)),
        "query": [query("version", STRING, required=True)],
    },
    f"GET {V3}/room_keys/keys": {
        "answer": obj("rooms", rooms=map_of(ROOM_KEY_BACKUP)),
        "query": [query("version", STRING, required=True)],
    },
    f"GET {V3}/room_keys/keys/{{room_id}}": {
        "answer": ROOM_KEY_BACKUP, "query": [query("version", STRING, required=True)],
    },
    f"GET {V3}/room_keys/keys/{{room_id}}/{{session_id}}": {
        "answer": KEY_BACKUP_DATA, "query": [query("version", STRING, required=True)],
    },
    f"GET {V3}/devices": {"answer": obj(devices=array(DEVICE))},
    f"GET {V3}/devices/{{device_id}}": {"answer": DEVICE},
    f"PUT {V3}/devices/{{device_id}}": {"answer": EMPTY, "body": obj(display_name=STRING)},
    f"DELETE {V3}/devices/{{device_id}}": {"answer": EMPTY, "body": obj(auth=AUTH)},
    f"POST {V3}/delete_devices": {
        "answer": EMPTY, "body": obj("devices", devices=array(STRING), auth=AUTH),
    },
    f"GET {V3}/directory/room/{{room_alias}}": {
        "answer": obj(room_id=STRING, servers=array(STRING)),
    },
    f"PUT {V3}/directory/room/{{room_alias}}": {
        "answer": EMPTY, "body": obj("room_id", room_id=STRING),
    },
    f"DELETE {V3}/directory/room/{{room_alias}}": {"answer": EMPTY},
    f"GET {V3}/directory/list/room/{{room_id}}": {
        "answer": obj(visibility=enum("public", "private")),
    },
    f"PUT {V3}/directory/list/room/{{room_id}}": {
        "answer": EMPTY, "body": obj(visibility=enum("public", "private")),
    },
    f"GET {V3}/publicRooms": {
        "answer": obj("chunk", chunk=array(PUBLIC_ROOM), next_batch=STRING, prev_batch=STRING,
                      total_room_count_estimate=INTEGER),
        "query": [query("limit", INTEGER), query("since", STRING), query("server", STRING)],
    },
    # The spec requires all four keys; Synapse (and mockserver) answer {} when no
    # TURN server is configured.
    f"GET {V3}/voip/turnServer": {
        "answer": obj(username=STRING, password=STRING, uris=array(STRING), ttl=INTEGER),
    },
    f"GET {V3}/pushers": {
        "answer": obj(pushers=array(obj("pushkey kind app_id app_display_name "
                                        "device_display_name lang data",
                                        pushkey=STRING, kind=STRING, app_id=STRING,
                                        app_display_name=STRING, device_display_name=STRING,
                                        profile_tag=STRING, lang=STRING, data=OBJECT))),
    },
    f"GET {V3}/notifications": {
        "answer": obj("notifications", next_token=STRING, notifications=array(
            obj("actions event read room_id ts", actions=array({}), event=CLIENT_EVENT,
                profile_tag=STRING, read=BOOLEAN, room_id=STRING, ts=INTEGER))),
        "query": [query("only", STRING), *PAGINATION],
    },
    f"POST {V3}/rooms/{{room_id}}/report": {"answer": EMPTY, "body": obj(reason=STRING)},
    f"POST {V3}/rooms/{{room_id}}/report/{{event_id}}": {
        "answer": EMPTY, "body": obj(reason=STRING, score=INTEGER),
    },
    f"POST {V3}/user_directory/search": {
        "answer": obj("limited results", limited=BOOLEAN, results=array(
            obj("user_id", user_id=STRING, display_name=STRING, avatar_url=STRING))),
        "body": obj("search_term", search_term=STRING, limit=INTEGER),
    },
    f"POST {V3}/rooms/{{room_id}}/upgrade": {
        "answer": obj("replacement_room", replacement_room=STRING),
        "body": obj("new_version", new_version=STRING),
    },
    f"GET {V3}/rooms/{{room_id}}/aliases": {"answer": obj("aliases", aliases=array(STRING))},
    f"GET {V1}/rooms/{{room_id}}/timestamp_to_event": {
        "answer": obj("event_id origin_server_ts", event_id=STRING, origin_server_ts=INTEGER),
        "query": [query("ts", INTEGER, required=True),
                  query("dir", enum("f", "b"), required=True)],
    },
    f"GET {V1}/rooms/{{room_id}}/hierarchy": {
        "answer": obj("rooms", rooms=array(OBJECT), next_batch=STRING),
        "query": [query("max_depth", INTEGER), query("suggested_only", BOOLEAN), *PAGINATION],
    },
    f"GET {V1}/rooms/{{room_id}}/relations/{{event_id}}": {
        "answer": PAGE,
        "query": [query("to", STRING), query("dir", enum("b", "f")),
                  query("recurse", BOOLEAN), *PAGINATION],
    },
    f"GET {V1}/rooms/{{room_id}}/threads": {
        "answer": obj("chunk", chunk=array(CLIENT_EVENT), next_batch=STRING),
        "query": [query("include", enum("all", "participated")), *PAGINATION],
    },
    "POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync": {
        "answer": obj("pos", pos=STRING, lists=map_of(obj("count", count=INTEGER)),
                      rooms=OBJECT, extensions=OBJECT),
        # Synapse requires required_state and timeline_limit in each list and
        # subscription (MSC4186 leaves them optional); mockserver does too.
        "body": obj(conn_id=STRING,
                    lists=map_of(obj("required_state timeline_limit",
                                     ranges=array(array(INTEGER)),
                                     required_state=array(array(STRING)),
                                     timeline_limit=INTEGER)),
                    room_subscriptions=OBJECT, extensions=OBJECT),
        "query": [query("pos", STRING), query("timeout", INTEGER)],
    },
    f"GET {V1}/media/config": {"answer": MEDIA_CONFIG},
    f"GET {MEDIA}/config": {"answer": MEDIA_CONFIG},
    f"POST {MEDIA}/upload": {"answer": obj("content_uri", content_uri=STRING)},
    "POST /_matrix/media/v1/create": {
        "answer": obj("content_uri", content_uri=STRING, unused_expires_at=INTEGER),
    },
}

#: Operations that may answer 401 with the user-interactive-auth flows instead of an error.
INTERACTIVE_AUTH = frozenset({
    f"POST {V3}/register", f"POST {V3}/account/password", f"POST {V3}/account/deactivate",
    f"DELETE {V3}/devices/{{device_id}}", f"POST {V3}/delete_devices",
    f"POST {V3}/keys/device_signing/upload",
})
UIA_ANSWER = obj("flows", flows=array(obj("stages", stages=array(STRING))), params=OBJECT,
                 session=STRING, completed=array(STRING))
