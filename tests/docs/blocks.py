"""The fenced code blocks of the documentation, with what the docs runner should do with each.

A block's info string is its language, then optional words (GitHub highlights by
the first word only, so the words cost a reader nothing):

- ``sh``: shell commands, run in order by :mod:`tests.docs.shell`;
- ``python``: run in order in one namespace per page;
- ``python test``: a pytest test module per page (``group=NAME`` starts another);
- ``json``: a scenario document, checked by the loader and the JSON Schema;
- ``text``, or any language followed by ``not-run``: shown, not run.

Anything else is a block the runner cannot run, and fails the test that reads its page.
See docs/contributing.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
NOT_RUN = "not-run"
RUNNABLE = ("sh", "python", "python test", "json")


def pages() -> list[Path]:
    """Every page whose examples are run: the README and every docs/*.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True, slots=True)
class Block:
    page: Path
    line: int
    language: str
    words: tuple[str, ...]
    source: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def kind(self) -> str:
        """``sh``, ``python``, ``python test``, ``json``, ``not-run``, or the unknown info."""
        if self.language == "text" or NOT_RUN in self.words:
            return NOT_RUN
        if self.language == "python" and "test" in self.words:
            return "python test"
        return " ".join((self.language, *self.words)) if self.words else self.language

    @property
    def group(self) -> str:
        """The pytest module a ``python test`` block belongs to (``group=NAME``)."""
        for word in self.words:
            if word.startswith("group="):
                return word.removeprefix("group=")
        return "main"


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks, in order; an unclosed fence is an error."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if opened is None:
            if match:
                opened = (number, match["fence"], match["info"].strip())
                body = []
            continue
        if match and match["fence"].startswith(opened[1]) and not match["info"].strip():
            start, _, info = opened
            language, *words = info.split() or [""]
            found.append(Block(page, start, language, tuple(words), "\n".join(body) + "\n"))
            opened = None
        else:
            body.append(line)
    if opened is not None:
        raise AssertionError(f"{page.relative_to(ROOT)}:{opened[0]}: unclosed code fence")
    return found
