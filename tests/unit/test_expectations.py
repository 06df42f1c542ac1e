"""Expectations decide on journal entries: which calls match, how many, and what to say."""

from __future__ import annotations

import pytest

from mockserver.core.errors import MatrixError
from mockserver.traffic.expectations import Expectations, count_bounds
from mockserver.traffic.journal import Journal


def _request(
    journal: Journal,
    method: str,
    path: str,
    *,
    user_id: str | None = "@alice:localhost",
    query: dict[str, str | list[str]] | None = None,
    body: object = None,
    status: int | None = 200,
) -> None:
    entry = journal.open(ts=0, method=method, path=path, query=query or {}, user_id=user_id)
    entry.body, entry.status = body, status


SEND = "/_matrix/client/v3/rooms/!r:localhost/send/m.room.message/t1"


@pytest.mark.parametrize(
    ("spec", "matches"),
    [
        ({}, True),
        ({"method": "PUT"}, True),
        ({"method": "GET"}, False),
        ({"path": "*/send/*"}, True),
        ({"path": "*/sync"}, False),
        ({"user_id": "@alice:localhost"}, True),
        ({"user_id": "@bob:localhost"}, False),
        ({"query": {"ts": "1*"}}, True),
        ({"query": {"ts": "2*"}}, False),
        ({"query": {"since": None}}, True),
        ({"query": {"ts": None}}, False),
        ({"body": {"msgtype": "m.text"}}, True),
        ({"body": {"msgtype": "m.text", "body": "hi"}}, True),
        ({"body": {"body": "bye"}}, False),
        ({"body": {"m.relates_to": {}}}, False),
    ],
)
def test_which_calls_match(spec: dict[str, object], matches: bool) -> None:
    journal = Journal()
    expectations = Expectations()
    expectation = expectations.add(journal, **spec)  # type: ignore[arg-type]
    _request(journal, "PUT", SEND, query={"ts": "12"}, body={"msgtype": "m.text", "body": "hi"})
    [verdict] = expectations.check(journal)
    assert (len(verdict.calls) == 1) is matches
    assert verdict.met is matches
    assert expectation.id == "e1"


def test_a_body_predicate_matches_nested_objects_and_exact_values() -> None:
    journal = Journal()
    expectations = Expectations()
    expectations.add(journal, body={"content": {"m.relates_to": {"rel_type": "m.annotation"}}})
    expectations.add(journal, body={"count": 1})
    _request(
        journal,
        "POST",
        "/x",
        body={"content": {"m.relates_to": {"rel_type": "m.annotation", "key": "+"}}, "count": True},
    )
    first, second = expectations.check(journal)
    assert first.met and not second.met  # true is not 1


def test_counting_starts_when_the_expectation_is_declared() -> None:
    journal = Journal()
    _request(journal, "GET", "/_matrix/client/v3/sync")
    expectations = Expectations()
    expectations.add(journal, path="*/sync", minimum=1, maximum=1)
    [verdict] = expectations.check(journal)
    assert not verdict.met
    _request(journal, "GET", "/_matrix/client/v3/sync")
    assert expectations.check(journal)[0].met
    journal.clear()  # counting goes on from the clear
    assert not expectations.check(journal)[0].met


def test_an_unmet_expectation_says_what_was_called_instead() -> None:
    journal = Journal()
    expectations = Expectations()
    expectations.add(journal, method="put", path="*/send/*", user_id="@alice:localhost", name="hello")
    _request(journal, "GET", "/_matrix/client/v3/sync", query={"since": "s1", "timeout": "0"})
    _request(journal, "POST", "/_matrix/client/v3/rooms/!r:localhost/send/m.room.message", status=None)
    [verdict] = expectations.check(journal)
    assert verdict.problem == (
        'expectation e1 "hello" (PUT */send/* by @alice:localhost): expected at least 1 call,'
        " got 0 calls; called instead:\n"
        "  #1 GET /_matrix/client/v3/sync?since=s1&timeout=0 by @alice:localhost -> 200\n"
        "  #2 POST /_matrix/client/v3/rooms/!r:localhost/send/m.room.message by @alice:localhost"
        " -> in flight"
    )


def test_too_many_calls_are_listed() -> None:
    journal = Journal()
    expectations = Expectations()
    expectations.add(journal, path="*/sync", minimum=0, maximum=0)
    for _ in range(12):
        _request(journal, "GET", "/_matrix/client/v3/sync", user_id=None)
    [verdict] = expectations.check(journal)
    assert verdict.problem is not None
    lines = verdict.problem.splitlines()
    assert lines[0] == (
        "expectation e1 (any method */sync): expected no call, got 12 calls; the matching calls:"
    )
    assert lines[1] == "  (2 earlier not shown)"
    assert lines[2] == "  #3 GET /_matrix/client/v3/sync by no user -> 200"
    assert len(lines) == 12


def test_nothing_called_at_all() -> None:
    journal = Journal()
    expectations = Expectations()
    expectations.add(journal, path="*/sync", minimum=2, maximum=3)
    [verdict] = expectations.check(journal)
    assert verdict.problem == (
        "expectation e1 (any method */sync): expected between 2 and 3 calls, got 0 calls;"
        " nothing else was called"
    )


@pytest.mark.parametrize(
    ("given", "bounds"),
    [
        ({}, (1, None)),
        ({"times": 2}, (2, 2)),
        ({"times": 0}, (0, 0)),
        ({"minimum": 0}, (0, None)),
        ({"maximum": 3}, (1, 3)),
        ({"minimum": 2, "maximum": 5}, (2, 5)),
        ({"never": True}, (0, 0)),
    ],
)
def test_count_bounds(given: dict[str, object], bounds: tuple[int, int | None]) -> None:
    spec: dict[str, object] = {"times": None, "minimum": None, "maximum": None, "never": False}
    spec.update(given)
    assert count_bounds(**spec) == bounds  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "given",
    [
        {"never": True, "times": 1},
        {"times": 1, "minimum": 1},
        {"times": 1, "maximum": 2},
    ],
)
def test_conflicting_counts_are_refused(given: dict[str, object]) -> None:
    spec: dict[str, object] = {"times": None, "minimum": None, "maximum": None, "never": False}
    spec.update(given)
    with pytest.raises(MatrixError):
        count_bounds(**spec)  # type: ignore[arg-type]


def test_a_range_upside_down_is_refused_and_nothing_is_declared() -> None:
    expectations = Expectations()
    with pytest.raises(MatrixError, match="'max' \\(1\\) is below 'min' \\(2\\)"):
        expectations.add(Journal(), minimum=2, maximum=1)
    assert expectations.all() == []
