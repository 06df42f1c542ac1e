"""docs/media.md's examples, run: the curl blocks in order, the scenario, the SDK snippets.

CI has only python3, so the shell blocks are read by a small interpreter that knows
exactly the forms the page uses (``NAME=value``, ``NAME=$(curl … | jq -r .field)``,
``echo``, ``${NAME#prefix}``, and curl's ``-s -D - -o FILE -X -H --data-binary @FILE``)
and sends each request with httpx; anything else fails the test. A trailing
``# -> STATUS [ERRCODE]`` names the expected answer (else it must be 2xx). The block of
headers after a download must be what that download answered; the thumbnails the page
saves must have the sizes it names. The Python and JavaScript snippets run as they are
(pointed at the test server) and must print what their ``prints:`` comment says.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.js.runner import JS_DIR, NODE
from tests.media.images import decoded
from tests.scenario_docs import FIXTURES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "media.md"
DEFAULT_URL = "http://localhost:8008"
#: A fenced block: its language (the first word of its info string) and its text.
BLOCK = re.compile(r"```(\w*)[^\n]*\n(.*?)```", re.S)
EXPECT = re.compile(r"#\s*->\s*(\d{3})(?:\s+(M_[A-Z_]+))?")
ASSIGN = re.compile(r"^(\w+)=\$\((.*)\)$", re.S)
LITERAL = re.compile(r"^(\w+)=(\S+)$")
VARIABLE = re.compile(r"\$\{(\w+)(?:#([^}]*))?\}|\$(\w+)")
#: A comment: ``#`` after a space (``${MXC#mxc://}`` is no comment).
COMMENT = re.compile(r"\s+#(\s.*)?$")
NOTES = b"Notes for the media page.\n"


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text()) if lang == language]


def commands(block: str) -> Iterator[str]:
    """Whole commands: continuation lines joined, comment-only lines skipped."""
    buffer = ""
    for line in block.splitlines():
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buffer = f"{buffer} {line.strip()}" if buffer else line
        if buffer.endswith("\\"):
            buffer = buffer[:-1]
            continue
        yield buffer
        buffer = ""


@dataclass
class Shell:
    http: httpx.Client
    folder: Path
    variables: dict[str, str]
    last: httpx.Response | None = None
    #: What each ``-o FILE`` wrote, in order.
    saved: list[bytes] = field(default_factory=list)
    ran: int = 0

    def expand(self, text: str) -> str:
        parts = re.split(r"('[^']*')", text)
        return "".join(
            part if part.startswith("'") else VARIABLE.sub(self._value, part) for part in parts
        )

    def _value(self, match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        assert name in self.variables, f"${name} is used before it is set"
        return self.variables[name].removeprefix(match.group(2) or "")

    def run(self, command: str) -> None:
        expected = EXPECT.search(command)
        status = int(expected.group(1)) if expected else None
        errcode = expected.group(2) if expected else None
        code = COMMENT.sub("", command).strip()
        if code.startswith("echo "):
            return
        if assigned := ASSIGN.match(code):
            name, inner = assigned.groups()
            curl, _, jq = inner.partition("| jq -r .")
            assert jq, f"only curl | jq -r .field assignments are understood: {command}"
            self.variables[name] = self.curl(curl, status, errcode).json()[jq.strip()]
            return
        if literal := LITERAL.match(code):
            name, value = literal.groups()
            if name != "HS":  # the page's HS points at make run; ours is the test server
                self.variables[name] = value
            return
        self.curl(code, status, errcode)

    def curl(self, command: str, status: int | None, errcode: str | None) -> httpx.Response:
        args = shlex.split(self.expand(command))
        assert args[0] == "curl", f"not a curl command: {command}"
        method, url, content, output = None, None, None, None
        headers: dict[str, str] = {}
        rest = iter(args[1:])
        for arg in rest:
            if arg == "-s":
                continue
            if arg == "-D":
                assert next(rest) == "-", command
            elif arg == "-o":
                output = self.folder / next(rest)
            elif arg == "-X":
                method = next(rest)
            elif arg == "-H":
                key, _, value = next(rest).partition(":")
                headers[key.strip()] = value.strip()
            elif arg == "--data-binary":
                name = next(rest)
                assert name.startswith("@"), command
                content = (self.folder / name[1:]).read_bytes()
            elif arg.startswith("http"):
                url = arg
            else:
                raise AssertionError(f"curl option {arg!r} is not understood: {command}")
        assert url is not None, command
        if content is not None:
            # What curl sends with --data-binary when no type is given.
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        response = self.http.request(
            method or ("POST" if content is not None else "GET"), url, content=content, headers=headers
        )
        self.ran += 1
        where = f"{command.strip()}\n-> {response.status_code} {response.text[:300]}"
        if status is None:
            assert 200 <= response.status_code < 300, where
        else:
            assert response.status_code == status, where
        if errcode is not None:
            assert response.json()["errcode"] == errcode, where
        if output is not None:
            output.write_bytes(response.content)
            self.saved.append(response.content)
        self.last = response
        return response


@pytest.fixture
def demo_server() -> Iterator[ThreadedServer]:
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(FIXTURES / "demo.json")
    running = ThreadedServer(homeserver).start()
    yield running
    running.stop()


def test_the_curl_examples_run_in_order(demo_server: ThreadedServer, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes(NOTES)
    text = PAGE.read_text()
    with httpx.Client(timeout=30) as http:
        shell = Shell(http, tmp_path, {"HS": demo_server.base_url})
        sizes = []
        for language, body in BLOCK.findall(text):
            if language == "sh":
                for command in commands(body):
                    shell.run(command)
                sizes += [decoded(content).size for content in shell.saved]
                shell.saved.clear()
            elif language == "text" and shell.last is not None:
                # Headers the page shows: the previous download answered each of them.
                for line in body.strip().splitlines():
                    name, _, value = line.partition(": ")
                    assert shell.last.headers[name] == value, line
    assert shell.ran >= 14
    assert sizes == [(96, 96), (100, 62)]
    assert "The first is 96x96" in text and "the second 100x62" in text


def test_the_scenario_example_loads_and_serves_its_media() -> None:
    [example] = blocks("json")
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
    [snippet] = blocks("python")
    code = snippet.replace(DEFAULT_URL, demo_server.base_url)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == _prints(snippet, "#")


def test_the_js_sdk_example_prints_what_it_says(demo_server: ThreadedServer) -> None:
    [snippet] = blocks("js")
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
