"""Scenario fixtures: a JSON document describing a world, checked whole and replayed.

- :func:`load_scenario` checks the whole document first (nothing is applied
  when it is refused) and then replays it through public :class:`Store`
  methods only;
- :func:`load_file` does the same for a file;
- :func:`export_scenario` writes the current world as such a document.

The format is described by ``fixtures/scenario.schema.json`` and docs/scenarios.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from mockserver.core.store import Store
from mockserver.scenarios.apply import LoadedUser, Scenario, replay
from mockserver.scenarios.export import export_scenario
from mockserver.scenarios.media import inline_files
from mockserver.scenarios.plan import Plan, Script
from mockserver.scenarios.reader import ScenarioError
from mockserver.scenarios.shipped import (
    SCHEMA_PATH,
    resolve_scenario,
    shipped_names,
    shipped_scenario,
)
from mockserver.scenarios.validate import check

__all__ = [
    "SCHEMA_PATH",
    "LoadedUser",
    "Scenario",
    "ScenarioError",
    "Script",
    "check_scenario",
    "export_scenario",
    "load_file",
    "load_scenario",
    "read_file",
    "replay",
    "resolve_scenario",
    "shipped_names",
    "shipped_scenario",
]


def check_scenario(store: Store, document: Any, *, source: str) -> Plan:
    """Check ``document`` against the world ``store`` holds, changing nothing."""
    return check(store, document, source)


def load_scenario(store: Store, document: Any, *, source: str) -> Scenario:
    """Check ``document`` as a whole, then replay it into ``store``.

    Raises :class:`ScenarioError` (``"<source>: <json.path>: <problem>"``)
    before the first change when anything in it is wrong.
    """
    return replay(store, check(store, document, source))


def read_file(path: str | Path) -> Any:
    """The JSON document in ``path`` (or the shipped scenario it names), or ScenarioError.

    Media it names by ``file`` (relative to it) are read into the document.
    """
    source = str(path)
    resolved = resolve_scenario(path)
    try:
        raw = resolved.read_bytes()
    except OSError as exc:
        problem = f"cannot read the file: {exc.strerror or exc}"
        if "/" not in source:
            problem += f" (nor is it a shipped scenario: {', '.join(shipped_names())})"
        raise ScenarioError(source, "", problem) from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ScenarioError(source, "", f"not valid JSON: {exc}") from None
    return inline_files(document, resolved.parent, source)


def load_file(store: Store, path: str | Path) -> Scenario:
    return load_scenario(store, read_file(path), source=str(path))
