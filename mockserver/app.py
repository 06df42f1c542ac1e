"""``create_app``: the one place routes, error handlers and middleware are wired."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mockserver.api import (
    account,
    account_data,
    directory,
    ephemeral,
    events,
    filters,
    keys,
    messages,
    presence,
    profile,
    push_rules,
    rooms,
    sync,
    versions,
)
from mockserver.api.routing import Endpoint, mount
from mockserver.config import ServerConfig
from mockserver.cors import CorsMiddleware
from mockserver.errors import EXCEPTION_HANDLERS
from mockserver.homeserver import Homeserver

CLIENT_PREFIXES = ("/_matrix/client/api/v1", "/_matrix/client/r0", "/_matrix/client/v3")
SEED_PREFIX = "/_matrix/client/v2_alpha"

#: Every client-server endpoint except /sync, served under each of CLIENT_PREFIXES.
CLIENT_ENDPOINTS: list[Endpoint] = [
    *account.routes,
    *versions.routes,
    *push_rules.routes,
    *filters.routes,
    *rooms.routes,
    *events.routes,
    *messages.routes,
    *presence.routes,
    *ephemeral.routes,
    *profile.routes,
    *account_data.routes,
    *keys.routes,
    *directory.routes,
]


def client_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = list(mount("", versions.unprefixed_routes))
    routes += mount(SEED_PREFIX, [*sync.seed_routes, *filters.routes])
    for prefix in CLIENT_PREFIXES:
        if prefix != "/_matrix/client/api/v1":
            routes += mount(prefix, sync.stable_routes)
        routes += mount(prefix, CLIENT_ENDPOINTS)
    return routes


def create_app(
    config: ServerConfig | None = None,
    homeserver: Homeserver | None = None,
) -> Starlette:
    """Build the ASGI app for ``homeserver`` (a fresh, empty one by default)."""
    config = config or (homeserver.config if homeserver is not None else ServerConfig())
    homeserver = homeserver or Homeserver.create(config)
    app = Starlette(
        routes=client_routes(),
        middleware=[Middleware(CorsMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.router.redirect_slashes = False
    app.state.homeserver = homeserver
    return app
