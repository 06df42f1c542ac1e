"""User-interactive authentication for a logged-in user (spec "User-Interactive Authentication API").

Endpoints that need the account's password again (``/account/password``,
``/account/deactivate``) ask for the flows Synapse asks for when password
login is on: one stage, ``m.login.password``. A request without ``auth``
gets the 401 challenge (``flows``, ``params``, a new ``session``); a
request whose ``auth`` completes a flow passes, and its session is used
up. A wrong password answers 401 ``M_FORBIDDEN`` with the challenge and the
stages completed so far, as Synapse does.

A session belongs to the user and the operation (method and path) that
started it; using it for another one is refused, as Synapse refuses a
changed operation. ``m.login.dummy`` is a stage any client may complete,
but no flow here is satisfied by it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.errors import M_FORBIDDEN, M_UNRECOGNIZED, MatrixError, bad_json, forbidden

JsonDict = dict[str, Any]
PASSWORD_FLOWS: tuple[tuple[str, ...], ...] = (("m.login.password",),)
KNOWN_STAGES = frozenset({"m.login.password", "m.login.dummy"})


@dataclass(slots=True)
class UiaSession:
    user_id: str
    operation: str
    completed: list[str] = field(default_factory=list)


def challenge(session_id: str, completed: list[str], flows: tuple[tuple[str, ...], ...]) -> JsonDict:
    """The 401 body that asks for (more) authentication."""
    body: JsonDict = {
        "flows": [{"stages": list(stages)} for stages in flows],
        "params": {},
        "session": session_id,
    }
    if completed:
        body["completed"] = list(completed)
    return body


class UserInteractiveAuth:
    """The open sessions, by id."""

    def __init__(self, new_session_id: Callable[[], str]) -> None:
        self.sessions: dict[str, UiaSession] = {}
        self._new_session_id = new_session_id

    def check(
        self,
        user_id: str,
        operation: str,
        auth: Mapping[str, Any] | None,
        password_ok: Callable[[str, str], bool],
        flows: tuple[tuple[str, ...], ...] = PASSWORD_FLOWS,
    ) -> JsonDict | None:
        """None when ``auth`` completes a flow; else the 401 body to answer.

        ``password_ok(user_id, password)`` says whether a password is the
        account's. A refused stage raises :class:`MatrixError` carrying the
        challenge, so the 401 names the session to retry with.
        """
        session_id = auth.get("session") if auth is not None else None
        stage = auth.get("type") if auth is not None else None
        for name, value in (("session", session_id), ("type", stage)):
            if value is not None and not isinstance(value, str):
                raise bad_json(f"'{name}' must be a string")
        session = self.sessions.get(session_id) if session_id is not None else None
        if session is not None and (session.user_id != user_id or session.operation != operation):
            raise forbidden("Requested operation has changed during the UI authentication session.")
        if session is None:
            session_id = self._new_session_id()
            session = self.sessions[session_id] = UiaSession(user_id, operation)
        assert isinstance(session_id, str)
        if auth is None or stage is None:
            return challenge(session_id, session.completed, flows)
        if stage not in KNOWN_STAGES:
            raise MatrixError(M_UNRECOGNIZED, f"Unrecognized auth type {stage!r}", status=400)
        if stage == "m.login.password":
            who = _identified_user(auth)
            password = auth.get("password")
            if who not in (None, user_id, user_id[1:].split(":", 1)[0]):
                raise forbidden("Invalid auth: the identifier is not the user making the request")
            if not isinstance(password, str) or not password_ok(user_id, password):
                raise MatrixError(
                    M_FORBIDDEN,
                    "Invalid username or password",
                    status=401,
                    **challenge(session_id, session.completed, flows),
                )
        if stage not in session.completed:
            session.completed.append(stage)
        if any(all(s in session.completed for s in stages) for stages in flows):
            del self.sessions[session_id]
            return None
        return challenge(session_id, session.completed, flows)


def _identified_user(auth: Mapping[str, Any]) -> str | None:
    identifier = auth.get("identifier")
    if isinstance(identifier, Mapping):
        if identifier.get("type", "m.id.user") != "m.id.user":
            raise forbidden("Only m.id.user identifiers are supported")
        user = identifier.get("user")
    else:
        user = auth.get("user")
    if user is None:
        return None
    if not isinstance(user, str):
        raise forbidden("Invalid auth: the user identifier must be a string")
    return user
