"""A scenario's encryption state, checked: device keys, cross-signing, signatures, backups.

The checks are the store's own (what ``keys/upload``, ``device_signing/upload``
and ``/room_keys`` would refuse, a scenario may not hold either), reported at
the JSON path of the value. Signatures are taken as given: a scenario may
hold the signatures a client uploaded, and a test may want a bad one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeVar

from mockserver.core.errors import MatrixError
from mockserver.core.model import Device, JsonDict
from mockserver.core.store import key_backup, keys
from mockserver.core.store.cross_signing import KINDS, CrossSigning
from mockserver.scenarios.plan import DeviceKeysSpec, KeyBackupSpec
from mockserver.scenarios.reader import Node

T = TypeVar("T")
DEVICE_KEY_FIELDS = ("keys", "one_time_keys", "fallback_keys", "used_fallback_keys")


def device_keys(node: Node, user_id: str, device_id: str | None) -> DeviceKeysSpec | None:
    """The keys of a ``devices`` entry, or None when it has none."""
    if not any(node.has(field) for field in DEVICE_KEY_FIELDS):
        return None
    if device_id is None:
        node.fail("a device with keys needs its device_id")
    identity = node.get("keys")
    found: JsonDict | None = None
    if identity is not None:
        found = identity.json_object()
        _check(identity, lambda: keys.check_device_keys(found or {}, user_id, device_id))
    one_time: JsonDict = {}
    if (child := node.get("one_time_keys")) is not None:
        one_time = child.json_object()
        _check(child, lambda: keys.check_one_time_keys(Device(device_id), one_time))
    fallback: JsonDict = {}
    if (child := node.get("fallback_keys")) is not None:
        fallback = child.json_object()
        _check(child, lambda: keys.check_fallback_keys(fallback))
        algorithms = [keys.algorithm_of(key_id) for key_id in fallback]
        if len(set(algorithms)) != len(algorithms):
            child.fail("one fallback key per algorithm")
    used: list[str] = []
    for item in node.at("used_fallback_keys").array() if node.has("used_fallback_keys") else []:
        key_id = item.string()
        if key_id not in fallback:
            item.fail(f"{key_id!r} is not one of the device's fallback keys")
        used.append(key_id)
    return DeviceKeysSpec(
        copy.deepcopy(found), copy.deepcopy(one_time), copy.deepcopy(fallback), tuple(used)
    )


def cross_signing(node: Node, user_id: str) -> dict[str, JsonDict]:
    """Master, self-signing and user-signing keys, as ``device_signing/upload`` checks them."""
    node.fields(tuple(KINDS))
    body = node.json_object()
    checked: dict[str, JsonDict] = {}

    def plan() -> None:
        checked.update(CrossSigning().plan_upload(user_id, body)[0])

    _check(node, plan)
    return copy.deepcopy(checked)


def signatures(node: Node) -> JsonDict:
    """user -> key id -> signing key id -> signature (strings all the way down)."""
    for _user, by_key in node.items():
        for _key_id, by_signing_key in by_key.items():
            for _signing_key, signature in by_signing_key.items():
                signature.string(non_empty=True)
    return copy.deepcopy(node.json_object())


def key_backups(node: Node) -> tuple[KeyBackupSpec, ...]:
    found: list[KeyBackupSpec] = []
    for entry in node.array():
        entry.fields(("version", "algorithm", "auth_data", "etag", "rooms"), required=("version",))
        version_node = entry.at("version")
        version = version_node.string()
        if not version.isdigit() or version != str(int(version)) or version == "0":
            version_node.fail("a backup version is a positive number, as a string")
        if any(spec.version == version for spec in found):
            version_node.fail(f"version {version} is listed twice")
        body = entry.json_object()
        algorithm, auth_data = _check(entry, lambda: key_backup.check_version_info(body))
        etag = entry.at("etag").integer(minimum=0) if entry.has("etag") else 0
        rooms = {}
        if (child := entry.get("rooms")) is not None:
            rooms = _check(child, lambda: key_backup.check_rooms(child.value if child else None))
        found.append(
            KeyBackupSpec(version, algorithm, copy.deepcopy(auth_data), etag, copy.deepcopy(rooms))
        )
    return tuple(found)


def _check(node: Node, check: Callable[[], T]) -> T:
    try:
        return check()
    except MatrixError as error:
        node.fail(error.error)
