"""The command line, run as a real process: the banner, and failing with one clear line."""

from __future__ import annotations

import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).parent / "mockserver"
COMMANDS = {
    "console script": [str(SCRIPT)],
    "python -m": [sys.executable, "-m", "mockserver"],
}


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "console script" and not (SCRIPT.exists() or shutil.which("mockserver")):
        pytest.fail("the mockserver console script is not installed (run make install)")
    return COMMANDS[request.param]


def run(command: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=30)


def assert_one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mockserver: ")
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    yield holder.getsockname()[1]
    holder.close()


def test_port_in_use_exits_with_one_line(command: list[str], busy_port: int) -> None:
    line = assert_one_line_failure(run(command, "--port", str(busy_port)))
    assert str(busy_port) in line


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["--port", "abc"],
        ["--port", "70000"],
        ["--port", "-1"],
        ["--log-level", "loud"],
        ["--host"],
        ["positional"],
    ],
)
def test_bad_option_exits_with_one_line(args: list[str]) -> None:
    # Both commands run the same main(); the matrix of options needs only one of them.
    assert_one_line_failure(run(COMMANDS["python -m"], *args))


def test_unresolvable_host_exits_with_one_line(command: list[str]) -> None:
    assert_one_line_failure(run(command, "--host", "no-such-host.invalid", "--port", "0"))


def test_help_and_version(command: list[str]) -> None:
    help_text = run(command, "--help")
    assert help_text.returncode == 0
    for option in ("--host", "--port", "--server-name", "--fixture"):
        assert option in help_text.stdout
    version = run(command, "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("mockserver ")


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            raise AssertionError("no output before the deadline")
    return process.stdout.readline()


def test_banner_prints_the_url_it_serves(command: list[str]) -> None:
    args = ["--port", "0", "--server-name", "example.test", "--log-level", "warning"]
    with subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = read_line(process, time.monotonic() + 20)
            match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            assert match is not None, line
            assert "example.test" in line
            url = match.group(0)
            # The socket listens before the banner is printed, so this connects at once
            # and is answered as soon as uvicorn runs: no retry loop needed.
            response = httpx.get(f"{url}/_matrix/client/versions", timeout=20)
            assert response.status_code == 200
            registered = httpx.post(
                f"{url}/_matrix/client/v3/register",
                json={"username": "alice", "auth": {"type": "m.login.dummy"}},
                timeout=20,
            )
            assert registered.json()["user_id"] == "@alice:example.test"
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in stderr
