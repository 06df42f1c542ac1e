"""The README's curl examples, run in order against a real server.

CI has only python3, so the shell blocks are not handed to bash: a small
interpreter understands exactly the forms the README uses (``NAME=value``,
``NAME=$(curl … | jq -r PATH)`` and ``curl …`` with ``-s -i -X -H -d -G
--data-urlencode``) and sends each request with httpx. Anything else in a
block fails the test, so the README cannot drift into examples nobody runs.
A trailing ``# -> STATUS [ERRCODE]`` comment names the expected answer;
without one the answer must be 2xx.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mockserver.server import ThreadedServer

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Using the client API with curl"
EXPECT = re.compile(r"#\s*->\s*(\d{3})(?:\s+(M_[A-Z_]+))?")
ASSIGN = re.compile(r"^(\w+)=\$\((.*)\)$", re.S)
LITERAL = re.compile(r"^(\w+)=(\S+)$")
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
JQ_STEP = re.compile(r'\.([A-Za-z_]\w*)|\["([^"]*)"\]|\[(\d+)\]')


def shell_blocks() -> list[str]:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))  # up to the next top-level section
    return re.findall(r"```sh\n(.*?)```", text[start : end if end != -1 else None], re.S)


def commands(block: str) -> Iterator[str]:
    """Whole commands: continuation lines joined, multi-line quotes kept together."""
    buffer = ""
    for line in block.splitlines():
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buffer = f"{buffer}\n{line}" if buffer else line
        if buffer.endswith("\\"):
            buffer = buffer[:-1]
            continue
        try:
            shlex.split(buffer, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        yield buffer
        buffer = ""
    assert not buffer, f"unfinished command: {buffer}"


@dataclass
class Shell:
    http: httpx.Client
    variables: dict[str, str] = field(default_factory=dict)
    ran: int = 0

    def expand(self, text: str) -> str:
        """Expand $VAR outside single quotes, as the shell does."""
        parts = re.split(r"('[^']*')", text)
        return "".join(
            part if part.startswith("'") else VARIABLE.sub(self._value, part) for part in parts
        )

    def _value(self, match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in self.variables, f"${name} is used before it is set"
        return self.variables[name]

    def run(self, command: str) -> None:
        expected = EXPECT.search(command)
        status = int(expected.group(1)) if expected else None
        errcode = expected.group(2) if expected else None
        if assigned := ASSIGN.match(command.split("#", 1)[0].strip()):
            name, inner = assigned.groups()
            curl, _, jq = inner.partition("| jq -r ")
            assert jq, f"only curl | jq -r assignments are understood: {command}"
            response = self.curl(curl, status, errcode)
            self.variables[name] = self.jq(response.json(), shlex.split(self.expand(jq))[0])
            return
        if literal := LITERAL.match(command.strip()):
            name, value = literal.groups()
            if name != "HS":  # the README's HS points at make run; ours is the test server
                self.variables[name] = value
            return
        self.curl(command, status, errcode)

    def curl(self, command: str, status: int | None, errcode: str | None) -> httpx.Response:
        args = shlex.split(self.expand(command), comments=True)
        assert args[0] == "curl", f"not a curl command: {command}"
        method, url, data, get = None, None, None, False
        headers: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        rest = iter(args[1:])
        for arg in rest:
            if arg in ("-s", "-i"):
                continue
            if arg == "-X":
                method = next(rest)
            elif arg == "-H":
                key, _, value = next(rest).partition(":")
                headers[key.strip()] = value.strip()
            elif arg in ("-d", "--data"):
                data = next(rest)
            elif arg == "-G":
                get = True
            elif arg == "--data-urlencode":
                key, _, value = next(rest).partition("=")
                query.append((key, value))
            elif arg.startswith("http"):
                url = arg
            else:
                raise AssertionError(f"curl option {arg!r} is not understood: {command}")
        assert url is not None, command
        if data is not None and not get:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        method = method or ("POST" if data is not None and not get else "GET")
        response = self.http.request(
            method, url, content=None if data is None else data.encode(), headers=headers,
            params=query or None,
        )
        self.ran += 1
        where = f"{command.strip()}\n-> {response.status_code} {response.text[:300]}"
        if status is None:
            assert 200 <= response.status_code < 300, where
        else:
            assert response.status_code == status, where
        if errcode is not None:
            assert response.json()["errcode"] == errcode, where
        return response

    @staticmethod
    def jq(document: Any, path: str) -> str:
        value = document
        consumed = 0
        for step in JQ_STEP.finditer(path):
            assert step.start() == consumed, f"jq path {path!r} is not understood"
            consumed = step.end()
            name, key, index = step.groups()
            value = value[int(index)] if index is not None else value[name or key]
        assert consumed == len(path), f"jq path {path!r} is not understood"
        return value if isinstance(value, str) else json.dumps(value)


def test_readme_curl_examples_run_in_order(server: ThreadedServer) -> None:
    blocks = shell_blocks()
    assert len(blocks) >= 7
    with httpx.Client(timeout=10) as http:
        shell = Shell(http, {"HS": server.base_url})
        for block in blocks:
            for command in commands(block):
                shell.run(command)
    assert shell.ran >= 50
