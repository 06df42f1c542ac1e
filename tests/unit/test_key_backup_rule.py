"""The spec's rule for whether an uploaded backup session replaces the stored one."""

from __future__ import annotations

import pytest

from mockserver.core.store.key_backup import better


def session(verified: bool, index: int, forwarded: int) -> dict[str, object]:
    return {
        "is_verified": verified,
        "first_message_index": index,
        "forwarded_count": forwarded,
        "session_data": {},
    }


@pytest.mark.parametrize(
    ("new", "old", "replaces"),
    [
        (session(False, 5, 5), None, True),
        (session(True, 9, 9), session(False, 0, 0), True),  # verified wins over anything
        (session(False, 0, 0), session(True, 9, 9), False),
        (session(False, 1, 9), session(False, 2, 0), True),  # then the lower index
        (session(False, 3, 0), session(False, 2, 9), False),
        (session(True, 2, 1), session(True, 2, 2), True),  # then the fewer forwards
        (session(True, 2, 3), session(True, 2, 2), False),
        (session(False, 2, 2), session(False, 2, 2), False),  # a tie keeps what is stored
    ],
)
def test_the_better_session_replaces(
    new: dict[str, object], old: dict[str, object] | None, replaces: bool
) -> None:
    assert better(new, old) is replaces
