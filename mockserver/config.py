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
    #: Scenario files (or names of shipped scenarios) loaded at start, in order.
    fixtures: tuple[str | Path, ...] = field(default_factory=tuple)
    #: Serve the ``/_mock`` control API (and journal client requests for it).
    control: bool = True
    #: When set, every ``/_mock`` call must carry ``Authorization: Bearer <control_token>``.
    #: Required when the control API is served beyond loopback, since it can act as anyone.
    control_token: str | None = None
    #: Seed for generated ids, so a scenario loads to byte-identical responses.
    seed: str = "mockserver"
    #: The base URL advertised in ``/.well-known/matrix/client``; derived from host/port if unset.
    public_baseurl: str | None = None
    #: The largest upload accepted, in bytes (Synapse's default, 50 MiB); past it, 413 M_TOO_LARGE.
    max_upload_size: int = 50 * 1024 * 1024
    #: Seconds a connection may send nothing of a request it has begun (or of its first)
    #: before it is closed; answers being computed (long-polls) are not limited.
    read_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.max_upload_size < 1:
            raise ValueError("the largest upload size must be at least 1 byte")
        if not self.read_timeout > 0:
            raise ValueError("the read timeout must be a positive number of seconds")
        if self.control_token is not None and not self.control_token.strip():
            raise ValueError("the control token must not be empty")
        if self.control and self.control_token is None and not self.is_loopback:
            raise ValueError(
                f"the control API can act as any user: bound to {self.host}, it needs "
                "--control-token (or turn it off with --no-control)"
            )

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    def base_url(self, port: int | None = None) -> str:
        if self.public_baseurl:
            return self.public_baseurl.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port if port is not None else self.port}"
