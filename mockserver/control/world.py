"""``POST /_mock/reset``: an empty world, or the loaded scenarios loaded again.

``{"fixtures": true}`` (the default) reloads every scenario loaded since
the world was last emptied (the ``--fixture`` files, then any posted to
``/_mock/fixtures``), restarting their scripts; ``false`` leaves an empty
world. A reset also clears what the harness holds for a test: the
journal, the fault rules, the expectations, and any freeze or advance of the clock.
"""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.control.body import control_body
from mockserver.homeserver import Homeserver


def reset(hs: Homeserver, *, fixtures: bool) -> None:
    """Forget every user, room and event; reload the loaded scenarios when ``fixtures``."""
    hs.faults.clear()
    hs.expectations.clear()
    hs.journal.clear()
    hs.clock.reset()
    hs.reset(reload_fixtures=fixtures)


@endpoint("/reset", "POST", public=True)
async def post_reset(call: Call) -> Reply:
    body = await control_body(call, ("fixtures",))
    fixtures = params.field(body, "fixtures", bool, True)
    reset(call.hs, fixtures=fixtures)
    return {"fixtures": [source for _, source in call.hs.fixtures]}


routes = [post_reset]
