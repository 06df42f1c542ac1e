"""End-to-end keys: device keys, one-time keys and fallback keys (a tolerant stub:
stored and echoed, never verified).

The keys live on each :class:`~mockserver.core.model.Device` of the accounts
area (``keys``, ``one_time_keys``, ``fallback_keys``), so deleting a device
deletes its keys; this area owns uploading, counting, querying and claiming
them. It has no stream: key changes wake nobody.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import not_found
from mockserver.core.model import JsonDict, Session

if TYPE_CHECKING:
    from mockserver.core.store.accounts import Accounts

#: A device's one-time key counts before it uploads any (some clients need the field).
NO_ONE_TIME_KEYS: Mapping[str, int] = MappingProxyType({"signed_curve25519": 0})


class Keys:
    """Device, one-time and fallback keys of every device."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts

    def upload_keys(
        self,
        session: Session,
        device_keys: JsonDict | None,
        one_time_keys: Mapping[str, Any] | None,
        fallback_keys: Mapping[str, Any] | None,
    ) -> dict[str, int]:
        device = self._accounts.user(session.user_id).devices.get(session.device_id)
        if device is None:
            raise not_found("Unknown device")
        if device_keys is not None:
            device.keys = copy.deepcopy(device_keys)
        for key_id, key in (one_time_keys or {}).items():
            device.one_time_keys[key_id] = copy.deepcopy(key)
        for key_id, key in (fallback_keys or {}).items():
            device.fallback_keys[key_id] = copy.deepcopy(key)
        return self.one_time_key_counts(session.user_id, session.device_id)

    def holds_device_keys(self, user_id: str, device_id: str) -> bool:
        """Whether the device has one-time or fallback keys uploaded (most have none)."""
        user = self._accounts.users.get(user_id)
        device = user.devices.get(device_id) if user is not None else None
        return device is not None and bool(device.one_time_keys or device.fallback_keys)

    def one_time_key_counts(self, user_id: str, device_id: str) -> dict[str, int]:
        counts: dict[str, int] = dict(NO_ONE_TIME_KEYS)
        user = self._accounts.users.get(user_id)
        device = user.devices.get(device_id) if user is not None else None
        if device is not None:
            for key_id in device.one_time_keys:
                algorithm = key_id.split(":", 1)[0]
                counts[algorithm] = counts.get(algorithm, 0) + 1
        return counts

    def fallback_key_types(self, user_id: str, device_id: str) -> list[str]:
        user = self._accounts.users.get(user_id)
        device = user.devices.get(device_id) if user is not None else None
        if device is None or not device.fallback_keys:
            return []
        return sorted({key_id.split(":", 1)[0] for key_id in device.fallback_keys})

    def query_keys(self, wanted: Mapping[str, Any]) -> dict[str, dict[str, JsonDict]]:
        result: dict[str, dict[str, JsonDict]] = {}
        for user_id, device_ids in wanted.items():
            user = self._accounts.users.get(user_id)
            if user is None:
                continue
            chosen = device_ids if isinstance(device_ids, list) and device_ids else list(user.devices)
            found: dict[str, JsonDict] = {}
            for device_id in chosen:
                device = user.devices.get(device_id)
                if device is not None and device.keys is not None:
                    found[device_id] = copy.deepcopy(device.keys)
            result[user_id] = found
        return result

    def claim_keys(self, wanted: Mapping[str, Any]) -> dict[str, dict[str, JsonDict]]:
        result: dict[str, dict[str, JsonDict]] = {}
        for user_id, by_device in wanted.items():
            user = self._accounts.users.get(user_id)
            if user is None or not isinstance(by_device, dict):
                continue
            for device_id, algorithm in by_device.items():
                device = user.devices.get(device_id)
                if device is None or not isinstance(algorithm, str):
                    continue
                for pool in (device.one_time_keys, device.fallback_keys):
                    key_id = next((k for k in pool if k.startswith(algorithm + ":")), None)
                    if key_id is not None:
                        key = pool[key_id] if pool is device.fallback_keys else pool.pop(key_id)
                        result.setdefault(user_id, {})[device_id] = {key_id: key}
                        break
        return result
