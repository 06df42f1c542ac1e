"""The request journal over HTTP: ``GET /_mock/journal``, ``DELETE /_mock/journal``.

Filters, all optional and combined: ``path`` (a glob, see
:mod:`mockserver.traffic.match`), ``user_id``, ``method``, ``since`` (a
``seq``: only later entries) and ``since_ts`` (server-clock ms, inclusive);
``limit`` keeps the newest that many of the matches.
The answer's ``last_seq`` is a mark to pass as ``since`` later.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.model import JsonDict
from mockserver.traffic.journal import JournalEntry


def entry_json(entry: JournalEntry) -> JsonDict:
    return {
        "seq": entry.seq,
        "ts": entry.ts,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "body": entry.body,
        "body_size": entry.body_size,
        "user_id": entry.user_id,
        "status": entry.status,
        "fault": entry.fault,
        "dropped": entry.dropped,
        "client_gone": entry.client_gone,
        "duration_ms": entry.duration_ms,
    }


@endpoint("/journal", "GET", public=True)
async def get_journal(call: Call) -> Reply:
    query = call.query
    journal = call.hs.journal
    entries = journal.select(
        path=query.get("path"),
        user_id=query.get("user_id"),
        method=query.get("method"),
        since=params.query_int(query, "since", minimum=0),
        since_ts=params.query_int(query, "since_ts", minimum=0),
    )
    limit = params.query_int(query, "limit", minimum=0)
    if limit is not None:
        entries = entries[max(0, len(entries) - limit) :]
    return {"requests": [entry_json(e) for e in entries], "last_seq": journal.last_seq}


@endpoint("/journal", "DELETE", public=True)
async def delete_journal(call: Call) -> Reply:
    call.hs.journal.clear()
    return {}


routes = [get_journal, delete_journal]
