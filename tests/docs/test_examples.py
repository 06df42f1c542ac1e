"""Every example of README.md and docs/*.md, run as written (see docs/contributing.md).

Each page runs against its own server, started as ``make run`` starts one
(the demo scenario loaded, a free port): its ``sh`` blocks in one shell and its
``python`` blocks in one namespace, in page order; ``json`` blocks are scenario
documents, checked by the loader and the JSON Schema; ``python test`` blocks
are each page's pytest modules, run with pytester. A block the runner cannot
run fails its page's test; ``text`` and ``not-run`` blocks are shown only.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest

from mockserver.config import ServerConfig
from mockserver.core.store import Store
from mockserver.homeserver import Homeserver
from mockserver.scenarios import check_scenario
from mockserver.server import ThreadedServer
from tests.docs.blocks import NOT_RUN, ROOT, Block, blocks, pages
from tests.docs.shell import Shell, commands

DOCUMENTED_URLS = ("http://127.0.0.1:8008", "http://localhost:8008")
SCHEMA = json.loads((ROOT / "fixtures" / "scenario.schema.json").read_text())
PAGES = pages()
RUNNABLE_KINDS = ("sh", "python", "python test", "json")


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.fixture
def demo_server() -> Iterator[ThreadedServer]:
    """A server as ``make run`` serves it: the demo scenario, on a free port."""
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(ROOT / "fixtures" / "demo.json")
    server = ThreadedServer(homeserver).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_block_is_one_the_runner_knows(page: Path) -> None:
    unknown = [b for b in blocks(page) if b.kind not in (*RUNNABLE_KINDS, NOT_RUN)]
    assert not unknown, "\n".join(
        f"{b.where}: a ```{' '.join((b.language, *b.words))} block the docs runner cannot run;"
        " mark it `not-run` (or use ```text) if it only shows something" for b in unknown
    )


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_page_examples_run_in_order(
    page: Path,
    demo_server: ThreadedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # python examples name files as a reader of a checkout would
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with httpx.Client(timeout=30) as http:
        shell = Shell(http, demo_server.base_url, tmp_path)
        for block in blocks(page):
            if block.kind == "sh":
                for command in commands(block.source):
                    _run(block, lambda: shell.run(command), command)
            elif block.kind == "python":
                source = _pointed_at(block.source, demo_server.base_url)
                _run(block, lambda: exec(compile(source, block.where, "exec"), namespace))
            elif block.kind == "json":
                _run(block, lambda: _check_scenario(block))


def _run(block: Block, step: object, command: str = "") -> None:
    try:
        step()  # type: ignore[operator]
    except Exception as exc:
        raise AssertionError(f"{block.where}: {command}\n{type(exc).__name__}: {exc}") from exc


def _pointed_at(source: str, base_url: str) -> str:
    for documented in DOCUMENTED_URLS:
        source = source.replace(documented, base_url)
    return source


def _check_scenario(block: Block) -> None:
    document = json.loads(block.source)
    jsonschema.validate(document, SCHEMA)
    check_scenario(Store(), document, source=block.where)


def _test_modules() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for page in PAGES:
        for group in dict.fromkeys(b.group for b in blocks(page) if b.kind == "python test"):
            found.append((page, group))
    return found


@pytest.mark.parametrize(
    ("page", "group"), _test_modules(), ids=lambda v: v if isinstance(v, str) else _id(v)
)
def test_page_pytest_examples_pass(page: Path, group: str, pytester: pytest.Pytester) -> None:
    module = "\n\n".join(
        b.source for b in blocks(page) if b.kind == "python test" and b.group == group
    )
    tests = [
        node.name
        for node in ast.walk(ast.parse(module))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    ]
    assert tests, f"{_id(page)}: the python test blocks of group {group} define no test"
    name = "test_" + re.sub(r"\W", "_", f"{page.stem}_{group}")
    pytester.makepyfile(**{name: module})
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-W", "error")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("passed") == len(tests), (
        f"{_id(page)} ({group}):\n" + "\n".join(result.outlines[-60:])
    )
