"""The to-device section: messages queued for the syncing device."""

from __future__ import annotations

from mockserver.core.model import ToDeviceMessage
from mockserver.core.store import Store


def to_device(
    store: Store, user_id: str, device_id: str, since: int, now: int
) -> list[ToDeviceMessage]:
    """Messages for this device in (since, now]."""
    if since >= now:
        return []
    return store.to_device_messages(user_id, device_id, since, now)
