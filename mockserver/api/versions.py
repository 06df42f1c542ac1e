"""Discovery: ``/versions``, ``/.well-known/matrix/client`` and capabilities."""

from __future__ import annotations

from starlette.routing import Match

from mockserver.api.route_table import RouteTable
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.sliding_sync import FEATURE as SLIDING_SYNC
from mockserver.core.errors import M_UNRECOGNIZED, MatrixError
from mockserver.core.store import DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS

#: Every version mockserver may announce, oldest first (v1.16 is the newest it follows).
SPEC_VERSIONS = ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1"] + [
    f"v1.{minor}" for minor in range(1, 17)
]

#: The client endpoints a version added, as requests a client makes. A version is
#: announced only when every one of them is served; a version not named here added
#: nothing new to call (new fields, rules, room versions).
INTRODUCED: dict[str, tuple[tuple[str, str], ...]] = {
    "v1.1": (("POST", "/_matrix/client/v3/knock/!r:localhost"),),
    "v1.2": (("GET", "/_matrix/client/v1/rooms/!r:localhost/hierarchy"),),
    "v1.3": (("GET", "/_matrix/client/v1/rooms/!r:localhost/relations/$e"),),
    "v1.4": (("GET", "/_matrix/client/v1/rooms/!r:localhost/threads"),),
    "v1.6": (("GET", "/_matrix/client/v1/rooms/!r:localhost/timestamp_to_event"),),
    "v1.7": (("POST", "/_matrix/media/v1/create"),),
    "v1.11": (
        ("GET", "/_matrix/client/v1/media/config"),
        ("GET", "/_matrix/client/v1/media/download/localhost/m"),
    ),
    "v1.13": (("POST", "/_matrix/client/v3/rooms/!r:localhost/report"),),
    "v1.15": (("GET", "/_matrix/client/v1/auth_metadata"),),
}


def served_versions(table: RouteTable) -> list[str]:
    """The versions whose added endpoints ``table`` all serves (see :data:`INTRODUCED`)."""

    def served(method: str, path: str) -> bool:
        scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode()}
        return table.find(scope)[0] is Match.FULL

    return [v for v in SPEC_VERSIONS if all(served(*call) for call in INTRODUCED.get(v, ()))]


#: What clients check before using an unstable API (matrix-rust-sdk refuses a server
#: without simplified sliding sync).
UNSTABLE_FEATURES = {SLIDING_SYNC: True}


@endpoint("/_matrix/client/versions", "GET", public=True)
async def get_versions(call: Call) -> Reply:
    return {
        "versions": call.request.scope["app"].spec_versions,
        "unstable_features": UNSTABLE_FEATURES,
    }


@endpoint("/.well-known/matrix/client", "GET", public=True)
async def get_well_known(call: Call) -> Reply:
    return {"m.homeserver": {"base_url": call.hs.base_url()}}


@endpoint("/capabilities", "GET")
async def get_capabilities(call: Call) -> Reply:
    return {
        "capabilities": {
            "m.room_versions": {
                "default": DEFAULT_ROOM_VERSION,
                "available": {version: "stable" for version in SUPPORTED_ROOM_VERSIONS},
            },
            "m.change_password": {"enabled": True},
            "m.set_displayname": {"enabled": True},
            "m.set_avatar_url": {"enabled": True},
            "m.3pid_changes": {"enabled": False},
        }
    }


@endpoint("/auth_metadata", "GET", public=True)
async def get_auth_metadata(call: Call) -> Reply:
    """Login is mockserver's own (no OAuth 2.0 delegation): the spec's 404 for that case.

    Synapse without delegated auth does not route the path at all, which
    answers the same errcode.
    """
    raise MatrixError(M_UNRECOGNIZED, "OAuth 2.0 authentication is not supported", status=404)


unprefixed_routes = [get_versions, get_well_known]
v1_routes = [get_auth_metadata]
routes = [get_capabilities]
