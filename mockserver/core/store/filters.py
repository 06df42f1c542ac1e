"""Stored filters: the definitions users upload with ``POST /user/{userId}/filter``.

Owns each user's list of definitions (a filter id is its index). Checking and
matching a filter is :mod:`mockserver.core.filters`' job; this area only keeps them.
"""

from __future__ import annotations

import copy
import re

from mockserver.core.model import JsonDict

FILTER_ID = re.compile(r"0|[1-9][0-9]{0,8}")


class StoredFilters:
    """Each user's uploaded filter definitions, in upload order."""

    def __init__(self) -> None:
        self.filters: dict[str, list[JsonDict]] = {}

    def upload_filter(self, user_id: str, definition: JsonDict) -> str:
        stored = self.filters.setdefault(user_id, [])
        stored.append(copy.deepcopy(definition))
        return str(len(stored) - 1)

    def get_filter(self, user_id: str, filter_id: str) -> JsonDict | None:
        if not FILTER_ID.fullmatch(filter_id):
            return None
        stored = self.filters.get(user_id, [])
        index = int(filter_id)
        return stored[index] if index < len(stored) else None
