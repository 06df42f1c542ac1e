"""A running mockserver seen from outside: its URL and the control API as Python methods.

:class:`RemoteHomeserver` is what the pytest plugin's ``homeserver`` fixture
gives a test, and it works the same outside pytest (a demo script, another
test runner). Every method is one HTTP call to ``/_mock``, made with the
standard library's ``http.client`` (the installed package needs no HTTP client
library), so it never touches the server's state or event loop directly: the
server may run on another thread or in another process. The calls are blocking and return
in milliseconds, which is fine from an async test too; to wait for the
client under test (whose requests run on the test's own event loop), use
the one async method, :meth:`RemoteHomeserver.until_parked`.
"""

from __future__ import annotations

import functools
import http.client
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio.to_thread

from mockserver.scenarios.media import inline_files
from mockserver.scenarios.reader import ScenarioError
from mockserver.scenarios.shipped import resolve_scenario

_UNSET: Any = object()
MAX_PARKED_WAIT_S = 60.0

JsonDict = dict[str, Any]


class ExpectationError(AssertionError):
    """Expectations not met: one message per expectation, saying what was called instead."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ControlError(Exception):
    """The control API refused a call; carries the Matrix error it answered."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        self.error = body.get("error") if isinstance(body, dict) else str(body)
        super().__init__(f"{what}: {status} {self.errcode}: {self.error}")


@dataclass(frozen=True, slots=True)
class Registered:
    """A user the control API registered or logged in (``access_token`` may be None)."""

    user_id: str
    access_token: str | None = None
    device_id: str | None = None


def _given(**fields: Any) -> JsonDict:
    """The fields that were given (``_UNSET`` left out; ``None`` kept, meaning null)."""
    return {key: value for key, value in fields.items() if value is not _UNSET}


def _present(**fields: Any) -> JsonDict:
    """The fields that are not None."""
    return {key: value for key, value in fields.items() if value is not None}


