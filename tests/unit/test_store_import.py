"""Store methods the scenario loader replays through: import, bare rooms, renaming, listing."""

from __future__ import annotations

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import MatrixError
from mockserver.core.store import Store


def _store() -> Store:
    clock = Clock()
    clock.freeze(1_000_000)
    store = Store(clock=clock)
    for name in ("alice", "bob"):
        store.create_user(f"@{name}:localhost", None)
    return store


def test_an_imported_redaction_strips_its_target() -> None:
    store = _store()
    room = store.ensure_room("!r:localhost")
    store.import_event(
        room.room_id,
        "m.room.member",
        "@alice:localhost",
        {"membership": "join"},
        state_key="@alice:localhost",
    )
    target = store.import_event(
        room.room_id, "m.room.message", "@alice:localhost", {"msgtype": "m.text", "body": "secret"}
    )
    redaction = store.import_event(
        room.room_id,
        "m.room.redaction",
        "@alice:localhost",
        {"redacts": target.event_id},
        event_id="$redaction",
    )
    redacted = store.event(target.event_id)
    assert redacted is not None
    assert redacted.content == {}
    assert redacted.redacted_because == redaction


def test_an_imported_redaction_of_an_unknown_event_is_just_an_event() -> None:
    store = _store()
    room = store.ensure_room()
    event = store.import_event(
        room.room_id, "m.room.redaction", "@alice:localhost", {"redacts": "$nowhere"}
    )
    assert store.event(event.event_id) == event


def test_ensure_room_generates_a_seeded_id_and_refuses_a_taken_one() -> None:
    first, second = _store(), _store()
    assert first.ensure_room().room_id == second.ensure_room().room_id
    with pytest.raises(MatrixError) as caught:
        first.ensure_room(next(iter(first.rooms)))
    assert caught.value.errcode == "M_ROOM_IN_USE"


def test_an_empty_store_may_take_another_server_name() -> None:
    store = Store()
    store.rename_server("example.com")
    assert store.server_name == "example.com"
    assert store.ensure_room().room_id.endswith(":example.com")
    with pytest.raises(MatrixError):
        store.rename_server("other.org")
    store.reset()
    store.rename_server("other.org")
    assert store.server_name == "other.org"


def test_publish_room_lists_without_a_membership_check() -> None:
    store = _store()
    room = store.ensure_room("!r:localhost")
    store.publish_room(room.room_id, True)
    assert room.room_id in store.public_rooms
    store.publish_room(room.room_id, False)
    assert room.room_id not in store.public_rooms


def test_a_receipt_may_carry_its_own_timestamp() -> None:
    store = _store()
    room = store.ensure_room("!r:localhost")
    joined = store.import_event(
        room.room_id,
        "m.room.member",
        "@bob:localhost",
        {"membership": "join"},
        state_key="@bob:localhost",
    )
    store.set_receipt("@bob:localhost", room.room_id, "m.read", joined.event_id, ts=42)
    store.set_receipt("@bob:localhost", room.room_id, "m.read.private", joined.event_id)
    assert [r.ts for r in room.receipts] == [42, 1_000_000]


def test_check_event_size_refuses_over_64_kib() -> None:
    store = _store()
    store.check_event_size("!r:localhost", "m.room.message", "@a:localhost", {"b": "x"}, None)
    with pytest.raises(MatrixError) as caught:
        store.check_event_size(
            "!r:localhost", "m.room.message", "@a:localhost", {"b": "x" * 70_000}, None
        )
    assert caught.value.errcode == "M_TOO_LARGE"
