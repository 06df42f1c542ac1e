"""The README's control API examples, run in order against a real server.

Each ``curl`` line of the section is turned into the same request with
httpx (so the suite needs no curl); each Python block is run with the
server's address in place of ``localhost:8008``. Every call must succeed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import httpx

from mockserver.server import ThreadedServer

README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED = "localhost:8008"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)


def curl_commands(block: str) -> Iterator[list[str]]:
    joined = block.replace("\\\n", " ")
    # A JSON body may span lines inside its quotes: let shlex see the whole block.
    words = shlex.split(joined, comments=True)
    command: list[str] = []
    for word in words:
        if word == "curl" and command:
            yield command
            command = []
        command.append(word)
    if command:
        yield command


def run_curl(http: httpx.Client, base_url: str, argv: list[str]) -> httpx.Response:
    assert argv[0] == "curl", argv
    method, data, url = None, None, None
    headers: dict[str, str] = {}
    words = iter(argv[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-d":
            data = next(words)
        elif word == "-H":
            key, _, value = next(words).partition(":")
            headers[key.strip()] = value.strip()
        elif word.startswith("-"):
            raise AssertionError(f"unexpected curl option {word}")
        else:
            url = word
    assert url is not None and url.startswith(DOCUMENTED), argv
    method = method or ("POST" if data is not None else "GET")
    target = base_url + url[len(DOCUMENTED) :]
    return http.request(method, target, content=data, headers=headers)


def test_control_api_examples_run(server: ThreadedServer) -> None:
    blocks = code_blocks(section("The control API"))
    assert [lang for lang, _ in blocks].count("sh") >= 6
    ran = 0
    with httpx.Client(timeout=10) as http:
        for lang, block in blocks:
            if lang == "sh":
                for argv in curl_commands(block):
                    response = run_curl(http, server.base_url, argv)
                    assert response.status_code == 200, (argv, response.text)
                    ran += 1
            elif lang == "python":
                source = block.replace(f"http://{DOCUMENTED}", server.base_url)
                exec(compile(source, "README.md", "exec"), {})
                ran += 1
    assert ran >= 30
    store = server.homeserver.store
    lobby = store.room("!lobby:localhost")
    assert lobby.current("m.room.topic", "").content == {"topic": "Tests"}
    assert store.membership("@alice:localhost", "!lobby:localhost") == "leave"
