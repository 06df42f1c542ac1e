"""Store methods the scenario loader replays through: import, bare rooms, renaming, listing."""

from __future__ import annotations

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import MatrixError
from mockserver.core.store import MessageRun, Store


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


def _message_run_world(seed: int) -> tuple[Store, str]:
    clock = Clock()
    clock.freeze(1_000_000)
    store = Store(clock=clock, seed=seed)
    store.create_user("@alice:localhost", None, displayname="Alice")
    store.create_user("@bob:localhost", None, displayname="Bob")
    room = store.ensure_room("!r:localhost")
    for user in ("@alice:localhost", "@bob:localhost"):
        store.import_event(
            room.room_id,
            "m.room.member",
            user,
            {"membership": "join", "displayname": user[1:].split(":")[0].title()},
            state_key=user,
        )
    return store, room.room_id


ALICE_BOB = ("@alice:localhost", "@bob:localhost")


@pytest.mark.parametrize(
    ("count", "senders"),
    [(7, ALICE_BOB), (7, (*ALICE_BOB, "@alice:localhost")), (1, ALICE_BOB)],
)
def test_a_message_run_is_the_messages_it_stands_for(count: int, senders: tuple[str, ...]) -> None:
    """Expanded by the store, a run gives the events (ids, positions, stamps, highlights,
    unread counts' indexes) that importing each of its messages gives."""
    run = MessageRun(
        count, senders, ("hi Bob {n}", "plain {n}", "@alice:localhost?"), "m.notice", 500, 10
    )
    by_run, room_id = _message_run_world(3)
    by_run.import_events(room_id, [run])
    one_by_one, _ = _message_run_world(3)
    one_by_one.import_events(
        room_id,
        [
            (
                "m.room.message",
                senders[i % len(senders)],
                {"msgtype": "m.notice", "body": run.body(i)},
                None,
                500 + 10 * i,
                None,
                None,
            )
            for i in range(count)
        ],
    )
    expanded, single = by_run.rooms[room_id], one_by_one.rooms[room_id]
    assert len(expanded.events) == 2 + count
    assert expanded.events == single.events
    assert expanded.notifications == single.notifications
    assert list(expanded.notifications.by_sender) == list(single.notifications.by_sender)
    assert list(expanded.notifications.highlights) == list(single.notifications.highlights)
    if senders == ALICE_BOB and count == 7:
        bodies = [e.content["body"] for e in expanded.events[2:]]
        assert bodies[-3:] == ["plain 5", "@alice:localhost?", "hi Bob 7"]
        # By name or user id, never the sender's own (depth 6: Bob's "hi Bob 4").
        assert expanded.notifications.highlights == {
            "@bob:localhost": [3, 9],
            "@alice:localhost": [8],
        }
    assert by_run.position == one_by_one.position
    assert by_run.event_index == one_by_one.event_index


def test_a_message_run_too_large_is_refused() -> None:
    store, room_id = _message_run_world(0)
    run = MessageRun(2, ("@alice:localhost",), ("x" * 70_000 + "{n}",), "m.text", 0, 0)
    with pytest.raises(MatrixError) as caught:
        store.import_events(room_id, [run])
    assert caught.value.errcode == "M_TOO_LARGE"
