"""To-device messages: each device's queue of messages sent to it.

Owns the queues (keyed by user and device, in stream order) and the
``to_device`` stream of the position. It reads the accounts (messages go to
known devices only) and records the sender's transaction id in
:attr:`Whole.txns` so a repeated ``PUT /sendToDevice`` delivers nothing twice.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import bad_json
from mockserver.core.model import JsonDict, ToDeviceMessage
from mockserver.core.store.base import TxnKey, Whole

if TYPE_CHECKING:
    from mockserver.core.store.accounts import Accounts


def _stream(entry: ToDeviceMessage) -> int:
    return entry.stream


class ToDeviceQueues:
    """Messages waiting for each device (kept: a sync's ``since`` says which are new)."""

    def __init__(self, whole: Whole, accounts: Accounts) -> None:
        self._whole = whole
        self._accounts = accounts
        self.to_device: dict[tuple[str, str], list[ToDeviceMessage]] = {}

    def send_to_device(
        self,
        sender: str,
        message_type: str,
        messages: Mapping[str, Mapping[str, Any]],
        *,
        txn: TxnKey | None = None,
    ) -> None:
        whole = self._whole
        if txn is not None and txn in whole.txns:
            return
        users = self._accounts.users
        deliveries: list[tuple[str, str, JsonDict]] = []
        for user_id, by_device in messages.items():
            user = users.get(user_id)
            if user is None or not isinstance(by_device, dict):
                continue
            for device_id, content in by_device.items():
                if not isinstance(content, dict):
                    raise bad_json("To-device content must be a JSON object")
                targets = list(user.devices) if device_id == "*" else [device_id]
                for target in targets:
                    if target in user.devices:
                        deliveries.append((user_id, target, copy.deepcopy(content)))
        stream = whole.bump("to_device") if deliveries else 0
        for user_id, device_id, content in deliveries:
            self.to_device.setdefault((user_id, device_id), []).append(
                ToDeviceMessage(user_id, device_id, sender, message_type, content, stream)
            )
            whole.touch(users=(user_id,))
        if txn is not None:
            whole.txns[txn] = ""

    def forget_device(self, user_id: str, device_id: str) -> None:
        """Drop a deleted device's queue."""
        self.to_device.pop((user_id, device_id), None)

    def to_device_messages(
        self, user_id: str, device_id: str, after: int, upto: int
    ) -> list[ToDeviceMessage]:
        queue = self.to_device.get((user_id, device_id))
        if not queue or queue[-1].stream <= after:
            return []
        return queue[bisect_right(queue, after, key=_stream) : bisect_right(queue, upto, key=_stream)]
