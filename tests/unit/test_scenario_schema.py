"""``fixtures/scenario.schema.json`` describes what the loader accepts.

Every shipped fixture and every export is valid under the schema; the
checker's table of broken documents is invalid under it exactly where the
problem is one of structure (references, memberships and uniqueness are
beyond a schema, so only the loader refuses those).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mockserver.core.store import Store
from mockserver.scenarios import export_scenario, load_file
from tests.scenario_docs import SCHEMA, SHIPPED, load_json, small_world
from tests.unit.test_scenario_check import CASES, Case, _broken


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load_json(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: Any, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_shipped_fixtures_are_all_there() -> None:
    names = {path.name for path in SHIPPED}
    assert names == {
        "seed_example.json",
        "demo.json",
        "limited_timeline.json",
        "invites.json",
        "archived_rooms.json",
        "big_account.json",
    }


#: The shipped fixtures small enough to export in a unit test (big_account's 160,000 events
#: are exported by the bench's load, not here).
SMALL = [p for p in SHIPPED if p.name != "big_account.json"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_fixture_is_valid_under_the_schema(validator: Any, path: Path) -> None:
    assert _errors(validator, load_json(path)) == []


@pytest.mark.parametrize("path", SMALL, ids=[p.name for p in SMALL])
def test_export_of_a_shipped_fixture_is_valid_under_the_schema(validator: Any, path: Path) -> None:
    store = Store()
    load_file(store, path)
    assert _errors(validator, export_scenario(store)) == []


def test_the_small_world_is_valid_under_the_schema(validator: Any) -> None:
    assert _errors(validator, small_world()) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_schema_sees_structural_problems_only(validator: Any, case: Case) -> None:
    assert bool(_errors(validator, _broken(case))) == case.schema
