"""``mockserver --fixture PATH``: load at start, print users and tokens, refuse bad files."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mockserver.cli import banner, main
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.scenario_docs import FIXTURES, ROOT, small_world


def test_a_bad_fixture_stops_the_start_with_the_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = small_world()
    doc["rooms"][0]["timeline"][3]["sender"] = "@carol:localhost"
    bad = tmp_path / "demo.json"
    bad.write_text(json.dumps(doc))
    good = tmp_path / "first.json"
    good.write_text(json.dumps({"users": [{"user_id": "@zed:localhost"}]}))
    assert main(["--port", "0", "--fixture", str(good), "--fixture", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert err == f"mockserver: {bad}: rooms[0].timeline[3].sender: unknown user @carol:localhost\n"
    assert out == ""


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "$: cannot read the file: No such file or directory"),
        ("{oops", "$: not valid JSON: "),
    ],
)
def test_an_unreadable_fixture_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, problem: str
) -> None:
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content)
    assert main(["--port", "0", "--fixture", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"mockserver: {path}: {problem}")


def test_fixtures_apply_in_order() -> None:
    hs = Homeserver.create(ServerConfig())
    second = {"rooms": [{"creator": "@alice:example.com", "name": "More"}]}
    hs.load_fixture_file(FIXTURES / "seed_example.json")
    hs.load_fixture(second, "second.json")
    assert [source for _, source in hs.fixtures] == [
        str(FIXTURES / "seed_example.json"),
        "second.json",
    ]


def test_banner_lists_users_with_their_fixed_tokens() -> None:
    hs = Homeserver.create(ServerConfig())
    hs.load_fixture_file(FIXTURES / "demo.json")
    lines = banner(hs).splitlines()
    assert lines[0] == "mockserver serving http://127.0.0.1:8008 (server name localhost)"
    assert lines[1:-2] == [
        f"  @{name}:localhost  access_token {name}_token"
        for name in ("alice", "bob", "carol", "dave")
    ]
    assert lines[-2:] == [
        "control API at http://127.0.0.1:8008/_mock",
        "inspector at http://127.0.0.1:8008/_mock/",
    ]


def test_makefile_serves_the_demo_by_default() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^FIXTURES \?= demo$", makefile, re.MULTILINE)
    assert "$(foreach f,$(FIXTURES),--fixture $(f))" in makefile


def test_the_command_serves_its_fixture_over_http() -> None:
    """``python -m mockserver --fixture fixtures/demo.json --port 0``, as ``make run`` starts it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockserver",
            "--port",
            "0",
            "--log-level",
            "warning",
            "--fixture",
            str(FIXTURES / "demo.json"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = _read_lines(process.stdout, count=5, timeout=20)
        url = re.match(r"mockserver serving (\S+) ", lines[0])
        assert url is not None, lines
        assert "  @alice:localhost  access_token alice_token" in lines
        response = httpx.get(
            f"{url.group(1)}/_matrix/client/v3/sync",
            headers={"Authorization": "Bearer alice_token"},
            timeout=10,
        )
        assert response.status_code == 200
        assert "!lobby:localhost" in response.json()["rooms"]["join"]
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _read_lines(stream: object, count: int, timeout: float) -> list[str]:
    """The first ``count`` lines of a child's stdout, waiting at most ``timeout`` seconds."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    buffer = b""
    while buffer.count(b"\n") < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {buffer!r}"
        if selector.select(remaining):
            chunk = os.read(stream.fileno(), 4096)  # type: ignore[attr-defined]
            assert chunk, f"the server exited; got {buffer!r}"
            buffer += chunk
    return buffer.decode().splitlines()[:count]
