"""Runs the examples of docs/spaces-and-more.md, as the docs example runner will.

Until the runner of the docs (tests/docs/) is on main: the page's ``python``
blocks run in order, in one namespace, against a server that serves the demo
as ``make run`` does (its URL put in place of ``http://127.0.0.1:8008``); each
``json`` block is a scenario that must load into an empty server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from tests.e2e.conftest import LiveFactory

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "spaces-and-more.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if lang == language]


def test_python_examples_run_against_the_demo(start_live: LiveFactory) -> None:
    live = start_live(ROOT / "fixtures" / "demo.json")
    namespace: dict[str, object] = {}
    examples = blocks("python")
    assert len(examples) > 10
    try:
        for index, code in enumerate(examples):
            source = code.replace("http://127.0.0.1:8008", live.base_url)
            exec(compile(source, f"{PAGE.name} python block {index + 1}", "exec"), namespace)  # noqa: S102
    finally:
        for value in namespace.values():
            if isinstance(value, httpx.Client):
                value.close()


def test_scenario_examples_load() -> None:
    documents = blocks("json")
    assert documents
    for text in documents:
        Homeserver.create(ServerConfig()).load_fixture(json.loads(text), PAGE.name)
