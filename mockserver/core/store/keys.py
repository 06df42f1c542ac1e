"""End-to-end keys of devices: identity keys, one-time keys and fallback keys.

The keys live on each :class:`~mockserver.core.model.Device` of the accounts
area (``keys``, ``one_time_keys``, ``fallback_keys``, ``used_fallback_keys``),
so deleting a device deletes its keys; this area owns uploading, counting,
querying and claiming them, each upload checked whole before its first write.
A one-time key is handed out once; the fallback key of an algorithm is handed
out when no one-time key is left, and then stays, marked used, until the
device uploads another (``device_unused_fallback_key_types`` lists the
algorithms whose fallback key is still unused). New or changed identity keys
are a device-list change (:mod:`.device_lists`). Counts and unused types are
callable per device, for ``/sync`` and sliding sync's e2ee extension alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import M_INVALID_PARAM, M_UNKNOWN, MatrixError, bad_json, not_found
from mockserver.core.model import Device, JsonDict, Session, copy_json

if TYPE_CHECKING:
    from mockserver.core.store.accounts import Accounts
    from mockserver.core.store.cross_signing import CrossSigning
    from mockserver.core.store.device_lists import DeviceListLog

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


class Keys:
    """Device, one-time and fallback keys of every device."""

    def __init__(
        self, accounts: Accounts, device_lists: DeviceListLog, cross_signing: CrossSigning
    ) -> None:
        self._accounts = accounts
        self._device_lists = device_lists
        self._cross_signing = cross_signing

    def device(self, user_id: str, device_id: str) -> Device | None:
        user = self._accounts.users.get(user_id)
        return user.devices.get(device_id) if user is not None else None

    def upload_keys(
        self,
        session: Session,
        device_keys: JsonDict | None,
        one_time_keys: Mapping[str, Any] | None,
        fallback_keys: Mapping[str, Any] | None,
    ) -> dict[str, int]:
        """Store a device's keys; new or changed identity keys tell the device's watchers."""
        user_id, device_id = session.user_id, session.device_id
        device = self.device(user_id, device_id)
        if device is None:
            raise not_found("Unknown device")
        if device_keys is not None:
            check_device_keys(device_keys, user_id, device_id)
        check_one_time_keys(device, one_time_keys or {})
        check_fallback_keys(fallback_keys or {})
        if device_keys is not None and device_keys != device.keys:
            device.keys = copy_json(device_keys)
            self._device_lists.record(user_id)
        for key_id, key in (one_time_keys or {}).items():
            device.one_time_keys[key_id] = copy_json(key)
        store_fallback_keys(device, copy_json(dict(fallback_keys or {})))
        return one_time_key_counts(device)

    def mark_fallback_keys_used(self, user_id: str, device_id: str, key_ids: Iterable[str]) -> None:
        device = self.device(user_id, device_id)
        if device is not None:
            device.used_fallback_keys.update(k for k in key_ids if k in device.fallback_keys)

    def holds_device_keys(self, user_id: str, device_id: str) -> bool:
        """Whether the device has one-time or fallback keys uploaded (most have none)."""
        device = self.device(user_id, device_id)
        return device is not None and bool(device.one_time_keys or device.fallback_keys)

    def one_time_key_counts(self, user_id: str, device_id: str) -> dict[str, int]:
        return one_time_key_counts(self.device(user_id, device_id))

    def fallback_key_types(self, user_id: str, device_id: str) -> list[str]:
        return unused_fallback_key_types(self.device(user_id, device_id))

    def device_keys_of(self, user_id: str, device_id: str) -> JsonDict | None:
        device = self.device(user_id, device_id)
        return device.keys if device is not None else None

    def query_keys(self, querier: str, wanted: Mapping[str, list[str]]) -> JsonDict:
        """``POST /keys/query``: devices' keys and cross-signing keys, with the signatures
        ``querier`` may see; the user-signing key only of ``querier`` itself."""
        found: JsonDict = {
            "device_keys": {},
            "master_keys": {},
            "self_signing_keys": {},
            "user_signing_keys": {},
        }
        cross_signing = self._cross_signing
        for user_id, device_ids in wanted.items():
            user = self._accounts.users.get(user_id)
            if user is None:
                continue
            by_device: dict[str, JsonDict] = {}
            for device_id in device_ids or list(user.devices):
                device = user.devices.get(device_id)
                shown = shown_device_keys(device) if device is not None else None
                if shown is not None:
                    by_device[device_id] = cross_signing.with_signatures(
                        shown, user_id, device_id, querier
                    )
            found["device_keys"][user_id] = by_device
            for kind, key in cross_signing.query(user_id, querier).items():
                found[f"{kind}_keys"][user_id] = key
        return found

    def claim_keys(self, wanted: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, JsonDict]]:
        """``POST /keys/claim``: a one-time key per device, else its fallback key."""
        result: dict[str, dict[str, JsonDict]] = {}
        for user_id, by_device in wanted.items():
            for device_id, algorithm in by_device.items():
                device = self.device(user_id, device_id)
                claimed = claim(device, algorithm) if device is not None else None
                if claimed is not None:
                    key_id, key = claimed
                    result.setdefault(user_id, {})[device_id] = {key_id: copy_json(key)}
        return result
