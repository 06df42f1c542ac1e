"""Tried as a new user would: ``pip install`` mockserver, write a test, run pytest.

Everything happens outside the repository: a copy of the project is
installed (not editable) into a fresh venv in a temporary directory, and a
test file there uses the ``homeserver`` fixture, which must come from the
installed package's ``pytest11`` entry point, with matrix-nio as the client.
To stay fast and offline, the venv borrows the test environment's
installed dependencies through a ``.pth`` file (as ``--system-site-packages``
would) and the project is installed with ``--no-deps --no-build-isolation``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

USER_TEST = """
import asyncio
import sys

import mockserver
from nio import AsyncClient, AsyncClientConfig, RoomMessageText, RoomSendResponse


def test_installed_copy_is_used():
    assert mockserver.__file__.startswith(sys.prefix), mockserver.__file__


def test_nio_client_against_the_fixture(homeserver):
    homeserver.register("alice", password="secret")
    bob = homeserver.as_user(homeserver.register("bob").user_id)
    room_id = bob.create_room(preset="public_chat", name="Lobby")

    async def run():
        client = AsyncClient(
            homeserver.base_url, "@alice:localhost", config=AsyncClientConfig(max_limit_exceeded=3)
        )
        try:
            await client.login("secret")
            await client.join(room_id)
            bob.send(room_id, "hello from bob")
            await client.sync(timeout=0)
            room = client.rooms[room_id]
            assert room.display_name == "Lobby"
            homeserver.fail(method="PUT", path="*/send/*", status=429, retry_after_ms=1)
            sent = await client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": "hi bob"}
            )
            assert isinstance(sent, RoomSendResponse), sent
        finally:
            await client.close()

    asyncio.run(run())
    sends = homeserver.journal("*/send/*", user_id="@alice:localhost")
    assert [entry["status"] for entry in sends] == [429, 200]
    assert sends[0]["path"] == sends[1]["path"]
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
    }
    return {n for n in names if n in drop or n.endswith(".egg-info")}


@pytest.mark.new_user
def test_pip_install_and_use_the_fixture(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("new-user")
    assert REPO not in home.parents
    source = home / "mockserver-src"
    shutil.copytree(REPO, source, ignore=_ignored)
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site_packages / "borrowed_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))
    }
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    project = home / "my-client"
    project.mkdir()
    (project / "test_my_client.py").write_text(USER_TEST)
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout, run.stdout
