"""Who may reach ``/_mock`` at all: test processes, never web pages.

The control API can act as any user and hands out every access token, so
a page the developer happens to visit must not drive it. Browsers add an
``Origin`` header to every cross-origin request (simple ``text/plain``
POSTs, which need no preflight, included), while curl, the Python client
and other test processes send none. So a ``/_mock`` request is refused
with ``403 M_FORBIDDEN`` when:

- it carries an ``Origin`` other than the server's own, that is other
  than the request's scheme and ``Host`` (``http://127.0.0.1:8008``) or
  the origin of ``public_baseurl`` (``Origin: null`` included); a page
  mockserver serves itself, such as an inspector under ``/_mock``, sends
  its own origin and is served;
- without a control token, its ``Host`` is not one of the server's own
  names: the loopback names and addresses, the host it was bound to and
  the host of ``public_baseurl``. DNS rebinding makes a foreign page
  same-origin under the attacker's name, which only ``Host`` gives away.
  With a control token the caller is whoever holds it, under any name
  (a container reaching mockserver by service name).

``/_mock`` answers carry no CORS headers (see :mod:`mockserver.cors`), so a
foreign page can neither pass a preflight nor read an answer.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import Scope

from mockserver.config import ServerConfig
from mockserver.core.errors import MatrixError, forbidden

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})


def hostname(host: str) -> str:
    """The name in a ``Host`` header, lower-cased, without its port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class ControlAccess:
    """The Host and Origin rules for one server's ``/_mock``."""

    def __init__(self, config: ServerConfig) -> None:
        own = {hostname(config.host)}
        if config.public_baseurl:
            own.add((urlsplit(config.public_baseurl).hostname or "").lower())
        self.own_names = frozenset(own - {""})
        self.any_host = config.control_token is not None
        base = urlsplit(config.public_baseurl or "")
        self.own_origin = f"{base.scheme}://{base.netloc}".lower() if base.netloc else None

    def refusal(self, scope: Scope) -> MatrixError | None:
        """Why this ``/_mock`` request is refused, or None if it may go on."""
        host: str | None = None
        origin: str | None = None
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"origin":
                origin = value.decode("latin-1")
        if not self.any_host and not self._own_host(host):
            return forbidden("The control API answers only for the server's own host names")
        if origin is not None and not self._own_origin(origin, scope["scheme"], host):
            return forbidden("The control API is not for web pages of other origins")
        return None

    def _own_host(self, host: str | None) -> bool:
        if host is None:
            # HTTP/1.0 without Host: no browser sends that.
            return True
        name = hostname(host)
        return is_loopback(name) or name in self.own_names

    def _own_origin(self, origin: str, scheme: str, host: str | None) -> bool:
        origin = origin.strip().lower()
        if origin == self.own_origin:
            return True
        return host is not None and origin == f"{scheme}://{host.strip().lower()}"
