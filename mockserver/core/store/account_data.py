"""Account data: per-user (and per-user-per-room) JSON objects set by clients.

Owns the latest entry for each (user, room or None, type) and each user's log
of entries in stream order (for incremental syncs), and the ``account_data``
stream of the position.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import M_TOO_LARGE, MatrixError, bad_json, not_found
from mockserver.core.model import AccountData, JsonDict
from mockserver.core.store.base import MAX_EVENT_BYTES, Whole, event_size

if TYPE_CHECKING:
    from mockserver.core.store.accounts import Accounts
    from mockserver.core.store.rooms import Rooms


def _stream(entry: AccountData) -> int:
    return entry.stream


class AccountDataLog:
    """Global and per-room account data of every user."""

    def __init__(self, whole: Whole, accounts: Accounts, rooms: Rooms) -> None:
        self._whole = whole
        self._accounts = accounts
        self._rooms = rooms
        self.account_data: dict[tuple[str, str | None, str], AccountData] = {}
        self.account_data_log: dict[str, list[AccountData]] = {}

    def set_account_data(
        self, user_id: str, room_id: str | None, data_type: str, content: Any
    ) -> None:
        self._accounts.user(user_id)
        if room_id is not None:
            self._rooms.room(room_id)
        if not isinstance(content, dict):
            raise bad_json("Account data content must be a JSON object")
        if event_size({"type": data_type, "content": content}) > MAX_EVENT_BYTES:
            raise MatrixError(M_TOO_LARGE, "Account data is too large")
        entry = AccountData(
            user_id, room_id, data_type, copy.deepcopy(content), self._whole.bump("account_data")
        )
        self.account_data[(user_id, room_id, data_type)] = entry
        self.account_data_log.setdefault(user_id, []).append(entry)
        self._whole.touch(users=(user_id,))

    def purge(self, user_id: str) -> None:
        """Forget a user's account data (a deactivated account's)."""
        for key in [k for k in self.account_data if k[0] == user_id]:
            del self.account_data[key]

    def get_account_data(self, user_id: str, room_id: str | None, data_type: str) -> JsonDict:
        entry = self.account_data.get((user_id, room_id, data_type))
        if entry is None:
            raise not_found("Account data not found")
        return entry.content

    def account_data_changes(self, user_id: str, after: int, upto: int) -> list[AccountData]:
        log = self.account_data_log.get(user_id)
        if not log or log[-1].stream <= after:
            return []
        return log[bisect_right(log, after, key=_stream) : bisect_right(log, upto, key=_stream)]
