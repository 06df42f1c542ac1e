"""``mockserver check FILE...``: every problem of each file, one line each, without serving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver import cli
from tests.scenario_docs import SHIPPED, small_world


def _write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def test_shipped_scenarios_check_clean_by_path_and_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["check", *map(str, SHIPPED), "demo", "invites.json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{p}: ok" for p in SHIPPED] + ["demo: ok", "invites.json: ok"]


def test_every_problem_of_every_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = small_world()
    bad["rooms"][0]["creator"] = "@nobody:localhost"
    bad["presence"] = [{"user_id": "@alice:localhost"}]
    first = _write(tmp_path / "bad.json", bad)
    good = _write(tmp_path / "good.json", small_world())
    (tmp_path / "broken.json").write_text("{")

    status = cli.main(["check", first, good, str(tmp_path / "broken.json"), "nothing-here"])

    assert status == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"{first}: rooms[0].creator: unknown user @nobody:localhost",
        f"{first}: presence[0]: missing required key 'presence'",
        f"{good}: ok",
    ]
    assert out[3].startswith(f"{tmp_path / 'broken.json'}: $: not valid JSON")
    assert out[4].startswith("nothing-here: $: cannot read the file")
    assert len(out) == 5


def test_check_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["check"])
    assert exited.value.code == 2
    assert "mockserver check: error:" in capsys.readouterr().err


def test_the_installed_command_checks_and_serves_nothing(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.json", {"users": [{"user_id": "alice"}], "colour": 1})
    run = subprocess.run(
        [sys.executable, "-m", "mockserver", "check", bad],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"{bad}: colour: unknown key (expected one of: $schema, description, server_name,"
        " users, media, rooms, events, presence, turn_server, script)",
        f"{bad}: users[0].user_id: 'alice' is not a user id (@localpart:localhost)",
    ]
