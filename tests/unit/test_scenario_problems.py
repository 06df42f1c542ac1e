"""A scenario's problems are reported all at once; "$schema" is accepted; shipped names resolve."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import jsonschema
import pytest

from mockserver.core.store import Store
from mockserver.scenarios import (
    SCHEMA_PATH,
    ScenarioError,
    load_scenario,
    read_file,
    resolve_scenario,
    shipped_names,
)
from tests.scenario_docs import FIXTURES, SCHEMA, small_world


def _refused(document: object) -> ScenarioError:
    store = Store()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(store, document, source="test.json")
    assert store.users == {} and store.rooms == {} and store.position.room == 0
    return caught.value


def test_every_problem_of_a_document_is_reported_in_document_order() -> None:
    document = small_world()
    document["colour"] = "blue"
    document["users"][1]["displayname"] = 5
    document["rooms"][0]["timeline"][1]["sender"] = "@nobody:localhost"
    document["rooms"][1]["timeline"].append({"type": "m.room.message", "content": {}})
    document["presence"] = [{"user_id": "@alice:localhost", "presence": "asleep"}]

    error = _refused(document)

    assert error.lines() == [
        "test.json: colour: unknown key (expected one of: $schema, description, server_name,"
        " users, media, rooms, events, presence, turn_server, script)",
        "test.json: users[1].displayname: expected a string, got a number",
        "test.json: rooms[0].timeline[1].sender: unknown user @nobody:localhost",
        "test.json: rooms[1].timeline[1]: missing required key 'sender'",
        "test.json: presence[0].presence: 'asleep' is not one of: offline, online, unavailable",
    ]
    assert str(error) == "\n".join(error.lines())
    assert (error.path, error.problem) == ("colour", error.problems[0].problem)


def test_unknown_and_missing_keys_of_one_object_are_all_reported() -> None:
    document = small_world()
    document["rooms"][0]["members"] = [{"usr": "@bob:localhost", "membrship": "join"}]
    lines = _refused(document).lines()
    assert [line.split(": ")[1] for line in lines] == [
        "rooms[0].members[0].usr",
        "rooms[0].members[0].membrship",
        "rooms[0].members[0]",
        "rooms[0].members[0]",
    ]
    assert lines[2].endswith("missing required key 'user_id'")
    assert lines[3].endswith("missing required key 'membership'")


def test_what_a_refused_member_does_later_is_not_reported_again() -> None:
    document = small_world()
    document["rooms"][0]["members"] = [{"user_id": "@bob:localhost", "membership": "joined"}]
    assert _refused(document).lines() == [
        "test.json: rooms[0].members[0].membership: 'joined' is not one of: join, invite,"
        " leave, ban"
    ]


def test_a_single_problem_is_still_one_line() -> None:
    document = small_world()
    document["rooms"][0]["creator"] = "@nobody:localhost"
    error = _refused(document)
    assert str(error) == "test.json: rooms[0].creator: unknown user @nobody:localhost"


def test_the_schema_key_is_accepted_and_ignored() -> None:
    document = {"$schema": "scenario.schema.json", **small_world()}
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    scenario = load_scenario(Store(), document, source="test.json")
    assert scenario.rooms == ("!created:localhost", "!bare:localhost")


def test_the_schema_key_must_be_a_string() -> None:
    error = _refused({"$schema": 4, **small_world()})
    assert error.lines() == ['test.json: ["$schema"]: expected a string, got a number']


def test_the_schema_id_resolves_to_the_file_it_is_read_from() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert urljoin(SCHEMA_PATH.as_uri(), schema["$id"]) == SCHEMA_PATH.as_uri()
    assert SCHEMA_PATH.read_bytes() == SCHEMA.read_bytes()  # the installed file is ours


def test_each_shipped_scenario_names_the_schema_next_to_it() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        if path == SCHEMA:
            continue
        document = json.loads(path.read_text())
        assert (path.parent / document["$schema"]).resolve() == SCHEMA.resolve(), path.name


def test_shipped_scenarios_are_named_without_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no fixtures/ here
    assert shipped_names() == [
        "archived_rooms",
        "big_account",
        "demo",
        "invites",
        "limited_timeline",
        "seed_example",
    ]
    assert read_file("demo") == read_file("demo.json") == json.loads((FIXTURES / "demo.json").read_text())
    assert resolve_scenario("limited_timeline").read_bytes() == (
        FIXTURES / "limited_timeline.json"
    ).read_bytes()


def test_a_file_of_that_name_wins_over_a_shipped_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("demo").write_text('{"users": []}')
    assert read_file("demo") == {"users": []}


def test_an_unknown_name_says_what_is_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as caught:
        read_file("dmeo")
    assert str(caught.value) == (
        "dmeo: $: cannot read the file: No such file or directory (nor is it a shipped"
        " scenario: archived_rooms, big_account, demo, invites, limited_timeline, seed_example)"
    )
    with pytest.raises(ScenarioError, match="No such file") as caught:
        read_file("nowhere/demo")
    assert "shipped" not in str(caught.value)
