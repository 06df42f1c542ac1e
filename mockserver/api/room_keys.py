"""Server-side key backups: ``/room_keys/version`` and ``/room_keys/keys``.

Thin handlers over :class:`mockserver.core.key_backup.KeyBackups`: each
checks the whole body first, so a refused request stores nothing.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Endpoint, Reply, endpoint
from mockserver.core.store import key_backup
from mockserver.core.errors import M_INVALID_PARAM, MatrixError, missing_param


def _version_param(call: Call) -> str:
    version = call.query.get("version")
    if version is None:
        raise missing_param("Missing 'version' query parameter")
    return version


# -- versions ---------------------------------------------------------------------------


@endpoint("/room_keys/version", "POST")
async def post_room_keys_version(call: Call) -> Reply:
    algorithm, auth_data = key_backup.check_version_info(await call.json())
    return {"version": call.store.key_backups.create_version(call.user_id, algorithm, auth_data)}


@endpoint("/room_keys/version", "GET")
async def get_room_keys_current_version(call: Call) -> Reply:
    return call.store.key_backups.current(call.user_id).info()


@endpoint("/room_keys/version/{version}", "GET")
async def get_room_keys_version(call: Call) -> Reply:
    return call.store.key_backups.version(call.user_id, call.path["version"]).info()


@endpoint("/room_keys/version/{version}", "PUT")
async def put_room_keys_version(call: Call) -> Reply:
    body = await call.json()
    version = call.path["version"]
    algorithm, auth_data = key_backup.check_version_info(body)
    given = params.field(body, "version", str)
    if given is not None and given != version:
        raise MatrixError(M_INVALID_PARAM, "Version in body does not match the URL")
    call.store.key_backups.update_version(call.user_id, version, algorithm, auth_data)
    return {}


@endpoint("/room_keys/version/{version}", "DELETE")
async def delete_room_keys_version(call: Call) -> Reply:
    call.store.key_backups.delete_version(call.user_id, call.path["version"])
    return {}


@endpoint("/room_keys/version", "DELETE")
async def delete_room_keys_current_version(call: Call) -> Reply:
    """Synapse's form without a version: the current one."""
    call.store.key_backups.delete_version(call.user_id, None)
    return {}


# -- keys -----------------------------------------------------------------------------------


@endpoint("/room_keys/keys", "PUT")
async def put_room_keys(call: Call) -> Reply:
    version = _version_param(call)
    rooms = key_backup.check_rooms(params.required(await call.json(), "rooms", dict))
    return call.store.key_backups.put_keys(call.user_id, version, rooms)


@endpoint("/room_keys/keys/{room_id}", "PUT")
async def put_room_keys_room(call: Call) -> Reply:
    version = _version_param(call)
    sessions = key_backup.check_sessions(await call.json())
    return call.store.key_backups.put_keys(call.user_id, version, {call.path["room_id"]: sessions})


@endpoint("/room_keys/keys/{room_id}/{session_id}", "PUT")
async def put_room_keys_session(call: Call) -> Reply:
    version = _version_param(call)
    data = key_backup.check_session(await call.json(), "body")
    room = {call.path["room_id"]: {call.path["session_id"]: data}}
    return call.store.key_backups.put_keys(call.user_id, version, room)


def _where(call: Call) -> tuple[str, str, str | None, str | None]:
    """Whose keys, in which version, and which room and session (None: all of them)."""
    path = call.path
    return call.user_id, _version_param(call), path.get("room_id"), path.get("session_id")


async def get_room_keys(call: Call) -> Reply:
    """All rooms' sessions, one room's, or one session (404 when that one is absent)."""
    return call.store.key_backups.get_keys(*_where(call))


async def delete_room_keys(call: Call) -> Reply:
    return call.store.key_backups.delete_keys(*_where(call))


#: Where GET and DELETE of backed-up keys are served: all rooms, one room, one session.
KEY_PATHS = (
    "/room_keys/keys",
    "/room_keys/keys/{room_id}",
    "/room_keys/keys/{room_id}/{session_id}",
)


routes = [
    post_room_keys_version,
    get_room_keys_current_version,
    get_room_keys_version,
    put_room_keys_version,
    delete_room_keys_version,
    delete_room_keys_current_version,
    put_room_keys,
    put_room_keys_room,
    put_room_keys_session,
    *(Endpoint(path, get_room_keys, ("GET",)) for path in KEY_PATHS),
    *(Endpoint(path, delete_room_keys, ("DELETE",)) for path in KEY_PATHS),
]
