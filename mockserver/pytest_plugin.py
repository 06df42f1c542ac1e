"""The pytest plugin: a mockserver for your client's tests, registered by installing mockserver.

Fixtures (see docs/pytest.md):

``homeserver``
    A :class:`~mockserver.remote.RemoteHomeserver` for one test: ``base_url``
    to point a client at, a fresh world (reset through the control API, so a
    test pays milliseconds, not a server start), the scenarios named by the
    ``mockserver_scenario`` marker loaded, and the control operations as
    methods. Expectations declared with ``homeserver.expect(...)`` are
    verified when the test ends: an unmet one fails it, saying what was
    called instead.
``mockserver_config`` (session)
    The :class:`~mockserver.config.ServerConfig` of the server; override it
    in a ``conftest.py`` to change the server name, seed or the scenarios
    (``fixtures``) every test starts from.
``mockserver_server`` (session)
    The running :class:`~mockserver.server.ThreadedServer`: one per test run,
    and under pytest-xdist one per worker, each on its own free port.

Marker: ``@pytest.mark.mockserver_scenario("scenarios/x.json", "demo", {...})``
loads each scenario (a path, relative to the test file or else to the
rootdir; the name of a shipped scenario; or the document itself) in order,
after the reset and the config's ``fixtures``. Markers on the module and
class apply before those on the function. A scenario that does not load
fails the test with its problems, one line each (file, JSON path, problem),
and no traceback.

This module is imported by every pytest run in an environment that has
mockserver installed, so it imports nothing of mockserver until a fixture
is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.config import ServerConfig
    from mockserver.remote import RemoteHomeserver
    from mockserver.server import ThreadedServer

MARKER = "mockserver_scenario"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*scenarios): load these scenarios (JSON file paths, relative to the test "
        "file or the rootdir; names of shipped scenarios; or documents) into the "
        "`homeserver` fixture's fresh world",
    )


@pytest.fixture(scope="session")
def mockserver_config() -> ServerConfig:
    """The settings of the run's server: loopback, a free port, control API on."""
    from mockserver.config import ServerConfig

    return ServerConfig(host="127.0.0.1", port=0)


@pytest.fixture(scope="session")
def mockserver_server(mockserver_config: ServerConfig) -> Iterator[ThreadedServer]:
    """One server for the whole run (per xdist worker), started once it accepts connections."""
    from mockserver.homeserver import Homeserver
    from mockserver.server import ThreadedServer

    server = ThreadedServer(Homeserver.create(mockserver_config)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def homeserver(
    mockserver_server: ThreadedServer,
    mockserver_config: ServerConfig,
    request: pytest.FixtureRequest,
) -> Iterator[RemoteHomeserver]:
    """The run's server, reset to a fresh world for this test, with its control API."""
    from mockserver.remote import ControlError, ExpectationError, RemoteHomeserver

    remote = RemoteHomeserver(
        mockserver_server.base_url,
        server_name=mockserver_config.server_name,
        control_token=mockserver_config.control_token,
    )
    try:
        remote.reset()
        for scenario in [*mockserver_config.fixtures, *_scenarios(request)]:
            refused = None
            try:
                remote.load(scenario)
            except ControlError as exc:
                refused = str(exc.error)  # one line per problem: file, JSON path, problem
            if refused is not None:
                pytest.fail(refused, pytrace=False)
        yield remote
        unmet = None
        try:
            remote.verify()
        except ExpectationError as exc:
            unmet = str(exc)
        if unmet is not None:
            pytest.fail(unmet, pytrace=False)
    finally:
        remote.close()


def _scenarios(request: pytest.FixtureRequest) -> list[Path | Mapping[str, Any]]:
    """The marker's scenarios, outermost marker first, paths resolved."""
    found: list[Path | Mapping[str, Any]] = []
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        for scenario in marker.args:
            if isinstance(scenario, Mapping):
                found.append(scenario)
            elif isinstance(scenario, str | Path):
                found.append(_resolve(Path(scenario), request))
            else:
                raise pytest.UsageError(
                    f"@pytest.mark.{MARKER} takes paths or dicts, not {type(scenario).__name__}"
                )
    return found


def _resolve(path: Path, request: pytest.FixtureRequest) -> Path:
    from mockserver.scenarios.shipped import shipped_names, shipped_scenario

    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [request.path.parent / path, request.config.rootpath / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    shipped = shipped_scenario(str(path))
    if shipped is not None:
        return shipped
    tried = ", ".join(str(c) for c in candidates)
    pytest.fail(
        f"@pytest.mark.{MARKER}: no scenario file {path} (tried {tried}), nor a shipped "
        f"scenario of that name ({', '.join(shipped_names())})",
        pytrace=False,
    )