class RemoteHomeserver:
    """The control API of the mockserver at ``base_url``.

    ``base_url`` is what a client should be pointed at. The act-as methods
    take the acting user's id first; :meth:`as_user` binds it once.
    """

    def __init__(
        self,
        base_url: str,
        *,
        server_name: str = "localhost",
        control_token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: The server part of user ids; a loaded scenario may change it.
        self.server_name = server_name
        self._initial_server_name = server_name
        self._headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self._timeout = timeout
        self._http = _Http(self.base_url, self._headers, timeout)
        self.journal = Journal(self)
        self.clock = Clock(self)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteHomeserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteHomeserver({self.base_url!r})"

    def user_id(self, localpart: str) -> str:
        """``@localpart:server_name``."""
        return f"@{localpart}:{self.server_name}"

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JsonDict:
        """One control call (``path`` under ``/_mock``); raises :class:`ControlError` if refused."""
        response = self._http.request(method, path, body, params)
        return dict(_answer(response, f"{method} /_mock{path}"))

    # -- the world ----------------------------------------------------------------------

    def reset(self, *, fixtures: bool = False) -> list[str]:
        """An empty world, or (``fixtures``) the scenarios loaded since the last empty one.

        Also clears the journal and the fault rules and unfreezes the clock.
        Returns the sources of the scenarios loaded again.
        """
        body = self.call("POST", "/reset", {"fixtures": fixtures})
        if not fixtures:
            self.server_name = self._initial_server_name
        return list(body["fixtures"])

    def load(self, scenario: str | Path | Mapping[str, Any]) -> JsonDict:
        """Load a scenario: a path to its JSON file, a shipped scenario's name, or the document.

        Returns what it made (``server_name``, ``users`` with their devices and
        access tokens, ``rooms``). A refused scenario raises :class:`ControlError`
        whose message names the file, the JSON path and the problem.
        """
        if isinstance(scenario, Mapping):
            source, document = "scenario", dict(scenario)
        else:
            # Read here, where the file is: its media files are read into it too.
            source = str(scenario)
            try:
                path = resolve_scenario(scenario)
                document = inline_files(
                    json.loads(path.read_text(encoding="utf-8")), path.parent, source
                )
            except ScenarioError as exc:  # a media file it names cannot be read
                raise ControlError(400, {"errcode": "M_BAD_JSON", "error": str(exc)}, source) from None
            except (OSError, ValueError) as exc:
                raise ControlError(
                    400, {"errcode": "M_NOT_JSON", "error": f"{source}: $: {exc}"}, source
                ) from None
        response = self._http.request("POST", "/fixtures", document, {"source": source})
        loaded: JsonDict = _answer(response, f"loading {source}")
        self.server_name = loaded.get("server_name", self.server_name)
        return loaded

    def export(self) -> JsonDict:
        """The current world as a scenario document."""
        return self.call("GET", "/export")

    def script_next(self) -> Any:
        """Release the next scripted step waiting for an explicit "next"."""
        return self.call("POST", "/script/next", {})

    # -- acting as users ------------------------------------------------------------------

    def register(
        self,
        username: str | None = None,
        *,
        user_id: str | None = None,
        password: str | None = None,
        displayname: str | None = _UNSET,
        avatar_url: str | None = _UNSET,
        access_token: str | None = None,
        device_id: str | None = None,
        login: bool = True,
    ) -> Registered:
        """Create a user (no interactive auth) and, unless ``login`` is false, a device."""
        body = {
            **_present(
                username=username,
                user_id=user_id,
                password=password,
                access_token=access_token,
                device_id=device_id,
            ),
            **_given(displayname=displayname, avatar_url=avatar_url),
            "login": login,
        }
        return _registered(self.call("POST", "/act/register", body))

    def login(
        self, user_id: str, *, device_id: str | None = None, access_token: str | None = None
    ) -> Registered:
        body = {"user_id": user_id, **_present(device_id=device_id, access_token=access_token)}
        return _registered(self.call("POST", "/act/login", body))

    def create_room(self, user_id: str, *, room_id: str | None = None, **options: Any) -> str:
        """``options`` are the ``POST /createRoom`` body (``preset``, ``name``, ``invite``...)."""
        body = {**options, "user_id": user_id, **_present(room_id=room_id)}
        return str(self.call("POST", "/act/create_room", body)["room_id"])

    def send(
        self,
        user_id: str,
        room_id: str,
        body: str | None = None,
        *,
        content: Mapping[str, Any] | None = None,
        type: str = "m.room.message",
    ) -> str:
        """Send a text ``body``, or any ``content``; returns the event id."""
        request = {"user_id": user_id, "room_id": room_id, "type": type}
        request.update(_present(body=body, content=dict(content) if content is not None else None))
        return str(self.call("POST", "/act/send", request)["event_id"])

    def set_state(
        self,
        user_id: str,
        room_id: str,
        type: str,
        content: Mapping[str, Any],
        state_key: str = "",
    ) -> str:
        body = {
            "user_id": user_id,
            "room_id": room_id,
            "type": type,
            "state_key": state_key,
            "content": dict(content),
        }
        return str(self.call("POST", "/act/state", body)["event_id"])

    def redact(self, user_id: str, room_id: str, event_id: str, reason: str | None = None) -> str:
        body = {
            "user_id": user_id,
            "room_id": room_id,
            "event_id": event_id,
            **_present(reason=reason),
        }
        return str(self.call("POST", "/act/redact", body)["event_id"])

    def join(self, user_id: str, room_id_or_alias: str) -> str:
        body = {"user_id": user_id, "room_id": room_id_or_alias}
        return str(self.call("POST", "/act/join", body)["room_id"])

    def leave(self, user_id: str, room_id: str, reason: str | None = None) -> None:
        self.call(
            "POST",
            "/act/leave",
            {"user_id": user_id, "room_id": room_id, **_present(reason=reason)},
        )

    def _member(
        self, action: str, user_id: str, room_id: str, target: str, reason: str | None
    ) -> None:
        body = {"user_id": user_id, "room_id": room_id, "target": target, **_present(reason=reason)}
        self.call("POST", f"/act/{action}", body)

    def invite(self, user_id: str, room_id: str, target: str, reason: str | None = None) -> None:
        self._member("invite", user_id, room_id, target, reason)

    def kick(self, user_id: str, room_id: str, target: str, reason: str | None = None) -> None:
        self._member("kick", user_id, room_id, target, reason)

    def ban(self, user_id: str, room_id: str, target: str, reason: str | None = None) -> None:
        self._member("ban", user_id, room_id, target, reason)

    def unban(self, user_id: str, room_id: str, target: str, reason: str | None = None) -> None:
        self._member("unban", user_id, room_id, target, reason)

    def typing(
        self, user_id: str, room_id: str, typing: bool = True, timeout: int | None = None
    ) -> None:
        body = {
            "user_id": user_id,
            "room_id": room_id,
            "typing": typing,
            **_present(timeout=timeout),
        }
        self.call("POST", "/act/typing", body)

    def presence(
        self,
        user_id: str,
        presence: str,
        *,
        status_msg: str | None = _UNSET,
        last_active_ago: int | None = _UNSET,
    ) -> None:
        body = {
            "user_id": user_id,
            "presence": presence,
            **_given(status_msg=status_msg, last_active_ago=last_active_ago),
        }
        self.call("POST", "/act/presence", body)

    def receipt(
        self,
        user_id: str,
        room_id: str,
        event_id: str,
        receipt_type: str = "m.read",
        thread_id: str | None = None,
    ) -> None:
        body = {
            "user_id": user_id,
            "room_id": room_id,
            "event_id": event_id,
            "receipt_type": receipt_type,
            **_present(thread_id=thread_id),
        }
        self.call("POST", "/act/receipt", body)

    def set_profile(
        self, user_id: str, *, displayname: str | None = _UNSET, avatar_url: str | None = _UNSET
    ) -> None:
        body = {"user_id": user_id, **_given(displayname=displayname, avatar_url=avatar_url)}
        self.call("POST", "/act/profile", body)

    def as_user(self, user_id: str) -> Actor:
        """The act-as methods with ``user_id`` bound.

        ``bob = homeserver.as_user("@bob:localhost"); bob.send(room_id, "hi")``
        """
        return Actor(self, user_id)

    # -- faults -----------------------------------------------------------------------------

    def fail(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        user_id: str | None = None,
        status: int | None = None,
        errcode: str | None = None,
        error: str | None = None,
        retry_after_ms: int | None = None,
        soft_logout: bool | None = None,
        delay_ms: int | None = None,
        drop: bool | str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | str | None = None,
    ) -> JsonDict:
        """Add a fault rule (see docs/control-api.md, "Faults"); returns it, with its ``id``."""
        rule = _present(
            method=method,
            path=path,
            user_id=user_id,
            status=status,
            errcode=errcode,
            error=error,
            retry_after_ms=retry_after_ms,
            soft_logout=soft_logout,
            delay_ms=delay_ms,
            drop=drop,
            times=times,
            probability=probability,
            seed=seed,
        )
        return self.call("POST", "/faults", rule)

    def faults(self) -> list[JsonDict]:
        """Every rule, with its ``hits``, ``seen`` and ``remaining``."""
        return list(self.call("GET", "/faults")["faults"])

    def remove_fault(self, fault_id: str) -> None:
        self.call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    # -- expectations -----------------------------------------------------------------------

    def expect(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        user_id: str | None = None,
        query: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        times: int | None = None,
        min: int | None = None,
        max: int | None = None,
        never: bool = False,
        name: str | None = None,
    ) -> JsonDict:
        """Declare that the client must make (or, ``never``, must not make) such calls.

        ``path`` is a glob (``*/rooms/*/send/*``); ``query`` maps a parameter to a
        glob its value matches (None: absent); ``body`` is an object the JSON body
        contains. The count: exactly ``times``, ``min``/``max``, or by default at
        least one. Checked by :meth:`verify`, which the pytest plugin calls when
        the test ends. Returns the expectation, with its ``id``.
        """
        spec = _present(
            path=path,
            method=method,
            user_id=user_id,
            query=dict(query) if query is not None else None,
            body=dict(body) if body is not None else None,
            times=times,
            min=min,
            max=max,
            name=name,
        )
        if never:
            spec["never"] = True
        return self.call("POST", "/expectations", spec)

    def expectations(self) -> list[JsonDict]:
        """Each expectation with its ``calls`` so far, ``met`` and ``problem``."""
        return list(self.call("GET", "/expectations")["expectations"])

    def verify(self) -> None:
        """Raise :class:`ExpectationError` (an AssertionError) unless every expectation is met."""
        answer = self.call("POST", "/expectations/verify", {})
        if not answer["met"]:
            raise ExpectationError(list(answer["problems"]))

    def clear_expectations(self) -> None:
        self.call("DELETE", "/expectations")

    # -- parked long-polls ------------------------------------------------------------------

    def parked(self) -> JsonDict:
        """``{"parked": {user_id: n}, "total": n, "wakeups": {user_id: n}}``."""
        return self.call("GET", "/parked")

    def wait_until_parked(
        self, user_id: str | None = None, count: int = 1, timeout: float = 10.0
    ) -> JsonDict:
        """Block until ``user_id`` (or everyone, if None) has ``count`` parked long-polls.

        For clients running on another thread or process. A client on the
        test's own event loop needs :meth:`until_parked` instead.
        """
        return _wait_parked(self._http, user_id, count, timeout)

    async def until_parked(
        self, user_id: str | None = None, count: int = 1, timeout: float = 10.0
    ) -> JsonDict:
        """Wait, without blocking the event loop, until ``count`` long-polls are parked.

        The wait runs on a worker thread, on a connection of its own.
        """
        http = _Http(self.base_url, self._headers, self._timeout)
        try:
            return await anyio.to_thread.run_sync(
                functools.partial(_wait_parked, http, user_id, count, timeout),
                abandon_on_cancel=True,
            )
        finally:
            http.close()


class Actor:
    """One user's act-as methods (see :meth:`RemoteHomeserver.as_user`)."""

    def __init__(self, homeserver: RemoteHomeserver, user_id: str) -> None:
        self.homeserver = homeserver
        self.user_id = user_id

    def __repr__(self) -> str:
        return f"Actor({self.user_id!r})"

    def create_room(self, **options: Any) -> str:
        return self.homeserver.create_room(self.user_id, **options)

    def send(self, room_id: str, body: str | None = None, **options: Any) -> str:
        return self.homeserver.send(self.user_id, room_id, body, **options)

    def set_state(
        self, room_id: str, type: str, content: Mapping[str, Any], state_key: str = ""
    ) -> str:
        return self.homeserver.set_state(self.user_id, room_id, type, content, state_key)

    def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        return self.homeserver.redact(self.user_id, room_id, event_id, reason)

    def join(self, room_id_or_alias: str) -> str:
        return self.homeserver.join(self.user_id, room_id_or_alias)

    def leave(self, room_id: str, reason: str | None = None) -> None:
        self.homeserver.leave(self.user_id, room_id, reason)

    def invite(self, room_id: str, target: str, reason: str | None = None) -> None:
        self.homeserver.invite(self.user_id, room_id, target, reason)

    def kick(self, room_id: str, target: str, reason: str | None = None) -> None:
        self.homeserver.kick(self.user_id, room_id, target, reason)

    def ban(self, room_id: str, target: str, reason: str | None = None) -> None:
        self.homeserver.ban(self.user_id, room_id, target, reason)

    def unban(self, room_id: str, target: str, reason: str | None = None) -> None:
        self.homeserver.unban(self.user_id, room_id, target, reason)

    def typing(self, room_id: str, typing: bool = True, timeout: int | None = None) -> None:
        self.homeserver.typing(self.user_id, room_id, typing, timeout)

    def presence(self, presence: str, **options: Any) -> None:
        self.homeserver.presence(self.user_id, presence, **options)

    def receipt(self, room_id: str, event_id: str, receipt_type: str = "m.read") -> None:
        self.homeserver.receipt(self.user_id, room_id, event_id, receipt_type)

    def set_profile(self, **fields: Any) -> None:
        self.homeserver.set_profile(self.user_id, **fields)


class Journal:
    """``homeserver.journal(path=..., user_id=...)``: the client requests, oldest first."""

    def __init__(self, homeserver: RemoteHomeserver) -> None:
        self._homeserver = homeserver

    def __call__(
        self,
        path: str | None = None,
        *,
        user_id: str | None = None,
        method: str | None = None,
        since: int | None = None,
        since_ts: int | None = None,
        limit: int | None = None,
    ) -> list[JsonDict]:
        """Each request as a dict, oldest first.

        Keys: seq, ts, method, path, query, body, user_id, status, fault, dropped.
        ``limit`` keeps only the newest that many of the matching requests.
        """
        params = _present(
            path=path, user_id=user_id, method=method, since=since, since_ts=since_ts, limit=limit
        )
        return list(self._homeserver.call("GET", "/journal", params=params)["requests"])

    def mark(self) -> int:
        """The newest request's ``seq``: pass it as ``since`` to see only what follows."""
        return int(self._homeserver.call("GET", "/journal", params={"limit": 0})["last_seq"])

    def clear(self) -> None:
        self._homeserver.call("DELETE", "/journal")


class Clock:
    """``homeserver.clock``: the server's clock, in milliseconds."""

    def __init__(self, homeserver: RemoteHomeserver) -> None:
        self._homeserver = homeserver

    def now_ms(self) -> int:
        return int(self._homeserver.call("GET", "/clock")["now_ms"])

    @property
    def frozen(self) -> bool:
        return bool(self._homeserver.call("GET", "/clock")["frozen"])

    def freeze(self, at_ms: int | None = None) -> int:
        """Stop the clock (at ``at_ms`` if given); returns the time it shows."""
        return self._set("/clock/freeze", _present(at_ms=at_ms))

    def advance(self, ms: int) -> int:
        """Move the clock forward; parked long-polls re-check their deadlines."""
        return self._set("/clock/advance", {"ms": ms})

    def unfreeze(self) -> int:
        return self._set("/clock/unfreeze", {})

    def _set(self, path: str, body: JsonDict) -> int:
        return int(self._homeserver.call("POST", path, body)["now_ms"])


class _Http:
    """Blocking JSON calls to ``<base_url>/_mock`` over one kept-alive ``http.client`` connection.

    A connection the server closed while idle is opened again once, and the
    call repeated: the server had not read it. Calls from several threads
    take turns.
    """

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/") + "/_mock"
        self._headers = dict(headers)
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> tuple[int, Any]:
        """``(status, parsed JSON body or text)``; ``params`` that are None are left out."""
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        target = self._prefix + path + (f"?{query}" if query else "")
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        with self._lock:
            for attempt in (1, 2):
                reused = self._connection is not None
                connection = self._connection or self._connect()
                connection.timeout = timeout or self._timeout
                if connection.sock is not None:
                    connection.sock.settimeout(connection.timeout)
                try:
                    connection.request(method, target, body=data, headers=headers)
                    response = connection.getresponse()
                    raw = response.read()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    self._drop()
                    if reused and attempt == 1:
                        continue
                    raise
                except BaseException:
                    self._drop()
                    raise
                if response.will_close:
                    self._drop()
                return response.status, _parsed(raw)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        self._connection = kind(self._host, self._port, timeout=self._timeout)
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _answer(response: tuple[int, Any], what: str) -> Any:
    status, body = response
    if status >= 400:
        raise ControlError(status, body, what)
    return body


def _wait_parked(http: _Http, user_id: str | None, count: int, timeout: float) -> JsonDict:
    """Ask ``/_mock/parked`` to wait (60 s at most per call) until the count is reached."""
    deadline = time.monotonic() + timeout
    while True:
        wait = max(0.0, min(deadline - time.monotonic(), MAX_PARKED_WAIT_S))
        response = http.request(
            "GET", "/parked", None, _parked_query(user_id, count, wait), timeout=wait + 30
        )
        body = dict(_answer(response, "GET /_mock/parked"))
        if body["reached"]:
            return body
        if time.monotonic() >= deadline:
            raise TimeoutError(_not_parked(user_id, count, timeout, body))


def _registered(body: JsonDict) -> Registered:
    return Registered(body["user_id"], body.get("access_token"), body.get("device_id"))


def _parked_query(user_id: str | None, count: int, wait_s: float) -> JsonDict:
    return _present(user_id=user_id, count=count, timeout=int(wait_s * 1000))


def _not_parked(user_id: str | None, count: int, timeout: float, body: JsonDict) -> str:
    who = user_id or "all users"
    return f"{who} did not have {count} parked long-poll(s) within {timeout}s: {body['parked']}"
