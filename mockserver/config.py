"""The server's settings: one frozen value that the CLI and the Python API both build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    #: 0 picks a free port.
    port: int = 8008
    server_name: str = "localhost"
    #: Scenario files loaded at start, in order.
    fixtures: tuple[Path, ...] = field(default_factory=tuple)
    #: Serve the ``/_mock`` control API.
    control: bool = True
    #: Required by the control API when set (and always when bound beyond loopback).
    control_token: str | None = None
    #: Seed for generated ids, so a scenario loads to byte-identical responses.
    seed: str = "mockserver"
    #: The base URL advertised in ``/.well-known/matrix/client``; derived from host/port if unset.
    public_baseurl: str | None = None

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    def base_url(self, port: int | None = None) -> str:
        if self.public_baseurl:
            return self.public_baseurl.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port if port is not None else self.port}"
