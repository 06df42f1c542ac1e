"""Expectations: what a test says the client must (or must never) call, checked afterwards.

As WireMock's ``verify`` and matrix-rust-sdk's ``expect(n)``: an expectation
names requests by method, path pattern (see :mod:`mockserver.traffic.match`),
the user the request authenticated as, and predicates on the query (each
named parameter matches a glob; ``None`` means "absent") and on the JSON body
(the body contains the given object: every key, recursively, with the same
value); and says how many such requests there must be: exactly ``times``, a
range ``minimum``..``maximum``, or none at all. By default: at least one.

Calls are counted in the request journal from the moment the expectation is
declared (a cleared journal counts from the clear). :meth:`Expectations.check`
gives a verdict per expectation; an unmet one says what was called instead.
This module holds values and decisions only; the control API and the pytest
plugin act on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from mockserver.core.errors import M_INVALID_PARAM, MatrixError
from mockserver.traffic.journal import Journal, JournalEntry
from mockserver.traffic.match import path_matches

#: How many of the other calls an unmet expectation's message shows.
SHOWN_CALLS = 10


def _invalid(message: str) -> MatrixError:
    return MatrixError(M_INVALID_PARAM, message)


@dataclass(frozen=True, slots=True)
class Expectation:
    id: str
    method: str | None = None
    path: str | None = None
    user_id: str | None = None
    #: Query parameter -> glob its value must match, or None: the parameter is absent.
    query: Mapping[str, str | None] = field(default_factory=dict)
    #: An object the request's JSON body must contain.
    body: Mapping[str, Any] | None = None
    minimum: int = 1
    #: None: no upper bound.
    maximum: int | None = None
    name: str | None = None
    #: The journal's ``last_seq`` and ``clears`` when the expectation was declared.
    since: int = 0
    clears: int = 0

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise _invalid("A call count must not be negative")
        if self.maximum is not None and self.maximum < self.minimum:
            raise _invalid(f"'max' ({self.maximum}) is below 'min' ({self.minimum})")

    def matches(self, entry: JournalEntry) -> bool:
        return (
            (self.method is None or entry.method == self.method)
            and (self.user_id is None or entry.user_id == self.user_id)
            and path_matches(self.path, entry.path)
            and all(_query_matches(entry.query.get(k), v) for k, v in self.query.items())
            and (self.body is None or _contains(entry.body, self.body))
        )

    def count_text(self) -> str:
        if self.maximum == 0:
            return "no call"
        if self.maximum == self.minimum:
            return f"exactly {_calls(self.minimum)}"
        if self.maximum is None:
            return f"at least {_calls(self.minimum)}"
        if self.minimum == 0:
            return f"at most {_calls(self.maximum)}"
        return f"between {self.minimum} and {_calls(self.maximum)}"

    def describe(self) -> str:
        """``e1 "name" (PUT */send/* by @alice:localhost, query {...}, body containing {...})``."""
        parts = [f"{self.method or 'any method'} {self.path or '*'}"]
        if self.user_id is not None:
            parts[0] += f" by {self.user_id}"
        if self.query:
            parts.append(f"query {dict(self.query)}")
        if self.body is not None:
            parts.append(f"body containing {dict(self.body)}")
        named = f' "{self.name}"' if self.name else ""
        return f"{self.id}{named} ({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "method": self.method,
            "path": self.path,
            "user_id": self.user_id,
            "query": dict(self.query),
            "body": None if self.body is None else dict(self.body),
            "min": self.minimum,
            "max": self.maximum,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    expectation: Expectation
    #: The matching calls, oldest first.
    calls: tuple[JournalEntry, ...]
    #: Why it is unmet (with what was called instead), or None when met.
    problem: str | None

    @property
    def met(self) -> bool:
        return self.problem is None


def count_bounds(
    *, times: int | None, minimum: int | None, maximum: int | None, never: bool
) -> tuple[int, int | None]:
    """(minimum, maximum) from the ways a count can be given; one way at a time."""
    given = [name for name, v in (("times", times), ("min", minimum), ("max", maximum)) if v is not None]
    if never and given:
        raise _invalid(f"'never' goes alone, not with {', '.join(repr(g) for g in given)}")
    if never:
        return 0, 0
    if times is not None and (minimum is not None or maximum is not None):
        raise _invalid("Give 'times', or 'min' and/or 'max', not both")
    if times is not None:
        return times, times
    return (1 if minimum is None else minimum), maximum


class Expectations:
    """The declared expectations, in order, with ids ``e1``, ``e2``..."""

    def __init__(self) -> None:
        self._items: list[Expectation] = []
        self._next = 1

    def add(self, journal: Journal, **spec: Any) -> Expectation:
        """Declare one (see :class:`Expectation`); counting starts now."""
        method = spec.pop("method", None)
        expectation = Expectation(
            f"e{self._next}",
            method=method.upper() if method is not None else None,
            since=journal.last_seq,
            clears=journal.clears,
            **spec,
        )
        self._next += 1
        self._items.append(expectation)
        return expectation

    def all(self) -> list[Expectation]:
        return list(self._items)

    def remove(self, expectation_id: str) -> None:
        for index, item in enumerate(self._items):
            if item.id == expectation_id:
                del self._items[index]
                return
        raise MatrixError("M_NOT_FOUND", f"No expectation {expectation_id}")

    def clear(self) -> None:
        self._items.clear()
        self._next = 1

    def check(self, journal: Journal) -> list[Verdict]:
        return [self._verdict(item, journal) for item in self._items]

    @staticmethod
    def _verdict(expectation: Expectation, journal: Journal) -> Verdict:
        since = expectation.since if journal.clears == expectation.clears else 0
        seen = journal.select(since=since)
        calls = tuple(entry for entry in seen if expectation.matches(entry))
        count = len(calls)
        low, high = expectation.minimum, expectation.maximum
        if low <= count and (high is None or count <= high):
            return Verdict(expectation, calls, None)
        problem = (
            f"expectation {expectation.describe()}: expected {expectation.count_text()}, "
            f"got {_calls(count)}"
        )
        if count and high is not None and count > high:
            problem += "; the matching calls:\n" + _listing(calls)
        else:
            others = [entry for entry in seen if not expectation.matches(entry)]
            problem += (
                "; called instead:\n" + _listing(others) if others else "; nothing else was called"
            )
        return Verdict(expectation, calls, problem)


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _listing(entries: list[JournalEntry] | tuple[JournalEntry, ...]) -> str:
    shown = entries[-SHOWN_CALLS:]
    lines = [f"  {_entry_text(entry)}" for entry in shown]
    if len(entries) > len(shown):
        lines.insert(0, f"  ({len(entries) - len(shown)} earlier not shown)")
    return "\n".join(lines)


def _entry_text(entry: JournalEntry) -> str:
    query = "&".join(
        f"{k}={v}" for k, values in entry.query.items() for v in _values(values)
    )
    who = entry.user_id or "no user"
    status = "in flight" if entry.status is None else str(entry.status)
    body = "" if entry.body is None else f" {_short(entry.body)}"
    return f"#{entry.seq} {entry.method} {entry.path}{'?' + query if query else ''} by {who} -> {status}{body}"


def _short(body: Any) -> str:
    text = repr(body)
    return text if len(text) <= 120 else text[:117] + "..."


def _values(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _query_matches(actual: str | list[str] | None, pattern: str | None) -> bool:
    if pattern is None:
        return actual is None
    if actual is None:
        return False
    return any(fnmatchcase(value, pattern) for value in _values(actual))


def _contains(actual: Any, expected: Any) -> bool:
    """``actual`` holds ``expected``: objects key by key (recursively), anything else equal."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected) and type(actual) is type(expected)
