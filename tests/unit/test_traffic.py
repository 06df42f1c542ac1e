"""The pure parts of the harness: path patterns, fault rules, the journal."""

from __future__ import annotations

import pytest

from mockserver.core.errors import MatrixError
from mockserver.traffic.faults import FaultAction, Faults
from mockserver.traffic.journal import Journal
from mockserver.traffic.match import path_matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        (None, "/anything", True),
        ("*/sync", "/_matrix/client/v3/sync", True),
        ("*/sync", "/_matrix/client/v2_alpha/sync", True),
        ("*/sync", "/_matrix/client/v3/sync/extra", False),
        ("*/rooms/*/send/*", "/_matrix/client/v3/rooms/!a:b/send/m.room.message/1", True),
        ("/_matrix/client/v3/sync", "/_matrix/client/v3/sync", True),
        ("/_matrix/client/v3/sync", "/_matrix/client/r0/sync", False),
    ],
)
def test_path_patterns(pattern: str | None, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_retry_after_header_rounds_up_to_seconds() -> None:
    error = FaultAction(status=429, retry_after_ms=1001).matrix_error()
    assert error is not None
    assert error.headers == {"Retry-After": "2"}
    assert error.body() == {
        "errcode": "M_LIMIT_EXCEEDED",
        "error": "Too Many Requests",
        "retry_after_ms": 1001,
    }


def test_unknown_token_always_says_whether_soft() -> None:
    error = FaultAction(status=401).matrix_error()
    assert error is not None and error.body()["soft_logout"] is False


def test_delay_only_answers_nothing() -> None:
    assert FaultAction(delay_ms=5).matrix_error() is None


def test_first_rule_that_fires_wins_and_exhausts() -> None:
    faults = Faults()
    first = faults.add(FaultAction(status=500), path="*/sync", times=2)
    second = faults.add(FaultAction(status=503))
    picks = [faults.pick("GET", "/v3/sync", None) for _ in range(4)]
    assert [p.id if p else None for p in picks] == [first.id, first.id, second.id, None]
    assert (first.remaining, second.remaining) == (0, 0)


def test_method_and_user_must_match() -> None:
    faults = Faults()
    faults.add(FaultAction(status=500), method="put", user_id="@a:x")
    assert faults.pick("GET", "/p", "@a:x") is None
    assert faults.pick("PUT", "/p", "@b:x") is None
    assert faults.pick("PUT", "/p", None) is None
    assert faults.pick("PUT", "/p", "@a:x") is not None


def outcomes(seed: int | str, n: int = 64) -> list[bool]:
    faults = Faults()
    faults.add(FaultAction(status=500), probability=0.5, seed=seed)
    return [faults.pick("GET", "/p", None) is not None for _ in range(n)]


def test_probability_replays_per_seed() -> None:
    assert outcomes(1) == outcomes(1)
    assert outcomes(1) != outcomes(2)
    assert 10 < sum(outcomes("text seed")) < 54


def test_probability_with_times_caps_hits() -> None:
    faults = Faults()
    rule = faults.add(FaultAction(status=500), probability=1, times=3)
    assert sum(faults.pick("GET", "/p", None) is not None for _ in range(10)) == 3
    assert rule.seen == 3


def test_clear_restarts_ids_and_remove_unknown_fails() -> None:
    faults = Faults()
    faults.add(FaultAction(status=500))
    faults.clear()
    assert faults.add(FaultAction(status=500)).id == "f1"
    with pytest.raises(MatrixError):
        faults.remove("f9")


def test_journal_keeps_the_newest_and_counts_on() -> None:
    journal = Journal(capacity=3)
    for number in range(5):
        journal.open(ts=number, method="GET", path=f"/p{number}", query={}, user_id=None)
    assert [e.path for e in journal.select()] == ["/p2", "/p3", "/p4"]
    assert journal.last_seq == 5
    assert [e.seq for e in journal.select(since=3)] == [4, 5]
    assert [e.seq for e in journal.select(since_ts=3)] == [4, 5]
    journal.clear()
    assert (len(journal), journal.last_seq) == (0, 0)
