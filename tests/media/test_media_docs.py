"""What docs/media.md claims beyond "its examples run" (which tests/docs checks).

The page's ``sh`` blocks run here too, through the docs shell, so that the
headers it lists are what the download before them answered, the thumbnails it
saves have the sizes it names, and the deprecated download is the same file.
Its scenario serves the bytes it declares. The matrix-nio and matrix-js-sdk
snippets (the js one is ``not-run`` for the docs runner, which has no node) run
as they are, pointed at the test server, and must print what their
``prints:`` comment says.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.docs.blocks import ROOT, blocks
from tests.docs.shell import Shell, commands
from tests.js.runner import JS_DIR, NODE
from tests.media.images import decoded

PAGE = ROOT / "docs" / "media.md"
DEFAULT_URL = "http://localhost:8008"


def sources(language: str) -> list[str]:
    return [block.source for block in blocks(PAGE) if block.language == language]


class RecordingShell(Shell):
    """The docs shell, keeping the last answer a curl got."""

    last: httpx.Response | None = None

    def curl(self, text: str, command: str) -> httpx.Response:
        self.last = super().curl(text, command)
        return self.last


@pytest.fixture
def demo_server() -> Iterator[ThreadedServer]:
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(ROOT / "fixtures" / "demo.json")
    running = ThreadedServer(homeserver).start()
    yield running
    running.stop()


def test_what_the_curl_examples_show(demo_server: ThreadedServer, tmp_path: Path) -> None:
    with httpx.Client(timeout=30) as http:
        shell = RecordingShell(http, demo_server.base_url, tmp_path)
        for block in blocks(PAGE):
            if block.kind == "sh":
                for command in commands(block.source):
                    shell.run(command)
            elif block.language == "text":
                # Headers the page lists: the download before them answered each.
                assert shell.last is not None
                for line in block.source.strip().splitlines():
                    name, _, value = line.partition(": ")
                    assert shell.last.headers[name] == value, line
    assert decoded((tmp_path / "crop.png").read_bytes()).size == (96, 96)
    assert decoded((tmp_path / "scale.png").read_bytes()).size == (100, 62)
    assert (tmp_path / "same.png").read_bytes() == (tmp_path / "hills.png").read_bytes()
    text = PAGE.read_text()
    assert "`crop.png` is 96x96" in text and "`scale.png` 100x62" in text


def test_the_scenario_example_serves_its_media() -> None:
    [example] = sources("json")
    document = json.loads(example)
    homeserver = Homeserver.create(ServerConfig())
    homeserver.load_fixture(document, "docs/media.md")
    for entry in document["media"]:
        media = homeserver.store.media("localhost", entry["media_id"])
        assert media is not None and media.content == base64.b64decode(entry["base64"])
    assert decoded(base64.b64decode(document["media"][0]["base64"])).size == (1, 1)


def _prints(snippet: str, marker: str) -> str:
    [line] = [line for line in snippet.splitlines() if f"{marker} prints: " in line]
    return line.split(f"{marker} prints: ", 1)[1]


def test_the_nio_example_prints_what_it_says(demo_server: ThreadedServer) -> None:
    [snippet] = sources("python")
    code = snippet.replace(DEFAULT_URL, demo_server.base_url)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == _prints(snippet, "#")


def test_the_js_sdk_example_prints_what_it_says(demo_server: ThreadedServer) -> None:
    [snippet] = sources("js")
    # Inside tests/js, where node finds matrix-js-sdk; a fresh name per run.
    script = JS_DIR / f".docs-media-{uuid.uuid4().hex}.mjs"
    script.write_text(snippet.replace(DEFAULT_URL, demo_server.base_url))
    try:
        run = subprocess.run(
            [str(NODE), str(script)],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
            check=False,
        )
    finally:
        script.unlink()
    assert run.returncode == 0, run.stderr[-3000:]
    # The SDK logs its requests on stdout too: the example's line is the last.
    assert run.stdout.strip().splitlines()[-1] == _prints(snippet, "//")
