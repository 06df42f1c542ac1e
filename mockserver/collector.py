"""Python's cycle collector, paused around work that makes many objects and no cycles.

A big account holds millions of objects; a full collection walks them all (a
tenth to half a second on the shared bench machine), and the objects a big
answer or a scenario load makes trigger one every few answers. What that work
makes is either kept (reachable) or freed by reference counting as soon as it
is dropped: the collector has nothing to find in it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the ``with`` block (and left as it was after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
