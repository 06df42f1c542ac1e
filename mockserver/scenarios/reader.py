"""Reading a JSON document with its path in hand, so every refusal names where it is.

A :class:`Node` is one value of the document and its JSON path
(``rooms[0].timeline[3].sender``). Its readers check the JSON type and
raise :class:`ScenarioError` with the source, that path and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from mockserver.core.model import JsonDict

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROOT = "$"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: where (a JSON path) and what."""

    path: str
    problem: str


class ScenarioError(Exception):
    """A scenario refused as a whole: one ``"<source>: <json.path>: <problem>"`` line per problem.

    ``path`` and ``problem`` are the first problem's; ``problems`` lists them all.
    """

    def __init__(
        self, source: str, path: str, problem: str, *, more: Sequence[Problem] = ()
    ) -> None:
        self.source = source
        self.path = path or ROOT
        self.problem = problem
        self.problems = (Problem(self.path, problem), *more)
        super().__init__("\n".join(self.lines()))

    @classmethod
    def of(cls, source: str, problems: Sequence[Problem]) -> ScenarioError:
        first, *rest = problems
        return cls(source, first.path, first.problem, more=rest)

    def lines(self) -> list[str]:
        return [f"{self.source}: {p.path}: {p.problem}" for p in self.problems]


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _PLAIN_KEY.fullmatch(key):
        return f"{path}[{_quote(key)}]"
    return f"{path}.{key}" if path else key


def _quote(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Node:
    value: Any
    path: str
    source: str

    def fail(self, problem: str) -> NoReturn:
        raise ScenarioError(self.source, self.path, problem)

    def problem(self, problem: str) -> Problem:
        return Problem(self.path or ROOT, problem)

    def _expect(self, ok: bool, wanted: str) -> None:
        if not ok:
            self.fail(f"expected {wanted}, got {_kind(self.value)}")

    # -- containers ------------------------------------------------------------------

    def fields(self, allowed: Iterable[str], required: Iterable[str] = ()) -> Node:
        """This value as an object with only ``allowed`` keys and every ``required`` one.

        Every unknown and missing key is reported at once.
        """
        self._expect(isinstance(self.value, dict), "an object")
        allowed = tuple(allowed)
        problems = [
            self.at(key).problem(f"unknown key (expected one of: {', '.join(allowed)})")
            for key in self.value
            if key not in allowed
        ]
        problems += [
            self.problem(f"missing required key {key!r}")
            for key in required
            if key not in self.value
        ]
        if problems:
            raise ScenarioError.of(self.source, problems)
        return self

    def items(self) -> Iterator[tuple[str, Node]]:
        self._expect(isinstance(self.value, dict), "an object")
        for key in self.value:
            yield key, self.at(key)

    def array(self) -> list[Node]:
        self._expect(isinstance(self.value, list), "a list")
        return [
            Node(item, child_path(self.path, i), self.source) for i, item in enumerate(self.value)
        ]

    def at(self, key: str) -> Node:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(value, child_path(self.path, key), self.source)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str) -> Node | None:
        """The child at ``key``, or None when the key is absent."""
        return self.at(key) if self.has(key) else None

    # -- scalars --------------------------------------------------------------------

    def string(self, *, non_empty: bool = False) -> str:
        self._expect(isinstance(self.value, str), "a string")
        if non_empty and not self.value:
            self.fail("must not be empty")
        return self.value  # type: ignore[no-any-return]

    def integer(self, *, minimum: int | None = None, maximum: int | None = None) -> int:
        self._expect(isinstance(self.value, int) and not isinstance(self.value, bool), "an integer")
        if minimum is not None and self.value < minimum:
            self.fail(f"must be at least {minimum}")
        if maximum is not None and self.value > maximum:
            self.fail(f"must be at most {maximum}")
        return self.value  # type: ignore[no-any-return]

    def boolean(self) -> bool:
        self._expect(isinstance(self.value, bool), "a boolean")
        return self.value  # type: ignore[no-any-return]

    def json_object(self) -> JsonDict:
        self._expect(isinstance(self.value, dict), "an object")
        return self.value  # type: ignore[no-any-return]

    def choice(self, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        value = self.string()
        if value not in choices:
            self.fail(f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def optional_string(self, key: str, default: str | None = None) -> str | None:
        """A string child, or ``default`` when absent; null counts as absent."""
        node = self.get(key)
        return default if node is None or node.value is None else node.string()
