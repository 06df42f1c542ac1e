"""A device's own encryption keys: identity keys, one-time keys and fallback keys.

Pure checks and computations over a :class:`Device`; the store calls them
before it writes. A one-time key is handed out once; the fallback key of
an algorithm is handed out when no one-time key is left, and then stays,
marked used, until the device uploads another (the spec's
``device_unused_fallback_key_types`` lists the algorithms whose fallback
key is still unused). Counts and unused types are callable per device, for
``/sync`` and for sliding sync's e2ee extension alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockserver.core.errors import M_INVALID_PARAM, M_UNKNOWN, MatrixError, bad_json
from mockserver.core.model import Device, JsonDict

#: A device's one-time key counts before it uploads any (some clients need the field).
NO_ONE_TIME_KEYS: Mapping[str, int] = MappingProxyType({"signed_curve25519": 0})


def algorithm_of(key_id: str) -> str:
    return key_id.split(":", 1)[0]


def check_device_keys(value: Mapping[str, Any], user_id: str, device_id: str) -> None:
    """A DeviceKeys object for the uploading device (Synapse refuses any other)."""
    if value.get("user_id") != user_id or value.get("device_id") != device_id:
        raise MatrixError(
            M_INVALID_PARAM,
            "Provided 'user_id' and 'device_id' must match that of the authenticated user",
        )
    algorithms = value.get("algorithms")
    if not isinstance(algorithms, list) or not all(isinstance(a, str) for a in algorithms):
        raise bad_json("'device_keys.algorithms' must be a list of strings")
    keys = value.get("keys")
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and ":" in k and isinstance(v, str) for k, v in keys.items()
    ):
        raise bad_json("'device_keys.keys' must map '<algorithm>:<device id>' to strings")
    signatures = value.get("signatures")
    if not isinstance(signatures, dict) or not all(
        isinstance(by_key, dict) for by_key in signatures.values()
    ):
        raise bad_json("'device_keys.signatures' must map users to objects")


def _check_key_map(value: Mapping[str, Any], field: str) -> None:
    for key_id, key in value.items():
        if ":" not in key_id or not key_id.split(":", 1)[1]:
            raise bad_json(f"'{field}' key ids must be '<algorithm>:<key id>', not {key_id!r}")
        if not isinstance(key, (dict, str)):
            raise bad_json(f"'{field}.{key_id}' must be an object or a string")


def check_one_time_keys(device: Device, value: Mapping[str, Any]) -> None:
    """New one-time keys; re-uploading a held key is fine, changing one is not (Synapse)."""
    _check_key_map(value, "one_time_keys")
    for key_id, key in value.items():
        held = device.one_time_keys.get(key_id)
        if held is not None and held != key:
            raise MatrixError(M_UNKNOWN, f"One time key {key_id} already exists")


def check_fallback_keys(value: Mapping[str, Any]) -> None:
    _check_key_map(value, "fallback_keys")


def store_fallback_keys(device: Device, value: Mapping[str, Any]) -> None:
    """Each uploaded key replaces the algorithm's fallback key; the same key keeps its state."""
    for key_id, key in value.items():
        if device.fallback_keys.get(key_id) == key:
            continue
        algorithm = algorithm_of(key_id)
        for old in [k for k in device.fallback_keys if algorithm_of(k) == algorithm]:
            del device.fallback_keys[old]
            device.used_fallback_keys.discard(old)
        device.fallback_keys[key_id] = key


def claim(device: Device, algorithm: str) -> tuple[str, Any] | None:
    """Take a one-time key of ``algorithm``, else hand out (and mark used) its fallback key."""
    prefix = algorithm + ":"
    key_id = next((k for k in device.one_time_keys if k.startswith(prefix)), None)
    if key_id is not None:
        return key_id, device.one_time_keys.pop(key_id)
    key_id = next((k for k in device.fallback_keys if k.startswith(prefix)), None)
    if key_id is not None:
        device.used_fallback_keys.add(key_id)
        return key_id, device.fallback_keys[key_id]
    return None


def one_time_key_counts(device: Device | None) -> dict[str, int]:
    counts: dict[str, int] = dict(NO_ONE_TIME_KEYS)
    if device is not None:
        for key_id in device.one_time_keys:
            algorithm = algorithm_of(key_id)
            counts[algorithm] = counts.get(algorithm, 0) + 1
    return counts


def unused_fallback_key_types(device: Device | None) -> list[str]:
    if device is None or not device.fallback_keys:
        return []
    return sorted(
        {
            algorithm_of(key_id)
            for key_id in device.fallback_keys
            if key_id not in device.used_fallback_keys
        }
    )


def shown_device_keys(device: Device) -> JsonDict | None:
    """The device's keys as ``keys/query`` shows them (before signatures are merged)."""
    if device.keys is None:
        return None
    shown: JsonDict = dict(device.keys)
    unsigned = dict(shown.get("unsigned") or {})
    if device.display_name is not None:
        unsigned["device_display_name"] = device.display_name
    if unsigned:
        shown["unsigned"] = unsigned
    return shown
