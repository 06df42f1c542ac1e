"""``/sync`` in both dialects, from one computation.

``GET /_matrix/client/v2_alpha/sync`` answers in the seed's shape: rooms
grouped under ``rooms.default.{joined,invited,archived}``, each room's events
once in ``event_map`` and referenced by id from ``state`` and ``timeline``,
state as of the end of the timeline, three-part tokens.

``GET /_matrix/client/{r0,v3}/sync`` answers in today's shape: ``rooms.join``
/ ``invite`` / ``leave`` with events inline, state at the start of the
timeline (or ``state_after`` on request), receipts, account data, unread
counts, to-device and the rest, six-part tokens.

Both parse the same parameters, mark presence, and long-poll through the
notifier until :func:`~mockserver.core.sync.compute_sync` has something to
report or the timeout passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from mockserver.api import params
from mockserver.api.format import (
    account_data_event,
    client_event,
    presence_event,
    receipt_event,
    seed_event,
    stripped_event,
    to_device_event,
    typing_event,
)
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.shared import SHARED
from mockserver.core.errors import M_NOT_JSON, M_UNKNOWN_TOKEN, MatrixError, invalid_param
from mockserver.core.filters import EMPTY_FILTER, Filter, parse_filter
from mockserver.core.model import AccountData, Event, JsonDict, Session
from mockserver.core.store import NO_ONE_TIME_KEYS, Store
from mockserver.core.sync import (
    JoinedRoom,
    LeftRoom,
    StateAt,
    SyncRequest,
    SyncResult,
    Timeline,
    compute_sync,
)
from mockserver.core.tokens import ALL_PARTS, SEED_PARTS, StreamToken
from mockserver.notifier import room_key, user_key
from mockserver.responses import OrjsonResponse

PRESENCE_CHOICES = ("online", "offline", "unavailable")
T = TypeVar("T")


# -- parameters --------------------------------------------------------------------------


def sync_filter(store: Store, user_id: str, text: str | None) -> Filter:
    """The ``filter`` parameter: a stored filter id, or inline JSON starting with ``{``."""
    if text is None or text == "":
        return EMPTY_FILTER
    if text.lstrip().startswith("{"):
        try:
            definition = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise MatrixError(M_NOT_JSON, "Invalid filter JSON") from None
        return parse_filter(definition)
    stored = store.get_filter(user_id, text)
    if stored is None:
        raise invalid_param("No such filter")
    return parse_filter(stored)


def since_token(store: Store, text: str | None) -> StreamToken | None:
    if text is None:
        return None
    token = StreamToken.parse(text)
    if not token.within(store.position):
        raise invalid_param(f"Unknown stream token {text!r}")
    return token


async def run_sync(call: Call, *, stable: bool) -> tuple[SyncResult, SyncRequest]:
    query = call.query
    if "from" in query:
        raise invalid_param("'from' is not a valid query parameter. Did you mean 'since'?")
    store = call.store
    session = call.session
    assert session is not None
    timeout = params.query_int(query, "timeout", 0) or 0
    set_presence = params.query_choice(query, "set_presence", PRESENCE_CHOICES)
    full_state = params.query_bool(query, "full_state")
    state_after = stable and (
        params.query_bool(query, "use_state_after")
        or params.query_bool(query, "org.matrix.msc4222.use_state_after")
    )
    state_at: StateAt = "timeline_end" if (state_after or not stable) else "timeline_start"
    request = SyncRequest(
        user_id=session.user_id,
        device_id=session.device_id,
        since=since_token(store, query.get("since")),
        filter=sync_filter(store, session.user_id, query.get("filter")),
        state_at=state_at,
        full_state=full_state,
        stable=stable,
    )
    store.mark_syncing(session.user_id, set_presence)
    if request.since is None or timeout <= 0 or full_state:
        result = compute_sync(store, request)
    else:
        result = await _long_poll(call, request, timeout)
    call.hs.synced(session.user_id)
    return result, request


async def _long_poll(call: Call, request: SyncRequest, timeout: int) -> SyncResult:
    store = call.store
    return await long_poll(call, lambda: compute_sync(store, request), timeout)


async def long_poll(call: Call, compute: Callable[[], T], timeout: int) -> T:
    """``compute()`` once it has something to say, or at the timeout: the long-poll of
    every sync dialect. Woken by the user's own changes and those of their joined rooms;
    answers 401 at once if the access token is logged out meanwhile."""
    store = call.store
    session = call.session
    assert session is not None

    def checked() -> T:
        current = store.session_for(session.access_token)
        if current is not session and current != session:
            raise MatrixError(M_UNKNOWN_TOKEN, "Access token was logged out", soft_logout=False)
        return compute()

    def keys() -> list[str]:
        return [user_key(session.user_id), *map(room_key, store.joined_rooms(session.user_id))]

    return await call.hs.notifier.wait_for(
        checked,
        keys=keys,
        deadline_ms=store.now() + timeout,
        label=session.user_id,
        next_wake_ms=store.next_typing_expiry,
    )


# -- the seed's dialect ------------------------------------------------------------------


def _seed_room(
    entry: JoinedRoom | LeftRoom,
    session: Session,
    now: int,
    fields: tuple[str, ...] | None,
) -> JsonDict:
    events: dict[str, Event] = {e.event_id: e for e in entry.state}
    events.update((e.event_id, e) for e in entry.timeline.events)
    return {
        "event_map": {
            event_id: seed_event(event, session, now, fields)
            for event_id, event in events.items()
        },
        "state": {"events": [e.event_id for e in entry.state]},
        "timeline": {
            "events": [e.event_id for e in entry.timeline.events],
            "limited": entry.timeline.limited,
            "prev_batch": entry.timeline.prev_batch.format(SEED_PARTS),
        },
    }


def encode_seed(result: SyncResult, session: Session, now: int, sync: SyncRequest) -> JsonDict:
    fields = sync.filter.event_fields
    room_map: dict[str, JsonDict] = {}
    for joined in result.joined:
        entry = _seed_room(joined, session, now, fields)
        ephemeral = []
        if joined.typing is not None:
            ephemeral.append({"room_id": joined.room_id, **typing_event(joined.typing)})
        entry["ephemeral"] = {"events": ephemeral}
        room_map[joined.room_id] = entry
    for invited in result.invited:
        room_map[invited.room_id] = {
            "invite_state": {"events": [stripped_event(e) for e in invited.invite_state]}
        }
    for left in result.left:
        room_map[left.room_id] = _seed_room(left, session, now, fields)
    return {
        "next_batch": result.next_batch.format(SEED_PARTS),
        "rooms": {
            "default": {
                "joined": [r.room_id for r in result.joined],
                "invited": [r.room_id for r in result.invited],
                "archived": [r.room_id for r in result.left],
            }
        },
        "room_map": room_map,
        "presence": {"events": [presence_event(p, now) for p in result.presence]},
    }


@endpoint("/sync", "GET")
async def get_seed_sync(call: Call) -> Reply:
    result, request = await run_sync(call, stable=False)
    session = call.session
    assert session is not None
    now = call.store.now()
    key = ("seed", request.filter.event_fields)
    return OrjsonResponse.encoded(
        SHARED.answer(result, session, now, key, lambda: encode_seed(result, session, now, request))
    )


# -- today's dialect ---------------------------------------------------------------------


def _events(
    events: list[Event], session: Session, now: int, fields: tuple[str, ...] | None
) -> list[JsonDict]:
    if not events:
        return []
    return [client_event(e, session, now, with_room_id=False, event_fields=fields) for e in events]


def encode_timeline(
    timeline: Timeline, session: Session, now: int, fields: tuple[str, ...] | None
) -> JsonDict:
    """``{"events", "limited", "prev_batch"}``, shared with the other answers of the moment."""
    shared = SHARED.timeline(timeline, session, now, fields)
    if shared is not None:
        return shared
    encoded = {
        "events": _events(timeline.events, session, now, fields),
        "limited": timeline.limited,
        "prev_batch": timeline.prev_batch.format(ALL_PARTS),
    }
    SHARED.keep_timeline(timeline, session, now, fields, encoded)
    return encoded


def _state(
    entry: JoinedRoom | LeftRoom, sync: SyncRequest, session: Session, now: int
) -> JsonDict:
    state = {"events": _events(entry.state, session, now, sync.filter.event_fields)}
    if sync.state_at == "timeline_end":
        return {"state_after": state, "org.matrix.msc4222.state_after": state}
    return {"state": state}


def _stable_joined(entry: JoinedRoom, sync: SyncRequest, session: Session, now: int) -> JsonDict:
    ephemeral: list[JsonDict] = []
    if entry.typing is not None:
        ephemeral.append(typing_event(entry.typing))
    if entry.receipts:
        ephemeral.append(receipt_event(entry.receipts))
    summary: dict[str, Any] = {}
    if entry.summary is not None:
        if entry.summary.heroes is not None:
            summary["m.heroes"] = entry.summary.heroes
        if entry.summary.joined_member_count is not None:
            summary["m.joined_member_count"] = entry.summary.joined_member_count
        if entry.summary.invited_member_count is not None:
            summary["m.invited_member_count"] = entry.summary.invited_member_count
    notifications, highlights = entry.unread or (0, 0)
    return {
        "summary": summary,
        **_state(entry, sync, session, now),
        "timeline": encode_timeline(entry.timeline, session, now, sync.filter.event_fields),
        "ephemeral": {"events": ephemeral},
        "account_data": {"events": _account_data(entry.account_data)},
        "unread_notifications": {
            "notification_count": notifications,
            "highlight_count": highlights,
        },
    }


def _account_data(entries: list[AccountData]) -> list[JsonDict]:
    return [account_data_event(a) for a in entries] if entries else []


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """What a stable answer says of the syncing device's own encryption keys."""

    one_time_key_counts: tuple[tuple[str, int], ...]
    fallback_key_types: tuple[str, ...]

    @classmethod
    def of(cls, store: Store, session: Session) -> DeviceKeys:
        user_id, device_id = session.user_id, session.device_id
        if not store.holds_device_keys(user_id, device_id):
            return NO_DEVICE_KEYS
        return cls(
            tuple(store.one_time_key_counts(user_id, device_id).items()),
            tuple(store.fallback_key_types(user_id, device_id)),
        )


NO_DEVICE_KEYS = DeviceKeys(tuple(NO_ONE_TIME_KEYS.items()), ())


def encode_stable(
    result: SyncResult, session: Session, now: int, sync: SyncRequest, keys: DeviceKeys
) -> JsonDict:
    # Empty sections are written as literals, not comprehensions over nothing: most
    # answers (a woken long-poll's above all) have only one or two non-empty ones.
    fields = sync.filter.event_fields
    body: JsonDict = {
        "next_batch": SHARED.next_batch(result.next_batch),
        "rooms": {
            "join": {r.room_id: _stable_joined(r, sync, session, now) for r in result.joined},
            "invite": {
                r.room_id: {"invite_state": {"events": [stripped_event(e) for e in r.invite_state]}}
                for r in result.invited
            }
            if result.invited
            else {},
            "leave": {
                r.room_id: {
                    **_state(r, sync, session, now),
                    "timeline": encode_timeline(r.timeline, session, now, fields),
                    "account_data": {"events": _account_data(r.account_data)},
                }
                for r in result.left
            }
            if result.left
            else {},
            "knock": {},
        },
        "presence": {
            "events": [presence_event(p, now) for p in result.presence] if result.presence else []
        },
        "account_data": {"events": _account_data(result.account_data)},
        "to_device": {
            "events": [to_device_event(m) for m in result.to_device]
            if result.to_device
            else []
        },
        "device_one_time_keys_count": dict(keys.one_time_key_counts),
        "device_unused_fallback_key_types": list(keys.fallback_key_types),
    }
    if result.device_lists is not None:
        body["device_lists"] = {
            "changed": result.device_lists.changed,
            "left": result.device_lists.left,
        }
    return body


@endpoint("/sync", "GET")
async def get_stable_sync(call: Call) -> Reply:
    result, request = await run_sync(call, stable=True)
    session = call.session
    assert session is not None
    store = call.store
    now = store.now()
    keys = DeviceKeys.of(store, session)
    key = ("stable", request.filter.event_fields, request.state_at, keys)
    return OrjsonResponse.encoded(
        SHARED.answer(
            result, session, now, key, lambda: encode_stable(result, session, now, request, keys)
        )
    )


seed_routes = [get_seed_sync]
stable_routes = [get_stable_sync]
