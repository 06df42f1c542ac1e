"""``GET /pushrules/``: the server-default push rules (Synapse's, see core/push_rules.py).

matrix-js-sdk fetches ``pushrules/`` before its first ``/sync`` and warns
about each default rule it misses; it also adds two unstable rules
(``.org.matrix.msc3786.rule.room.server_acl``,
``.org.matrix.msc3914.rule.room.call``) that Synapse does not serve either.
"""

from __future__ import annotations

from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.push_rules import default_push_rules


@endpoint("/pushrules/", "GET")
async def get_push_rules(call: Call) -> Reply:
    return default_push_rules(call.user_id)


@endpoint("/pushrules", "GET")
async def get_push_rules_no_slash(call: Call) -> Reply:
    return default_push_rules(call.user_id)


@endpoint("/pushrules/global/", "GET")
async def get_global_push_rules(call: Call) -> Reply:
    rules: Reply = default_push_rules(call.user_id)["global"]
    return rules


routes = [get_push_rules, get_push_rules_no_slash, get_global_push_rules]
