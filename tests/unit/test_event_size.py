"""The 64 KiB event limit is counted on the whole persisted event, to the byte."""

from __future__ import annotations

import orjson
import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import MatrixError
from mockserver.core.store import MAX_EVENT_BYTES, Store

ROOM, SENDER = "!room:localhost", "@alice:localhost"


def envelope_size(store: Store, content: dict[str, object], state_key: str | None) -> int:
    """The size as the limit defines it: the event as persisted, with a full-length id."""
    return len(
        orjson.dumps(
            {
                "type": "m.room.message",
                "room_id": ROOM,
                "sender": SENDER,
                "content": content,
                "state_key": state_key,
                "event_id": "$" + "x" * 43,
                "origin_server_ts": store.now(),
            }
        )
    )


@pytest.mark.parametrize("state_key", [None, "", "@bob:localhost"])
@pytest.mark.parametrize("over", [-1, 0, 1])
def test_event_size_limit_is_exact(state_key: str | None, over: int) -> None:
    clock = Clock()
    clock.freeze()
    store = Store(clock=clock)
    content: dict[str, object] = {"msgtype": "m.text", "body": "", "n": [1, 2.5, None, "é"]}
    content["body"] = "x" * (MAX_EVENT_BYTES - envelope_size(store, content, state_key) + over)
    assert envelope_size(store, content, state_key) == MAX_EVENT_BYTES + over
    room = store.ensure_room(ROOM)
    if over > 0:
        with pytest.raises(MatrixError) as refused:
            store._check_event(room, "m.room.message", SENDER, content, state_key)
        assert refused.value.errcode == "M_TOO_LARGE"
        with pytest.raises(MatrixError):
            store.check_event_size(ROOM, "m.room.message", SENDER, content, state_key)
    else:
        checked = store._check_event(room, "m.room.message", SENDER, content, state_key)
        assert checked == content and checked is not content
        assert checked["n"] is not content["n"]  # a deep copy
        store.check_event_size(ROOM, "m.room.message", SENDER, content, state_key)
