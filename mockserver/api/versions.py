"""Discovery: ``/versions``, ``/.well-known/matrix/client`` and capabilities."""

from __future__ import annotations

from mockserver.api.routing import Call, Reply, endpoint
from mockserver.api.sliding_sync import FEATURE as SLIDING_SYNC
from mockserver.core.errors import M_UNRECOGNIZED, MatrixError
from mockserver.core.store import DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS

SPEC_VERSIONS = ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1"] + [
    f"v1.{minor}" for minor in range(1, 17)
]

#: What clients check before using an unstable API (matrix-rust-sdk refuses a server
#: without simplified sliding sync).
UNSTABLE_FEATURES = {SLIDING_SYNC: True}


@endpoint("/_matrix/client/versions", "GET", public=True)
async def get_versions(call: Call) -> Reply:
    return {"versions": SPEC_VERSIONS, "unstable_features": UNSTABLE_FEATURES}


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
