"""Who may use the control API: ``--no-control`` and the control token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver import cli
from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.support import assert_error, register

pytestmark = pytest.mark.anyio


async def client_for(config: ServerConfig) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8008") as c:
        yield c


@pytest.fixture
async def no_control() -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(ServerConfig(control=False)):
        yield c


@pytest.fixture
async def with_token() -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(ServerConfig(control_token="s3cret")):
        yield c


async def test_no_control_answers_unrecognized(no_control: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/journal"),
        ("GET", "/_mock/parked"),
    ]:
        assert_error(await no_control.request(method, path), 404, "M_UNRECOGNIZED")
    account = await register(no_control, "alice")
    assert (await account.call("GET", "/account/whoami"))["user_id"] == "@alice:localhost"


async def test_token_is_required_when_set(with_token: httpx.AsyncClient) -> None:
    assert_error(await with_token.get("/_mock/journal"), 401, "M_MISSING_TOKEN")
    wrong = {"Authorization": "Bearer guess"}
    assert_error(await with_token.post("/_mock/reset", headers=wrong), 401, "M_UNKNOWN_TOKEN")
    not_bearer = {"Authorization": "Basic s3cret"}
    assert_error(await with_token.get("/_mock/journal", headers=not_bearer), 401, "M_UNKNOWN_TOKEN")
    right = {"Authorization": "Bearer s3cret"}
    response = await with_token.post("/_mock/act/register", json={"username": "bob"}, headers=right)
    assert response.status_code == 200, response.text


async def test_client_api_ignores_the_control_token(with_token: httpx.AsyncClient) -> None:
    account = await register(with_token, "alice")
    assert (await account.call("GET", "/account/whoami"))["user_id"] == "@alice:localhost"


def test_non_loopback_needs_a_token() -> None:
    with pytest.raises(ValueError, match="control-token"):
        ServerConfig(host="0.0.0.0")
    assert ServerConfig(host="0.0.0.0", control_token="t").control_token == "t"
    assert ServerConfig(host="0.0.0.0", control=False).control is False
    assert ServerConfig(host="127.0.0.2").is_loopback
    with pytest.raises(ValueError):
        ServerConfig(control_token=" ")


def test_cli_maps_control_options() -> None:
    args = cli.parser().parse_args(["--no-control"])
    assert cli.config_from(args).control is False
    args = cli.parser().parse_args(["--control-token", "abc", "--host", "0.0.0.0"])
    config = cli.config_from(args)
    assert (config.control, config.control_token, config.host) == (True, "abc", "0.0.0.0")


def test_cli_refuses_non_loopback_without_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_CONTROL_TOKEN", raising=False)
    assert cli.main(["--host", "0.0.0.0", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mockserver: ") and "--control-token" in err
    assert "Traceback" not in err


def test_cli_reads_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSERVER_CONTROL_TOKEN", "from-env")
    assert cli.config_from(cli.parser().parse_args([])).control_token == "from-env"


def test_banner_says_where_the_control_api_and_the_inspector_are() -> None:
    def last_lines(config: ServerConfig) -> list[str]:
        return cli.banner(Homeserver.create(config)).splitlines()[-2:]

    assert last_lines(ServerConfig()) == [
        "control API at http://127.0.0.1:8008/_mock",
        "inspector at http://127.0.0.1:8008/_mock/",
    ]
    assert last_lines(ServerConfig(control=False))[-1] == "control API off (--no-control)"
    control, inspector = last_lines(ServerConfig(control_token="x"))
    assert "needs Authorization: Bearer" in control
    assert inspector == "inspector at http://127.0.0.1:8008/_mock/?control_token=<control token>"
