"""SyTest tests/31sync/01filter.pl, re-expressed: creating and downloading a filter."""

from __future__ import annotations

import pytest

from tests.support import Account

pytestmark = pytest.mark.anyio

TIMELINE_10 = {"room": {"timeline": {"limit": 10}}}


async def test_can_create_filter(alice: Account) -> None:
    """01filter.pl, "Can create filter"."""
    body = await alice.call("POST", f"/user/{alice.user_id}/filter", json=TIMELINE_10)
    assert isinstance(body["filter_id"], str)


async def test_can_download_filter(alice: Account) -> None:
    """01filter.pl, "Can download filter"."""
    filter_id = await alice.upload_filter(TIMELINE_10)
    body = await alice.call("GET", f"/user/{alice.user_id}/filter/{filter_id}")
    assert body["room"]["timeline"]["limit"] == 10
