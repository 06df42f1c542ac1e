"""Asking a logged-in user to authenticate again before a sensitive request.

One place for the endpoints that need it (password change, deactivation,
deleting devices, replacing cross-signing keys): the stage is
``m.login.password``, as Synapse asks with password login on; a user created
without a password (as scenarios may) is offered ``m.login.dummy``, since no
password could ever pass. The sessions are the store's
(:mod:`mockserver.core.user_interactive_auth`), bound to user and operation.
"""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.routing import Call, Reply
from mockserver.core.user_interactive_auth import PASSWORD_FLOWS

DUMMY_FLOWS: tuple[tuple[str, ...], ...] = (("m.login.dummy",),)


def reauthenticate(call: Call, body: dict[str, Any], operation: str) -> Reply | None:
    """None once ``auth`` in ``body`` proves the user again; else the 401 to answer."""
    store = call.store
    auth = params.field(body, "auth", dict)
    flows = PASSWORD_FLOWS if store.user(call.user_id).password is not None else DUMMY_FLOWS
    required = store.user_interactive_auth.check(
        call.user_id, operation, auth, store.password_matches, flows
    )
    return None if required is None else (401, required)
