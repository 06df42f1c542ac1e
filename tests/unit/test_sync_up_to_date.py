"""``up_to_date``: an incremental sync whose token is the store's position has nothing
to report, which a long-poll's first look relies on instead of computing it. Whenever it
says so, ``compute_sync`` agrees; any change of any stream ends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mockserver.core.clock import Clock
from mockserver.core.filters import EMPTY_FILTER
from mockserver.core.store import CreateRoom, Store
from mockserver.core.sync import SyncRequest, compute_sync, up_to_date

ME, OTHER = "@me:localhost", "@other:localhost"


def _world() -> tuple[Store, str]:
    clock = Clock()
    clock.freeze(1_000_000)
    store = Store(clock=clock)
    for user in (ME, OTHER):
        store.create_user(user, None)
    store.new_session(ME, "DEV")
    room_id = store.create_room(ME, CreateRoom(preset="public_chat"))
    store.join(OTHER, room_id)
    return store, room_id


def _request(store: Store, *, stable: bool = True, full_state: bool = False) -> SyncRequest:
    return SyncRequest(
        user_id=ME,
        device_id="DEV",
        since=store.position,
        filter=EMPTY_FILTER,
        full_state=full_state,
        stable=stable,
    )


@pytest.mark.parametrize("stable", [True, False])
def test_a_sync_from_the_stores_position_has_nothing_to_report(stable: bool) -> None:
    store, _ = _world()
    request = _request(store, stable=stable)
    assert up_to_date(store, request)
    assert not compute_sync(store, request)


CHANGES: dict[str, Callable[[Store, str], None]] = {
    "a message": lambda store, room: store.send_event(OTHER, room, "m.room.message", {"body": "hi"}),
    "typing": lambda store, room: store.set_typing(OTHER, room, True, 30_000),
    "presence": lambda store, room: store.set_presence(OTHER, "online"),
    "a to-device message": lambda store, room: store.send_to_device(
        OTHER, "m.x", {ME: {"DEV": {"a": 1}}}
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_since_ends_it_and_the_sync_reports_it(change: str) -> None:
    store, room_id = _world()
    request = _request(store)
    CHANGES[change](store, room_id)
    assert not up_to_date(store, request)
    assert compute_sync(store, request)


def test_typing_that_expires_meanwhile_ends_it() -> None:
    store, room_id = _world()
    store.set_typing(OTHER, room_id, True, 1_000)
    request = _request(store)
    assert up_to_date(store, request)
    store.clock.advance(1_000)
    assert not up_to_date(store, request)
    assert compute_sync(store, request).joined  # the typing set emptied


def test_an_initial_or_full_state_sync_is_never_up_to_date() -> None:
    store, _ = _world()
    initial = SyncRequest(user_id=ME, device_id="DEV", since=None, filter=EMPTY_FILTER, stable=True)
    assert not up_to_date(store, initial)
    assert not up_to_date(store, _request(store, full_state=True))
