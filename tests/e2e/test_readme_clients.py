"""The README's "Today's clients" Python examples run as written, against the demo.

Each example is taken from the README, pointed at a live mockserver that
serves ``fixtures/demo.json`` (what ``make run`` serves) instead of port
8008, and run in a fresh event loop, as a reader would run it.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import LiveFactory
from tests.scenario_docs import FIXTURES, ROOT

README_URL = "http://127.0.0.1:8008"


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Today's clients (r0/v3)")
    return readme[start : readme.index("\n## ", start + 1)]


def _example(sdk: str) -> str:
    start = _section().index(f"### {sdk}")
    found = re.search(r"```python\n(.*?)```", _section()[start:], re.DOTALL)
    assert found is not None, f"no Python example under {sdk}"
    return found.group(1)


@pytest.mark.parametrize(
    ("sdk", "expected"),
    [
        ("matrix-nio", "@alice:localhost: Hello from nio"),
        ("mautrix-python", "@alice:localhost: Hello from mautrix"),
    ],
)
def test_readme_example_runs(
    start_live: LiveFactory, capsys: pytest.CaptureFixture[str], sdk: str, expected: str
) -> None:
    live = start_live(FIXTURES / "demo.json")
    code = _example(sdk)
    assert README_URL in code
    exec(compile(code.replace(README_URL, live.base_url), "README.md", "exec"), {})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert expected in printed
    live.audit.assert_clean()


def test_nio_example_lists_the_demo_rooms(
    start_live: LiveFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    live = start_live(FIXTURES / "demo.json")
    code = _example("matrix-nio").replace(README_URL, live.base_url)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    first = capsys.readouterr().out.splitlines()[0]
    assert "Lobby" in first and "Old project" not in first  # alice left that one
