"""``/sync`` in both dialects, from one computation.

``GET /_matrix/client/v2_alpha/sync`` answers in the seed's shape: rooms
grouped under ``rooms.default.{joined,invited,archived}``, each room's events
once in ``event_map`` and referenced by id from ``state`` and ``timeline``,
state as of the end of the timeline, three-part tokens.

``GET /_matrix/client/{r0,v3}/sync`` answers in today's shape: ``rooms.join``
/ ``invite`` / ``leave`` with events inline, state at the start of the
timeline (or ``state_after`` on request), receipts, account data, unread
counts, to-device and the rest, seven-part tokens.

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
from mockserver.api.encoded import ENCODED
from mockserver.api.entries import (
    ENTRIES,
    JOIN_SECTION,
    STATE_EVENTS,
    Pieces,
    TIMELINE_EVENTS,
    join_section,
    positions_after_room,
    prev_batch_slot,
    spliced,
)
from mockserver.api.format import (
    account_data_event,
    client_event,
    federation_event,
    presence_event,
    receipt_event,
    seed_event,
    stripped_event,
    to_device_event,
    typing_event,
)
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.shared import SHARED
from mockserver.collector import collector_paused
from mockserver.core.errors import M_NOT_JSON, M_UNKNOWN_TOKEN, MatrixError, invalid_param
from mockserver.core.filters import EMPTY_FILTER, Filter, parse_filter
from mockserver.core.model import AccountData, Event, JsonDict, Session
from mockserver.core.room import Room
from mockserver.core.store import NO_ONE_TIME_KEYS, Store
from mockserver.core.store.relations import Aggregator
from mockserver.core.sync import (
    JoinedRoom,
    LeftRoom,
    StateAt,
    SyncRequest,
    SyncResult,
    Timeline,
    compute_sync,
    up_to_date,
)
from mockserver.core.sync.kept import EntryKeeper, KeptEntry
from mockserver.core.tokens import ALL_PARTS, SEED_PARTS, StreamToken
from mockserver.notifier import user_key
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


async def run_sync(
    call: Call, *, stable: bool
) -> tuple[SyncResult, SyncRequest, EntryKeeper | None, int]:
    """The answer to a ``/sync``, its request, the keeper of its joined rooms' entries if
    they are kept (an initial sync in today's dialect: see :mod:`.entries`), and the
    moment it is an answer at (see :func:`long_poll`)."""
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
    keeper = ENTRIES.keeper(store, request)
    if request.since is None or timeout <= 0 or full_state:
        with collector_paused():
            result = compute_sync(store, request, keeper)
        moment = store.now()
    else:
        # A long-poll given the store's position parks without computing (see up_to_date);
        # if nothing comes by the timeout, the empty answer is computed then.
        found, moment = await long_poll(
            call,
            lambda: None if up_to_date(store, request) else compute_sync(store, request),
            timeout,
        )
        result = found if found is not None else compute_sync(store, request)
    call.hs.synced(session.user_id)
    return result, request, keeper, moment


async def long_poll(call: Call, compute: Callable[[], T], timeout: int) -> tuple[T, int]:
    """``compute()`` once it has something to say, or at the timeout, and the moment it
    is an answer at (that of the change that woke it: see :mod:`mockserver.notifier`):
    the long-poll of every sync dialect. Woken by the user's own changes and those of
    their joined rooms; answers 401 at once if the access token is logged out meanwhile."""
    store = call.store
    session = call.session
    assert session is not None

    def checked() -> T:
        current = store.session_for(session.access_token)
        if current is not session and current != session:
            raise MatrixError(M_UNKNOWN_TOKEN, "Access token was logged out", soft_logout=False)
        return compute()

    own = [user_key(session.user_id)]
    return await call.hs.notifier.wait_for(
        checked,
        keys=lambda: own,
        deadline_ms=store.now() + timeout,
        label=session.user_id,
        next_wake_ms=store.next_typing_expiry,
        member_of=session.user_id,
    )


# -- bundled aggregations ----------------------------------------------------------------

#: Room id -> the aggregator of a room whose timeline gets bundled aggregations.
Bundles = dict[str, Aggregator]


def sync_bundles(store: Store, result: SyncResult, user_id: str) -> Bundles:
    """Aggregators for the rooms of ``result`` whose timeline is ``limited``.

    Only those get bundled aggregations, as the spec says and Synapse does:
    a client that has the whole stretch aggregates what it holds, and an
    event whose aggregation changed later is not sent again (the client
    learns of the change from the new relation itself). A woken sync
    after a plain message pays one dict lookup.
    """
    if not store.relations.rooms:
        return {}
    found: Bundles = {}
    for entry in fresh_rooms(result):
        aggregator = timeline_aggregator(
            store, user_id, entry.room_id, entry.timeline, isinstance(entry, JoinedRoom)
        )
        if aggregator is not None:
            found[entry.room_id] = aggregator
    return found


def timeline_aggregator(
    store: Store, user_id: str, room_id: str, timeline: Timeline, joined: bool
) -> Aggregator | None:
    """The aggregator a timeline's events are served with: only a ``limited`` one's (see
    :func:`sync_bundles`), counting relations as far as the user may read."""
    if not timeline.limited or not store.relations.rooms:
        return None
    room = store.rooms[room_id]
    return store.aggregator(user_id, room, None if joined else room.last_departure(user_id))


def viewer_key(result: SyncResult, bundles: Bundles) -> tuple[object, ...]:
    """What an answer's bundles owe to its viewer (see :meth:`Aggregator.viewer_key`)."""
    if not bundles:
        return ()
    return tuple(
        (entry.room_id, bundles[entry.room_id].viewer_key(entry.timeline.events))
        for entry in fresh_rooms(result)
        if entry.room_id in bundles
    )


def built(entry: JoinedRoom | KeptEntry) -> JoinedRoom:
    """A joined room's entry where none is kept (the seed's dialect, PDUs...)."""
    assert not isinstance(entry, KeptEntry), "kept entries are served laid out"
    return entry


def fresh_rooms(result: SyncResult) -> list[JoinedRoom | LeftRoom]:
    """The joined and left rooms whose entries were built for this answer (a kept one
    has no bundled aggregations: see :mod:`.entries`)."""
    return [*(r for r in result.joined if not isinstance(r, KeptEntry)), *result.left]


# -- the seed's dialect ------------------------------------------------------------------


def _seed_room(
    entry: JoinedRoom | LeftRoom,
    session: Session,
    now: int,
    fields: tuple[str, ...] | None,
    bundles: Bundles,
) -> JsonDict:
    events: dict[str, Event] = {e.event_id: e for e in entry.state}
    events.update((e.event_id, e) for e in entry.timeline.events)
    aggregator = bundles.get(entry.room_id)
    return {
        "event_map": {
            event_id: seed_event(event, session, now, fields, aggregator)
            for event_id, event in events.items()
        },
        "state": {"events": [e.event_id for e in entry.state]},
        "timeline": {
            "events": [e.event_id for e in entry.timeline.events],
            "limited": entry.timeline.limited,
            "prev_batch": entry.timeline.prev_batch.format(SEED_PARTS),
        },
    }


def encode_seed(
    result: SyncResult, session: Session, now: int, sync: SyncRequest, bundles: Bundles
) -> JsonDict:
    fields = sync.filter.event_fields
    room_map: dict[str, JsonDict] = {}
    for joined in map(built, result.joined):
        entry = _seed_room(joined, session, now, fields, bundles)
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
        room_map[left.room_id] = _seed_room(left, session, now, fields, bundles)
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
    result, request, _, now = await run_sync(call, stable=False)
    session = call.session
    assert session is not None
    bundles = sync_bundles(call.store, result, session.user_id)
    key = ("seed", request.filter.event_fields, viewer_key(result, bundles))
    with collector_paused():
        body = SHARED.answer(
            result,
            session,
            now,
            key,
            lambda: orjson.dumps(encode_seed(result, session, now, request, bundles)),
        )
    return OrjsonResponse.encoded(body)


# -- today's dialect ---------------------------------------------------------------------


def _events(
    events: list[Event],
    session: Session,
    now: int,
    fields: tuple[str, ...] | None,
    aggregator: Aggregator | None = None,
) -> list[JsonDict] | orjson.Fragment:
    """The events as ClientEventWithoutRoomID: pre-encoded (see :mod:`.encoded`) unless
    ``event_fields`` cuts them."""
    if not events:
        return []
    if fields is None:
        return ENCODED.events(events, session, now, aggregator)
    return [
        client_event(
            e, session, now, with_room_id=False, event_fields=fields, aggregator=aggregator
        )
        for e in events
    ]


def encode_timeline(
    timeline: Timeline,
    session: Session,
    now: int,
    fields: tuple[str, ...] | None,
    aggregator: Aggregator | None = None,
    share: bool = True,
) -> JsonDict:
    """``{"events", "limited", "prev_batch"}``, shared with the other answers of the moment
    (unless ``share`` is false: a wide answer's); with ``aggregator``, its events carry
    their bundled aggregations."""
    if not share:
        return {
            "events": _events(timeline.events, session, now, fields, aggregator),
            "limited": timeline.limited,
            "prev_batch": timeline.prev_batch.format(ALL_PARTS),
        }
    viewer = aggregator.viewer_key(timeline.events) if aggregator is not None else ()
    shared = SHARED.timeline(timeline, session, now, fields, viewer)
    if shared is not None:
        return shared
    encoded = encode_timeline(timeline, session, now, fields, aggregator, share=False)
    SHARED.keep_timeline(timeline, session, now, fields, viewer, encoded)
    return encoded


def _state(
    entry: JoinedRoom | LeftRoom, sync: SyncRequest, session: Session, now: int
) -> JsonDict:
    return _state_section(
        sync.state_at, _events(entry.state, session, now, sync.filter.event_fields)
    )


def _state_section(state_at: StateAt, events: object) -> JsonDict:
    state = {"events": events}
    if state_at == "timeline_end":
        return {"state_after": state, "org.matrix.msc4222.state_after": state}
    return {"state": state}


def _stable_joined(
    entry: JoinedRoom,
    sync: SyncRequest,
    session: Session,
    now: int,
    bundles: Bundles,
    share: bool,
) -> JsonDict:
    fields = sync.filter.event_fields
    return joined_body(
        entry,
        sync.state_at,
        _events(entry.state, session, now, fields),
        encode_timeline(
            entry.timeline, session, now, fields, bundles.get(entry.room_id), share
        ),
    )


def _join_section(
    result: SyncResult,
    sync: SyncRequest,
    session: Session,
    now: int,
    bundles: Bundles,
    kept: Kept,
) -> Pieces:
    """``rooms.join`` of an answer whose entries are kept (see :mod:`.entries`), in
    pieces."""

    def laid_out(entry: JoinedRoom) -> KeptEntry | None:
        found = kept.keeper.kept(entry.room_id)
        if found is None or found.entry is not entry:
            return None
        timeline = entry.timeline
        layout = {
            "events": TIMELINE_EVENTS,
            "limited": timeline.limited,
            "prev_batch": prev_batch_slot(timeline.prev_batch),
        }
        body = orjson.dumps(joined_body(entry, sync.state_at, STATE_EVENTS, layout))
        aggregator = bundles.get(entry.room_id)
        return found if ENTRIES.lay_out(found, body, session, aggregator, kept.position) else None

    share = SHARED.shares(result)

    def encoded(entry: JoinedRoom) -> bytes:
        return orjson.dumps(_stable_joined(entry, sync, session, now, bundles, share))

    return join_section(
        result.joined, kept.keeper, session, now, kept.positions, laid_out, encoded
    )


@dataclass(frozen=True, slots=True)
class Kept:
    """An answer's keeper of joined rooms' entries, and its positions for them."""

    keeper: EntryKeeper
    position: StreamToken
    #: :func:`positions_after_room` of ``position``.
    positions: bytes


def joined_body(
    entry: JoinedRoom, state_at: StateAt, state_events: object, timeline: JsonDict
) -> JsonDict:
    """A joined room's entry in today's dialect, given its state's and timeline's
    encodings."""
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
    body: JsonDict = {
        "summary": summary,
        **_state_section(state_at, state_events),
        "timeline": timeline,
        "ephemeral": {"events": ephemeral},
        "account_data": {"events": _account_data(entry.account_data)},
        "unread_notifications": {
            "notification_count": notifications,
            "highlight_count": highlights,
        },
    }
    if entry.unread_threads:
        body["unread_thread_notifications"] = {
            thread_id: {"notification_count": counts[0], "highlight_count": counts[1]}
            for thread_id, counts in entry.unread_threads.items()
        }
    return body


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
    result: SyncResult,
    session: Session,
    now: int,
    sync: SyncRequest,
    keys: DeviceKeys,
    bundles: Bundles,
    joined: orjson.Fragment | None = None,
) -> JsonDict:
    """Today's answer; ``joined``: the value of ``rooms.join``, if given."""
    # Empty sections are written as literals, not comprehensions over nothing: most
    # answers (a woken long-poll's above all) have only one or two non-empty ones.
    fields = sync.filter.event_fields
    share = SHARED.shares(result)
    body: JsonDict = {
        "next_batch": SHARED.next_batch(result.next_batch),
        "rooms": {
            "join": {
                r.room_id: _stable_joined(built(r), sync, session, now, bundles, share)
                for r in result.joined
            }
            if joined is None
            else joined,
            "invite": {
                r.room_id: {"invite_state": {"events": [stripped_event(e) for e in r.invite_state]}}
                for r in result.invited
            }
            if result.invited
            else {},
            "leave": {
                r.room_id: {
                    **_state(r, sync, session, now),
                    "timeline": encode_timeline(
                        r.timeline, session, now, fields, bundles.get(r.room_id), share
                    ),
                    "account_data": {"events": _account_data(r.account_data)},
                }
                for r in result.left
            }
            if result.left
            else {},
            "knock": {
                r.room_id: {"knock_state": {"events": [stripped_event(e) for e in r.knock_state]}}
                for r in result.knocked
            }
            if result.knocked
            else {},
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


def federation_format(
    body: JsonDict,
    result: SyncResult,
    store: Store,
    session: Session,
    now: int,
    sync: SyncRequest,
    bundles: Bundles,
) -> JsonDict:
    """A filter's ``event_format`` ``federation``: the rooms' state and timeline events
    as PDUs, as Synapse serves them (invite and knock state stay stripped, as there). The
    answer's shared pieces are copied, never changed."""
    rooms: JsonDict = body["rooms"]
    entries: list[tuple[str, JoinedRoom | LeftRoom]] = [
        *(("join", built(r)) for r in result.joined),
        *(("leave", r) for r in result.left),
    ]

    def pdus(room: Room, events: list[Event], aggregator: Aggregator | None) -> list[JsonDict]:
        fields = sync.filter.event_fields
        return [
            federation_event(
                e, room, session, now, store.server_name, event_fields=fields, aggregator=aggregator
            )
            for e in events
        ]

    for section, entry in entries:
        room = store.rooms[entry.room_id]
        encoded = dict(rooms[section][entry.room_id])
        encoded["timeline"] = {
            **encoded["timeline"],
            "events": pdus(room, entry.timeline.events, bundles.get(entry.room_id)),
        }
        for key in ("state", "state_after", "org.matrix.msc4222.state_after"):
            if key in encoded:
                encoded[key] = {"events": pdus(room, entry.state, None)}
        rooms[section][entry.room_id] = encoded
    return body


@endpoint("/sync", "GET")
async def get_stable_sync(call: Call) -> Reply:
    result, request, keeper, now = await run_sync(call, stable=True)
    session = call.session
    assert session is not None
    store = call.store
    keys = DeviceKeys.of(store, session)
    bundles = sync_bundles(store, result, session.user_id)

    def encode() -> bytes | Pieces:
        if keeper is not None:
            # Kept entries: rooms.join is put in from its pieces as the answer is sent.
            position = result.next_batch
            kept = Kept(keeper, position, positions_after_room(position))
            section = _join_section(result, request, session, now, bundles, kept)
            body = encode_stable(result, session, now, request, keys, bundles, JOIN_SECTION)
            return spliced(orjson.dumps(body), section)
        body = encode_stable(result, session, now, request, keys, bundles)
        if request.filter.event_format == "federation":
            body = federation_format(body, result, store, session, now, request, bundles)
        return orjson.dumps(body)

    key = (
        "stable",
        request.filter.event_fields,
        request.filter.event_format,
        request.state_at,
        keys,
        viewer_key(result, bundles),
    )
    with collector_paused():
        body = SHARED.answer(result, session, now, key, encode)
    return OrjsonResponse.encoded(body)


seed_routes = [get_seed_sync]
stable_routes = [get_stable_sync]
