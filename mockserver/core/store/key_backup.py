"""Server-side key backups (``/room_keys``): versions and the room keys stored in them.

A user has at most one *current* backup version, the newest one not
deleted; versions are numbered ``"1"``, ``"2"``... and never reused. Keys
are written only to the current version (``403 M_WRONG_ROOM_KEYS_VERSION``
otherwise) and an uploaded session replaces a stored one only when the spec
says it is better. The ``etag`` moves whenever a version's keys change.
Every method checks the whole request before its first write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.errors import (
    M_INVALID_PARAM,
    M_WRONG_ROOM_KEYS_VERSION,
    MatrixError,
    bad_json,
    missing_param,
    not_found,
)
from mockserver.core.model import JsonDict, copy_json

#: room_id -> session_id -> KeyBackupData
RoomKeys = dict[str, dict[str, JsonDict]]


@dataclass(slots=True)
class BackupVersion:
    version: str
    algorithm: str
    auth_data: JsonDict
    etag: int = 0
    rooms: RoomKeys = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(sessions) for sessions in self.rooms.values())

    def info(self) -> JsonDict:
        """The body of ``GET /room_keys/version``."""
        return {
            "algorithm": self.algorithm,
            "auth_data": copy_json(self.auth_data),
            "count": self.count(),
            "etag": str(self.etag),
            "version": self.version,
        }

    def progress(self) -> JsonDict:
        """The body of a key upload or deletion: where the version now stands."""
        return {"etag": str(self.etag), "count": self.count()}


@dataclass(slots=True)
class UserBackups:
    versions: dict[str, BackupVersion] = field(default_factory=dict)
    #: The highest version number ever created (deleted ones included).
    last_number: int = 0

    def current(self) -> BackupVersion | None:
        return self.versions[max(self.versions, key=int)] if self.versions else None


def check_version_info(body: Mapping[str, Any]) -> tuple[str, JsonDict]:
    """``algorithm`` and ``auth_data`` of a version body (create or update)."""
    algorithm = body.get("algorithm")
    auth_data = body.get("auth_data")
    if algorithm is None:
        raise missing_param("Missing 'algorithm'")
    if auth_data is None:
        raise missing_param("Missing 'auth_data'")
    if not isinstance(algorithm, str):
        raise bad_json("'algorithm' must be a string")
    if not isinstance(auth_data, dict):
        raise bad_json("'auth_data' must be an object")
    return algorithm, auth_data


def check_session(value: Any, where: str) -> JsonDict:
    """A KeyBackupData object: the four fields the spec requires, of their types."""
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be an object")
    for key in ("first_message_index", "forwarded_count"):
        number = value.get(key)
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise bad_json(f"{where}: '{key}' must be a non-negative integer")
    if not isinstance(value.get("is_verified"), bool):
        raise bad_json(f"{where}: 'is_verified' must be a boolean")
    if not isinstance(value.get("session_data"), dict):
        raise bad_json(f"{where}: 'session_data' must be an object")
    return value


def check_rooms(value: Any) -> RoomKeys:
    """The ``rooms`` of ``PUT /room_keys/keys``: room -> ``{"sessions": {...}}``."""
    if not isinstance(value, dict):
        raise bad_json("'rooms' must be an object")
    rooms: RoomKeys = {}
    for room_id, room in value.items():
        rooms[room_id] = check_sessions(room, f"rooms.{room_id}")
    return rooms


def check_sessions(value: Any, where: str = "body") -> dict[str, JsonDict]:
    """A ``{"sessions": {session_id: KeyBackupData}}`` object."""
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be an object")
    sessions = value.get("sessions")
    if not isinstance(sessions, dict):
        raise bad_json(f"{where}: 'sessions' must be an object")
    return {
        session_id: check_session(data, f"{where}.sessions.{session_id}")
        for session_id, data in sessions.items()
    }


def better(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    """Whether an uploaded session replaces the stored one (spec, "Server-side key backups").

    The verified one wins; between equals, the lower ``first_message_index``,
    then the lower ``forwarded_count``. A tie keeps what is stored.
    """
    if old is None:
        return True
    if new["is_verified"] != old["is_verified"]:
        return bool(new["is_verified"])
    if new["first_message_index"] != old["first_message_index"]:
        return bool(new["first_message_index"] < old["first_message_index"])
    return bool(new["forwarded_count"] < old["forwarded_count"])


class KeyBackups:
    """Every user's backup versions."""

    def __init__(self) -> None:
        self.users: dict[str, UserBackups] = {}

    # -- versions -------------------------------------------------------------------------

    def create_version(self, user_id: str, algorithm: str, auth_data: JsonDict) -> str:
        backups = self.users.setdefault(user_id, UserBackups())
        backups.last_number += 1
        version = str(backups.last_number)
        backups.versions[version] = BackupVersion(version, algorithm, copy_json(auth_data))
        return version

    def current(self, user_id: str) -> BackupVersion:
        backups = self.users.get(user_id)
        found = backups.current() if backups is not None else None
        if found is None:
            raise not_found("No backup found")
        return found

    def version(self, user_id: str, version: str | None) -> BackupVersion:
        """A version by number, or the current one for ``None``; 404 if there is none."""
        if version is None:
            return self.current(user_id)
        backups = self.users.get(user_id)
        found = backups.versions.get(version) if backups is not None else None
        if found is None:
            raise not_found(f"Unknown backup version {version}")
        return found

    def update_version(
        self, user_id: str, version: str, algorithm: str, auth_data: JsonDict
    ) -> None:
        found = self.version(user_id, version)
        if algorithm != found.algorithm:
            raise MatrixError(M_INVALID_PARAM, "Algorithm does not match")
        found.auth_data = copy_json(auth_data)

    def delete_version(self, user_id: str, version: str | None) -> None:
        found = self.version(user_id, version)
        del self.users[user_id].versions[found.version]

    # -- keys -------------------------------------------------------------------------------

    def writable(self, user_id: str, version: str) -> BackupVersion:
        """The version keys may be uploaded to: it must be the current one."""
        backups = self.users.get(user_id)
        current = backups.current() if backups is not None else None
        if current is None:
            raise not_found(f"Unknown backup version {version}")
        if version != current.version:
            raise MatrixError(
                M_WRONG_ROOM_KEYS_VERSION,
                "Wrong backup version.",
                current_version=current.version,
            )
        return current

    def put_keys(self, user_id: str, version: str, rooms: RoomKeys) -> JsonDict:
        """Store the better of each uploaded and stored session; the etag moves on a change."""
        target = self.writable(user_id, version)
        changed = False
        for room_id, sessions in rooms.items():
            for session_id, data in sessions.items():
                stored = target.rooms.get(room_id, {}).get(session_id)
                if better(data, stored):
                    target.rooms.setdefault(room_id, {})[session_id] = copy_json(data)
                    changed = True
        if changed:
            target.etag += 1
        return target.progress()

    def get_keys(
        self, user_id: str, version: str, room_id: str | None = None, session_id: str | None = None
    ) -> JsonDict:
        """All rooms, one room's sessions, or one session (404 when that session is absent)."""
        found = self.version(user_id, version)
        if room_id is None:
            return {
                "rooms": {
                    room: {"sessions": copy_json(sessions)}
                    for room, sessions in found.rooms.items()
                    if sessions
                }
            }
        sessions = found.rooms.get(room_id, {})
        if session_id is None:
            return {"sessions": copy_json(sessions)}
        data = sessions.get(session_id)
        if data is None:
            raise not_found("No room_keys found")
        result: JsonDict = copy_json(data)
        return result

    def delete_keys(
        self, user_id: str, version: str, room_id: str | None = None, session_id: str | None = None
    ) -> JsonDict:
        found = self.version(user_id, version)
        removed = 0
        if room_id is None:
            removed = found.count()
            found.rooms.clear()
        elif session_id is None:
            removed = len(found.rooms.pop(room_id, {}))
        else:
            sessions = found.rooms.get(room_id, {})
            if sessions.pop(session_id, None) is not None:
                removed = 1
            if not sessions:
                found.rooms.pop(room_id, None)
        if removed:
            found.etag += 1
        return found.progress()

    # -- scenarios --------------------------------------------------------------------------

    def import_version(self, user_id: str, version: BackupVersion) -> None:
        backups = self.users.setdefault(user_id, UserBackups())
        backups.versions[version.version] = version
        backups.last_number = max(backups.last_number, int(version.version))
