"""The store: every piece of mockserver's state, behind one public face.

:class:`Store` (in :mod:`.store`) is what the rest of mockserver calls. Behind
it, one module per area owns its state and its part of the stream position:

- :mod:`.base`: what areas share: :class:`Change`, :class:`TxnKey`, the
  :class:`Whole` interface an area is given to the store;
- :mod:`.accounts`: users, profiles, devices, access tokens, auth sessions;
- :mod:`.rooms`: rooms, events, state, membership, redaction, room creation,
  aliases, the public directory (the ``room`` stream);
- :mod:`.room_order`: each user's rooms in sliding sync's recency order, brought up
  to date from the rooms that changed when read;
- :mod:`.relations`: how events relate (threads, edits, reactions, references),
  kept by :mod:`.rooms` as events are stored and redacted;
- :mod:`.ephemeral`: typing, receipts, presence (their three streams);
- :mod:`.account_data`: account data (its stream);
- :mod:`.keys`: device, one-time and fallback keys;
- :mod:`.device_lists`: whose devices changed (the ``device_list`` stream);
- :mod:`.cross_signing`: cross-signing keys and signatures;
- :mod:`.key_backup`: server-side key backups (``/room_keys``);
- :mod:`.to_device`: to-device queues (its stream);
- :mod:`.filters`: stored filter definitions;
- :mod:`.pushers`: each user's pushers (``/pushers``);
- :mod:`.media`: uploaded files and created ``mxc://`` URIs (the content repository).

Small settings live on the store itself: the TURN server ``/voip/turnServer``
hands out (:mod:`mockserver.core.voip`), and the open user-interactive auth
sessions of logged-in users (:mod:`mockserver.core.user_interactive_auth`).

Sliding sync's connections (:mod:`mockserver.core.sliding_sync.connections`)
live with the sliding sync package; ``Store`` holds them so a reset forgets
them with the world.

A new area of state gets its own module here, built by ``Store._clear`` and
reached through ``Store``'s public methods.
"""

from mockserver.core.store.account_data import AccountDataLog
from mockserver.core.store.accounts import Accounts
from mockserver.core.store.base import (
    MAX_EVENT_BYTES,
    UNSET,
    Change,
    Listener,
    Stream,
    TxnKey,
    Whole,
    event_size,
)
from mockserver.core.store.ephemeral import (
    DEFAULT_TYPING_TIMEOUT_MS,
    MAX_TYPING_TIMEOUT_MS,
    Ephemeral,
)
from mockserver.core.store.filters import StoredFilters
from mockserver.core.store.keys import NO_ONE_TIME_KEYS, Keys
from mockserver.core.store.media import Media, MediaRepository
from mockserver.core.store.rooms import (
    ALIAS_LOCALPART,
    DEFAULT_ROOM_VERSION,
    NOTIFYING_TYPES,
    PRESETS,
    STRIPPED_STATE_TYPES,
    SUPPORTED_ROOM_VERSIONS,
    CreateRoom,
    MessageRun,
    Rooms,
)
from mockserver.core.store.store import Store
from mockserver.core.store.to_device import ToDeviceQueues

__all__ = [
    "ALIAS_LOCALPART",
    "DEFAULT_ROOM_VERSION",
    "DEFAULT_TYPING_TIMEOUT_MS",
    "MAX_EVENT_BYTES",
    "MAX_TYPING_TIMEOUT_MS",
    "NOTIFYING_TYPES",
    "NO_ONE_TIME_KEYS",
    "PRESETS",
    "STRIPPED_STATE_TYPES",
    "SUPPORTED_ROOM_VERSIONS",
    "UNSET",
    "AccountDataLog",
    "Accounts",
    "Change",
    "CreateRoom",
    "Ephemeral",
    "Keys",
    "Listener",
    "Media",
    "MediaRepository",
    "MessageRun",
    "Rooms",
    "Store",
    "Stream",
    "StoredFilters",
    "ToDeviceQueues",
    "TxnKey",
    "Whole",
    "event_size",
]
