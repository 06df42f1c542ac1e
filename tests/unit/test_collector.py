"""collector_paused (mockserver/collector.py): the cycle collector off inside, as it was after."""

from __future__ import annotations

import gc

import pytest

from mockserver.collector import collector_paused


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_off_inside_and_as_it_was_after(enabled_before: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled_before else gc.disable()
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested: the inner one leaves it off
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled() == enabled_before
        with pytest.raises(ValueError), collector_paused():
            raise ValueError("an answer that fails")
        assert gc.isenabled() == enabled_before
    finally:
        gc.enable() if was else gc.disable()
