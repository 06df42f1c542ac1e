"""``mockserver [--host] [--port] [--server-name] [--fixture PATH]... [--no-control] [--control-token T]``

Each option maps to one field of :class:`~mockserver.config.ServerConfig`;
the CLI builds the config, loads the scenarios, binds, prints what a client
developer needs (the URL, each user and their access token) and serves.
It exits 1 with one line on stderr, and no traceback, when it cannot start.

``mockserver check FILE...`` checks scenario files (or shipped scenarios, by
name) without serving: one line per problem, exit 1 if there is any.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mockserver import __version__
from mockserver.config import ServerConfig
from mockserver.core.store import Store
from mockserver.homeserver import Homeserver
from mockserver.scenarios import ScenarioError, check_scenario, read_file
from mockserver.server import bind, uvicorn_server

EXIT_STARTUP_FAILURE = 1
DEFAULTS = ServerConfig()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except for flags and options that have none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="mockserver",
        description="An in-memory Matrix homeserver for client tests and demos. "
        "'mockserver check FILE...' checks scenario files without serving.",
        formatter_class=_Formatter,
    )
    p.add_argument("--host", default=DEFAULTS.host, help="address to listen on")
    p.add_argument(
        "--port", type=int, default=DEFAULTS.port, help="port to listen on (0 picks a free one)"
    )
    p.add_argument(
        "--server-name", default=DEFAULTS.server_name, help="the server part of user ids"
    )
    p.add_argument(
        "--fixture",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="scenario file, or name of a shipped scenario (demo, invites...), to load at "
        "start (repeatable, applied in order)",
    )
    p.add_argument(
        "--seed", default=DEFAULTS.seed, help="seed for generated room, event and device ids"
    )
    p.add_argument(
        "--max-upload-size",
        type=int,
        default=DEFAULTS.max_upload_size,
        metavar="BYTES",
        help="the largest media upload accepted (larger ones get 413 M_TOO_LARGE)",
    )
    p.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help="do not serve the /_mock control API (nor journal requests)",
    )
    p.add_argument(
        "--control-token",
        default=os.environ.get("MOCKSERVER_CONTROL_TOKEN"),
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on /_mock calls; needed when --host is "
        "not a loopback address; also read from $MOCKSERVER_CONTROL_TOKEN",
    )
    p.add_argument(
        "--read-timeout",
        type=float,
        default=DEFAULTS.read_timeout,
        metavar="SECONDS",
        help="close a connection that sends nothing of a begun request for this long",
    )
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--version", action="version", version=f"mockserver {__version__}")
    return p


def check_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="mockserver check",
        description="Check scenario files without serving them: one line per problem "
        "(file: json.path: problem), exit status 1 if there is any.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="scenario file, or name of a shipped scenario"
    )
    return p


def check(argv: Sequence[str]) -> int:
    """``mockserver check FILE...``: each file against an empty server, every problem shown."""
    args = check_parser().parse_args(argv)
    failed = False
    for path in args.files:
        try:
            check_scenario(Store(), read_file(path), source=path)
        except ScenarioError as exc:
            failed = True
            for line in exc.lines():
                print(line)
        else:
            print(f"{path}: ok")
    return EXIT_STARTUP_FAILURE if failed else 0


def config_from(args: argparse.Namespace) -> ServerConfig:
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, not {args.port}")
    return ServerConfig(
        host=args.host,
        port=args.port,
        server_name=args.server_name,
        fixtures=tuple(args.fixture),
        seed=args.seed,
        max_upload_size=args.max_upload_size,
        control=args.control,
        control_token=args.control_token,
        read_timeout=args.read_timeout,
    )


def _fail(message: str) -> int:
    print(f"mockserver: {message}", file=sys.stderr)
    return EXIT_STARTUP_FAILURE


def banner(homeserver: Homeserver) -> str:
    """The URL, each user with their access token (or password), then the control API."""
    config = homeserver.config
    url = homeserver.base_url()
    lines = [f"mockserver serving {url} (server name {homeserver.store.server_name})"]
    store = homeserver.store
    tokens: dict[str, list[str]] = {}
    for session in store.sessions.values():
        tokens.setdefault(session.user_id, []).append(session.access_token)
    for user_id, user in store.users.items():
        found = tokens.get(user_id)
        if found:
            lines.append(f"  {user_id}  access_token {' '.join(found)}")
        elif user.password is not None:
            lines.append(f"  {user_id}  password {user.password}")
        else:
            lines.append(f"  {user_id}")
    if not config.control:
        lines.append("control API off (--no-control)")
    elif config.control_token is not None:
        lines.append(f"control API at {url}/_mock (needs Authorization: Bearer <control token>)")
    else:
        lines.append(f"control API at {url}/_mock")
    if config.control:
        token = "?control_token=<control token>" if config.control_token is not None else ""
        lines.append(f"inspector at {url}/_mock/{token}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:
        return check(argv[1:])
    args = parser().parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as exc:
        return _fail(str(exc))
    homeserver = Homeserver.create(config)
    for path in config.fixtures:
        try:
            homeserver.load_fixture_file(path)
        except ScenarioError as exc:
            return _fail(str(exc))
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
    homeserver.bound_port = sock.getsockname()[1]
    print(banner(homeserver), flush=True)
    server = uvicorn_server(homeserver, log_level=args.log_level, access_log=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0 if server.started else EXIT_STARTUP_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
