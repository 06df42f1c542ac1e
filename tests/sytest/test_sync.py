"""SyTest tests/31sync/02sync.pl, re-expressed: an initial sync, then one from it."""

from __future__ import annotations

import pytest

from tests.support import Account
from tests.sytest.sync31 import matrix_sync, matrix_sync_again

pytestmark = pytest.mark.anyio


async def test_can_sync(alice: Account) -> None:
    """02sync.pl, "Can sync" (``matrix_sync`` asserts ``next_batch`` in each answer)."""
    first = await matrix_sync(alice, timeout=0)
    assert isinstance(first["next_batch"], str)
    second = await matrix_sync_again(alice, timeout=0)
    assert isinstance(second["next_batch"], str)
