"""End-to-end encryption plumbing, tolerantly: key upload/query/claim and to-device.

mockserver stores what clients upload and hands it back in the shapes SDKs
accept; it does not verify signatures. To-device messages are delivered
through ``/sync``'s ``to_device`` section.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import bad_json
from mockserver.core.store import TxnKey


@endpoint("/keys/upload", "POST")
async def post_keys_upload(call: Call) -> Reply:
    body = await call.json()
    assert call.session is not None
    counts = call.store.upload_keys(
        call.session,
        params.field(body, "device_keys", dict),
        params.field(body, "one_time_keys", dict),
        params.field(body, "fallback_keys", dict) or params.field(body, "org.matrix.msc2732.fallback_keys", dict),
    )
    return {"one_time_key_counts": counts}


@endpoint("/keys/query", "POST")
async def post_keys_query(call: Call) -> Reply:
    body = await call.json()
    wanted = params.required(body, "device_keys", dict)
    return {"device_keys": call.store.query_keys(wanted), "failures": {}}


@endpoint("/keys/claim", "POST")
async def post_keys_claim(call: Call) -> Reply:
    body = await call.json()
    wanted = params.required(body, "one_time_keys", dict)
    return {"one_time_keys": call.store.claim_keys(wanted), "failures": {}}


@endpoint("/keys/changes", "GET")
async def get_keys_changes(call: Call) -> Reply:
    return {"changed": [], "left": []}


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


routes = [post_keys_upload, post_keys_query, post_keys_claim, get_keys_changes, put_send_to_device]
