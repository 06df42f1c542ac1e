"""``create_app``: the one place routes, error handling and middleware are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from mockserver.api import (
    account,
    account_data,
    devices,
    directory,
    ephemeral,
    events,
    filters,
    jump_to_date,
    keys,
    media,
    messages,
    presence,
    profile,
    push_rules,
    room_keys,
    pushers,
    reporting,
    relations,
    room_upgrades,
    rooms,
    sliding_sync,
    spaces,
    sync,
    user_directory,
    versions,
    voip,
)
from mockserver.api.route_table import RouteTable
from mockserver.api.routing import Endpoint, mount
from mockserver.config import ServerConfig
from mockserver.control import act, clock, expectations, inspector, openapi, parked, world
from mockserver.control import voip as control_voip
from mockserver.control.access import ControlAccess
from mockserver.control import scenarios as control_scenarios
from mockserver.control import faults as control_faults
from mockserver.control import journal as control_journal
from mockserver.control.routing import PREFIX as CONTROL_PREFIX
from mockserver.control.routing import mount_control
from mockserver.homeserver import Homeserver
from mockserver.middleware import HttpMiddleware

CLIENT_PREFIXES = ("/_matrix/client/api/v1", "/_matrix/client/r0", "/_matrix/client/v3")
SEED_PREFIX = "/_matrix/client/v2_alpha"
UNSTABLE_PREFIX = "/_matrix/client/unstable"
V1_PREFIX = "/_matrix/client/v1"

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
    *room_keys.routes,
    *devices.routes,
    *directory.routes,
    *voip.routes,
    *pushers.routes,
    *reporting.routes,
    *user_directory.routes,
    *room_upgrades.routes,
]

#: Endpoints the spec serves under /_matrix/client/v1 only.
CLIENT_V1_ENDPOINTS: list[Endpoint] = [
    *versions.v1_routes,
    *jump_to_date.routes,
    *spaces.routes,
    *relations.routes,
]


#: The control API, served under /_mock unless ServerConfig.control is off.
CONTROL_ENDPOINTS: list[Endpoint] = [
    *world.routes,
    *control_scenarios.routes,
    *act.routes,
    *control_faults.routes,
    *control_journal.routes,
    *clock.routes,
    *parked.routes,
    *inspector.routes,
    *control_voip.routes,
    *expectations.routes,
    *openapi.routes,
]


def client_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = list(mount("", versions.unprefixed_routes))
    routes += mount(SEED_PREFIX, [*sync.seed_routes, *filters.routes])
    routes += mount(UNSTABLE_PREFIX, sliding_sync.routes)
    routes += mount(V1_PREFIX, CLIENT_V1_ENDPOINTS)
    for prefix in CLIENT_PREFIXES:
        if prefix != "/_matrix/client/api/v1":
            routes += mount(prefix, sync.stable_routes)
        routes += mount(prefix, CLIENT_ENDPOINTS)
    for prefix, endpoints in media.routes.items():
        routes += mount(prefix, endpoints)
    return routes


def lifespan(
    homeserver: Homeserver,
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Run the homeserver's background work (the script's timers) while the app serves."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(homeserver.script.run)
            yield
            tasks.cancel_scope.cancel()

    return run


class MockserverApp(Starlette):
    """Starlette serving ``homeserver`` through :class:`HttpMiddleware` straight to ``table``.

    The middleware answers every exception itself, which would leave
    Starlette's error and exception middleware nothing to do but wrap
    ``send`` and build a ``Request`` per request; with the table the only
    route, its router would only pass requests on. The router still runs
    the lifespan.

    Handlers and the journal find the homeserver as ``scope["app"].homeserver``:
    a plain attribute, where reading Starlette's ``app.state`` raises and
    catches an ``AttributeError`` every time.
    """

    def __init__(
        self, homeserver: Homeserver, table: RouteTable, *, control: ControlAccess | None
    ) -> None:
        super().__init__(routes=[table], lifespan=lifespan(homeserver))
        self.homeserver = homeserver
        self.table = table
        #: What ``GET /_matrix/client/versions`` announces: what the routes serve.
        self.spec_versions = versions.served_versions(table)
        self.control = control

    def build_middleware_stack(self) -> ASGIApp:
        return HttpMiddleware(
            self.router, routes=self.table, journal=self.control is not None, control=self.control
        )


def create_app(
    config: ServerConfig | None = None,
    homeserver: Homeserver | None = None,
) -> MockserverApp:
    """Build the ASGI app for ``homeserver`` (a fresh, empty one by default)."""
    config = config or (homeserver.config if homeserver is not None else ServerConfig())
    homeserver = homeserver or Homeserver.create(config)
    routes = client_routes()
    if config.control:
        routes += mount_control(CONTROL_ENDPOINTS, config.control_token)
        routes += mount(CONTROL_PREFIX, inspector.page_routes)
    control = ControlAccess(config) if config.control else None
    return MockserverApp(homeserver, RouteTable(routes), control=control)
