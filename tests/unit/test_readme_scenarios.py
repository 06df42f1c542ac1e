"""The README's "Scenario fixtures" examples run as written."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from mockserver.core.store import Store
from mockserver.scenarios import load_scenario
from tests.scenario_docs import ROOT, SCHEMA, load_json


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Scenario fixtures")
    return readme[start : readme.index("\n## ", start + 1)]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), re.DOTALL)


def test_the_compact_example_loads_and_matches_the_schema() -> None:
    document = json.loads(_blocks("json")[0])
    jsonschema.validate(document, load_json(SCHEMA))
    store = Store()
    scenario = load_scenario(store, document, source="README.md")
    assert scenario.rooms == ("!general:localhost",)
    assert scenario.script is not None and len(scenario.script.steps) == 3
    assert len(store.room("!general:localhost").events) > 300


def test_the_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["document"]["users"] == []
