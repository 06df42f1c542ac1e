"""User-interactive authentication for sensitive requests of a logged-in user.

Deleting devices and replacing cross-signing keys ask the user to prove
it is them again: one ``m.login.password`` stage, as Synapse asks (a user
created without a password, as scenarios may, is offered
``m.login.dummy`` instead, since no password could ever pass). A request
without a passing ``auth`` gets the challenge: a 401 body with the flows
and a session; a wrong password gets it again with ``M_FORBIDDEN``. The
store sees nothing here but its auth sessions and users' passwords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.errors import (
    M_FORBIDDEN,
    M_UNKNOWN,
    M_UNRECOGNIZED,
    MatrixError,
    bad_json,
    forbidden,
    missing_param,
)
from mockserver.core.ids import user_id as make_user_id
from mockserver.core.model import JsonDict

if TYPE_CHECKING:
    from mockserver.core.store import Store

PASSWORD = "m.login.password"
DUMMY = "m.login.dummy"


def _stage(store: Store, user_id: str) -> str:
    return DUMMY if store.user(user_id).password is None else PASSWORD


def challenge(store: Store, user_id: str, session: str | None = None, **error: str) -> JsonDict:
    """The 401 body: what to complete, in which session (a new one unless given)."""
    body: JsonDict = dict(error)
    body.update(
        {
            "flows": [{"stages": [_stage(store, user_id)]}],
            "params": {},
            "session": session if session is not None else store.start_auth_session(),
        }
    )
    if error:
        body["completed"] = []
    return body


def authenticate(store: Store, user_id: str, auth: Any) -> JsonDict | None:
    """``None`` when ``auth`` proves ``user_id``; otherwise the 401 challenge body.

    Malformed auth is refused with a Matrix error; the session of a passed
    stage is spent.
    """
    if auth is None:
        return challenge(store, user_id)
    if not isinstance(auth, dict):
        raise bad_json("'auth' must be an object")
    session = auth.get("session")
    if session is not None and not isinstance(session, str):
        raise bad_json("'auth.session' must be a string")
    if session is not None and not store.has_auth_session(session):
        raise MatrixError(M_UNKNOWN, "Unknown session ID", status=400)
    auth_type = auth.get("type")
    if auth_type is None:
        return challenge(store, user_id, session)
    stage = _stage(store, user_id)
    if auth_type != stage:
        raise MatrixError(M_UNRECOGNIZED, f"Unrecognized auth type {auth_type!r}", status=400)
    if stage == PASSWORD and not _password_passes(store, user_id, auth):
        return challenge(
            store, user_id, session, errcode=M_FORBIDDEN, error="Invalid username or password"
        )
    if session is not None:
        store.end_auth_session(session)
    return None


def _password_passes(store: Store, user_id: str, auth: JsonDict) -> bool:
    identifier = auth.get("identifier")
    if identifier is not None:
        if not isinstance(identifier, dict) or identifier.get("type") != "m.id.user":
            raise bad_json("'auth.identifier' must be an m.id.user identifier")
        named = identifier.get("user")
    else:
        named = auth.get("user", user_id)
    password = auth.get("password")
    if password is None:
        raise missing_param("Missing 'auth.password'")
    if not isinstance(named, str) or not isinstance(password, str):
        raise bad_json("'auth.identifier.user' and 'auth.password' must be strings")
    if not named.startswith("@"):
        named = make_user_id(named, store.server_name)
    if named != user_id:
        raise forbidden("Invalid auth: not the requesting user")
    return store.user(user_id).password == password
