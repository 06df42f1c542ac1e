"""Tried as a new user would: ``pip install`` mockserver and pytest, write a test, run pytest.

Everything happens outside the repository, in a venv that shares nothing with
the one running this suite (no system site-packages, no borrowed paths): a copy
of the project is built into a wheel and installed (not editable) with its
runtime dependencies and pytest, from the same package index ``make install``
uses, and nothing else: the ``homeserver`` fixture must come from the installed
``pytest11`` entry point and work (httpx, a test-only dependency of ours, must
not be needed, nor even installed), the shipped scenarios must load by name,
and the ``mockserver`` command must check them. (SDKs driving the fixture are
run by the rest of the suite: tests/plugin, tests/docs.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLAIN_TEST = """
import json
import sys
import urllib.request

import mockserver
import pytest


def test_installed_copy_is_used_and_needs_no_httpx():
    assert mockserver.__file__.startswith(sys.prefix), mockserver.__file__
    with pytest.raises(ImportError):
        import httpx  # noqa: F401


def test_fixture_serves_a_client(homeserver):
    alice = homeserver.register("alice")
    room_id = homeserver.create_room(alice.user_id, name="Plain")
    homeserver.send(alice.user_id, room_id, "hello")
    request = urllib.request.Request(
        homeserver.base_url + "/_matrix/client/v3/sync",
        headers={"Authorization": "Bearer " + alice.access_token},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        sync = json.load(response)
    events = sync["rooms"]["join"][room_id]["timeline"]["events"]
    assert events[-1]["content"]["body"] == "hello"
    assert [r["status"] for r in homeserver.journal("*/sync")] == [200]


def test_schema_is_installed_next_to_the_scenarios():
    from mockserver.scenarios import SCHEMA_PATH, shipped_names

    assert SCHEMA_PATH.is_file() and SCHEMA_PATH.is_relative_to(sys.prefix)
    assert "demo" in shipped_names()


@pytest.mark.mockserver_scenario("limited_timeline")
def test_shipped_scenario_by_name_in_the_marker(homeserver):
    assert [room["room_id"] for room in homeserver.export()["rooms"]] == ["!history:localhost"]


def test_shipped_scenario_by_name_in_load(homeserver):
    loaded = homeserver.load("invites")
    assert len(loaded["rooms"]) == 3
"""

def _ignored(directory: str, names: list[str]) -> set[str]:
    drop = {
        ".venv",
        ".git",
        "__pycache__",
        "build",
        "dist",
        ".pytest_cache",
        ".hypothesis",
        "results",
        "node_modules",
    }
    return {n for n in names if n in drop or n.endswith(".egg-info")}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.new_user
def test_pip_install_and_use_the_fixture(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("new-user")
    assert REPO not in home.parents
    source = home / "mockserver-src"
    shutil.copytree(REPO, source, ignore=_ignored)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV", "PIP_REQUIRE"))
    }
    venv = home / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], home, env)
    assert made.returncode == 0, made.stderr
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    project = home / "my-client"
    project.mkdir()

    wheel = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(home / "dist"), str(source)],
        home,
        env,
    )
    assert wheel.returncode == 0, wheel.stdout + wheel.stderr
    [built] = (home / "dist").glob("mockserver-*.whl")
    install = _run([*pip, str(built), "pytest"], project, env)
    assert install.returncode == 0, install.stdout + install.stderr
    (project / "test_plain.py").write_text(PLAIN_TEST)
    plain = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "5 passed" in plain.stdout, plain.stdout

    check = _run([str(venv / "bin" / "mockserver"), "check", "demo", "invites"], project, env)
    assert check.stdout.splitlines() == ["demo: ok", "invites: ok"], check.stdout + check.stderr
