"""docs/relations.md's examples run as written: its python blocks in order against the demo
on a real socket (as ``make run`` serves it), its scenario document through the loader."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "relations.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text()) if lang == language]


@pytest.fixture
def demo() -> Iterator[ThreadedServer]:
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(ROOT / "fixtures" / "demo.json")
    server = ThreadedServer(homeserver).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_python_examples_run_in_order_against_the_demo(demo: ThreadedServer) -> None:
    namespace: dict[str, object] = {}
    examples = blocks("python")
    assert len(examples) >= 6
    for source in examples:
        code = source.replace("http://127.0.0.1:8008", demo.base_url)
        exec(compile(code, f"{PAGE.name} example {examples.index(source) + 1}", "exec"), namespace)
    for value in namespace.values():
        if isinstance(value, httpx.Client):
            value.close()  # so the server stops without waiting on kept-alive connections


def test_the_scenario_example_loads_and_serves_its_thread() -> None:
    (document,) = blocks("json")
    homeserver = Homeserver.create(ServerConfig())
    homeserver.load_fixture(json.loads(document), "docs/relations.md")
    index = homeserver.store.relations.of("!plans:localhost")
    assert index is not None and index.replies("$plan")
