"""Accounts and sessions: register, login, logout, whoami, devices."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.auth import authenticate
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import M_UNKNOWN, M_UNKNOWN_TOKEN, MatrixError, not_found
from mockserver.core.ids import is_user_id, user_id as make_user_id
from mockserver.core.model import Session

DUMMY_FLOWS = [{"stages": ["m.login.dummy"]}]


def _session_body(call: Call, session: Session) -> dict[str, str]:
    return {
        "user_id": session.user_id,
        "access_token": session.access_token,
        "device_id": session.device_id,
        "home_server": call.store.server_name,
    }


@endpoint("/register", "POST", public=True)
async def post_register(call: Call) -> Reply:
    body = await call.json()
    if call.query.get("kind", "user") == "guest":
        raise MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled", status=403)
    username = params.field(body, "username", str)
    password = params.field(body, "password", str)
    device_id = params.field(body, "device_id", str)
    display_name = params.field(body, "initial_device_display_name", str)
    inhibit_login = params.field(body, "inhibit_login", bool, False)
    auth = params.field(body, "auth", dict) or {}
    auth_type = params.field(auth, "type", str)
    auth_session = params.field(auth, "session", str)
    store = call.store
    if username is not None:
        store.check_new_localpart(username)
    if auth_type is None:
        known = auth_session is not None and store.has_auth_session(auth_session)
        return 401, {
            "flows": DUMMY_FLOWS,
            "params": {},
            "session": auth_session if known else store.start_auth_session(),
        }
    if auth_type != "m.login.dummy":
        raise MatrixError(M_UNKNOWN, f"Unsupported auth type {auth_type!r}")
    user_id, session = store.register(
        username,
        password,
        device_id=device_id,
        initial_device_display_name=display_name,
        inhibit_login=inhibit_login,
        auth_session=auth_session,
    )
    if session is None:
        return {"user_id": user_id, "home_server": store.server_name}
    return _session_body(call, session)


@endpoint("/register/available", "GET", public=True)
async def get_register_available(call: Call) -> Reply:
    username = call.query.get("username")
    if not username:
        raise MatrixError("M_MISSING_PARAM", "Missing 'username'")
    call.store.check_new_localpart(username)
    return {"available": True}


#: ``GET /login`` as Synapse answers it with passwords on and no SSO, JWT or CAS.
LOGIN_FLOWS = [{"type": "m.login.password"}, {"type": "m.login.application_service"}]


@endpoint("/login", "GET", public=True)
async def get_login(call: Call) -> Reply:
    return {"flows": LOGIN_FLOWS}


def _login_user(call: Call, body: dict[str, object]) -> str:
    identifier = params.field(body, "identifier", dict)
    if identifier is not None:
        if identifier.get("type", "m.id.user") != "m.id.user":
            raise MatrixError(M_UNKNOWN, "Only m.id.user identifiers are supported")
        user = identifier.get("user")
    else:
        user = body.get("user")
    if not isinstance(user, str) or not user:
        raise MatrixError("M_MISSING_PARAM", "Missing user identifier")
    return user if is_user_id(user) else make_user_id(user.lstrip("@"), call.store.server_name)


@endpoint("/login", "POST", public=True)
async def post_login(call: Call) -> Reply:
    body = await call.json()
    login_type = params.required(body, "type", str)
    if login_type == "m.login.application_service":
        # Only an application service's token may use it, and mockserver registers none.
        authenticate(call.request, call.store)
        raise MatrixError(
            M_UNKNOWN_TOKEN, "This login method is only valid for application services", status=401
        )
    if login_type != "m.login.password":
        raise MatrixError(M_UNKNOWN, f"Unknown login type {login_type}")
    user_id = _login_user(call, body)
    password = params.required(body, "password", str)
    session = call.store.login(
        user_id,
        password,
        device_id=params.field(body, "device_id", str),
        initial_device_display_name=params.field(body, "initial_device_display_name", str),
    )
    return _session_body(call, session)


@endpoint("/logout", "POST")
async def post_logout(call: Call) -> Reply:
    assert call.session is not None
    call.store.logout(call.session.access_token)
    return {}


@endpoint("/logout/all", "POST")
async def post_logout_all(call: Call) -> Reply:
    call.store.logout_all(call.user_id)
    return {}


def _reauthenticated(call: Call, body: dict[str, object], operation: str) -> Reply | None:
    """None once ``auth`` in ``body`` proves the password again; else the 401 to answer."""
    auth = params.field(body, "auth", dict)
    required = call.store.user_interactive_auth.check(
        call.user_id, operation, auth, call.store.password_matches
    )
    return None if required is None else (401, required)


@endpoint("/account/password", "POST")
async def post_account_password(call: Call) -> Reply:
    body = await call.json()
    new_password = params.required(body, "new_password", str)
    logout_devices = params.field(body, "logout_devices", bool, True)
    challenge = _reauthenticated(call, body, "account/password")
    if challenge is not None:
        return challenge
    call.store.change_password(
        call.user_id, new_password, logout_devices=logout_devices, keep_device=call.device_id
    )
    return {}


@endpoint("/account/deactivate", "POST")
async def post_account_deactivate(call: Call) -> Reply:
    body = await call.json()
    erase = params.field(body, "erase", bool, False)
    params.field(body, "id_server", str)
    challenge = _reauthenticated(call, body, "account/deactivate")
    if challenge is not None:
        return challenge
    call.store.deactivate_account(call.user_id, erase=erase)
    # No identity server knows this account's (absent) third-party ids.
    return {"id_server_unbind_result": "no-support"}


@endpoint("/account/3pid", "GET")
async def get_3pids(call: Call) -> Reply:
    """No third-party identifiers: mockserver has no identity server or email."""
    return {"threepids": []}


@endpoint("/account/whoami", "GET")
async def get_whoami(call: Call) -> Reply:
    return {"user_id": call.user_id, "device_id": call.device_id, "is_guest": False}


def _device_body(device_id: str, display_name: str | None, last_seen: int | None) -> dict[str, object]:
    """A Device, with every key present (``null`` when unknown), as Synapse sends it.

    matrix-nio's schema requires ``display_name``, ``last_seen_ip`` and
    ``last_seen_ts`` on each device and rejects the whole list otherwise.
    """
    return {
        "device_id": device_id,
        "display_name": display_name,
        "last_seen_ip": None,
        "last_seen_ts": last_seen,
    }


@endpoint("/devices", "GET")
async def get_devices(call: Call) -> Reply:
    user = call.store.user(call.user_id)
    return {
        "devices": [
            _device_body(d.device_id, d.display_name, d.last_seen_ts) for d in user.devices.values()
        ]
    }


@endpoint("/devices/{device_id}", "GET")
async def get_device(call: Call) -> Reply:
    device = call.store.user(call.user_id).devices.get(call.path["device_id"])
    if device is None:
        raise not_found("Unknown device")
    return _device_body(device.device_id, device.display_name, device.last_seen_ts)


@endpoint("/devices/{device_id}", "PUT")
async def put_device(call: Call) -> Reply:
    body = await call.json()
    display_name = params.field(body, "display_name", str)
    call.store.rename_device(call.user_id, call.path["device_id"], display_name)
    return {}


@endpoint("/devices/{device_id}", "DELETE")
async def delete_device(call: Call) -> Reply:
    body = await call.json()
    if params.field(body, "auth", dict) is None:
        return 401, {"flows": DUMMY_FLOWS, "params": {}, "session": call.store.start_auth_session()}
    call.store.delete_device(call.user_id, call.path["device_id"])
    return {}


routes = [
    post_register,
    get_register_available,
    get_login,
    post_login,
    post_logout,
    post_logout_all,
    get_whoami,
    get_3pids,
    post_account_password,
    post_account_deactivate,
    get_devices,
    get_device,
    put_device,
    delete_device,
]
