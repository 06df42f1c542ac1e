"""End-to-end encryption keys: upload, query, claim, changes, cross-signing, to-device.

Thin handlers: each reads and shapes its body, then calls the store, which
checks everything before it writes. Key backups (``/room_keys``) are in
:mod:`mockserver.api.room_keys`.
"""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.reauth import reauthenticate
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.sync import since_token
from mockserver.core.errors import bad_json, missing_param
from mockserver.core.store import TxnKey
from mockserver.core.sync.device_lists import device_list_changes
from mockserver.core.tokens import StreamToken


def _object_of_objects(body: Any, field: str) -> dict[str, dict[str, Any]]:
    if not isinstance(body, dict) or not all(isinstance(v, dict) for v in body.values()):
        raise bad_json(f"'{field}' must map user ids to objects")
    return body


@endpoint("/keys/upload", "POST")
async def post_keys_upload(call: Call) -> Reply:
    body = await call.json()
    assert call.session is not None
    fallback_keys = params.field(body, "fallback_keys", dict)
    if fallback_keys is None:
        fallback_keys = params.field(body, "org.matrix.msc2732.fallback_keys", dict)
    counts = call.store.upload_keys(
        call.session,
        params.field(body, "device_keys", dict),
        params.field(body, "one_time_keys", dict),
        fallback_keys,
    )
    return {"one_time_key_counts": counts}


@endpoint("/keys/query", "POST")
async def post_keys_query(call: Call) -> Reply:
    body = await call.json()
    wanted = params.required(body, "device_keys", dict)
    for user_id, device_ids in wanted.items():
        if not isinstance(device_ids, list) or not all(isinstance(d, str) for d in device_ids):
            raise bad_json(f"'device_keys.{user_id}' must be a list of device ids")
    return {**call.store.query_keys(call.user_id, wanted), "failures": {}}


@endpoint("/keys/claim", "POST")
async def post_keys_claim(call: Call) -> Reply:
    body = await call.json()
    wanted = _object_of_objects(params.required(body, "one_time_keys", dict), "one_time_keys")
    for user_id, by_device in wanted.items():
        if not all(isinstance(algorithm, str) for algorithm in by_device.values()):
            raise bad_json(f"'one_time_keys.{user_id}' must map device ids to algorithms")
    return {"one_time_keys": call.store.claim_keys(wanted), "failures": {}}


@endpoint("/keys/changes", "GET")
async def get_keys_changes(call: Call) -> Reply:
    query = call.query
    for name in ("from", "to"):
        if name not in query:
            raise missing_param(f"Missing '{name}' query parameter")
    since = since_token(call.store, query["from"])
    upto = since_token(call.store, query["to"])
    assert since is not None and upto is not None
    # A ``to`` before ``from`` in some stream asks about nothing there.
    upto = StreamToken(*map(max, since.parts(), upto.parts()))
    changes = device_list_changes(call.store, call.user_id, since, upto)
    return {"changed": changes.changed, "left": changes.left}


@endpoint("/keys/device_signing/upload", "POST")
async def post_device_signing_upload(call: Call) -> Reply:
    """Cross-signing keys; replacing a stored master key needs the user's password."""
    body = await call.json()
    store = call.store
    keys, replacing = store.check_cross_signing_keys(call.user_id, body)
    if replacing:
        asked = reauthenticate(call, body, "POST /keys/device_signing/upload")
        if asked is not None:
            return asked
    store.upload_cross_signing_keys(call.user_id, keys)
    return {}


@endpoint("/keys/signatures/upload", "POST")
async def post_signatures_upload(call: Call) -> Reply:
    body = _object_of_objects(await call.json(), "body")
    return {"failures": call.store.upload_signatures(call.user_id, body)}


@endpoint("/sendToDevice/{event_type}/{txn_id}", "PUT")
async def put_send_to_device(call: Call) -> Reply:
    body = await call.json()
    messages = params.required(body, "messages", dict)
    if not all(isinstance(v, dict) for v in messages.values()):
        raise bad_json("'messages' must map user ids to objects")
    assert call.session is not None
    txn = TxnKey(call.user_id, call.session.device_id, "sendToDevice", call.path["txn_id"])
    call.store.send_to_device(call.user_id, call.path["event_type"], messages, txn=txn)
    return {}


routes = [
    post_keys_upload,
    post_keys_query,
    post_keys_claim,
    get_keys_changes,
    post_device_signing_upload,
    post_signatures_upload,
    put_send_to_device,
]
