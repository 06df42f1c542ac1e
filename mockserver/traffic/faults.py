"""Fault rules: answer chosen client requests with an error, a delay or a dropped connection.

A rule matches on method, path pattern (see :mod:`mockserver.traffic.match`)
and the user the request authenticated as. It fires on the next ``times``
matching requests, or on each matching request with ``probability``, drawn
from a random generator seeded by the rule's ``seed`` (so a run replays
exactly). Rules are tried in the order they were added; the first that
fires decides what happens to the request, and at most one rule fires per
request. Exhausted rules stay listed (with ``remaining`` 0) until cleared,
so a test can check that a fault really happened.

This module holds values and decisions only; the traffic middleware acts
on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
import random
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

from mockserver.core.errors import (
    M_FORBIDDEN,
    M_INVALID_PARAM,
    M_LIMIT_EXCEEDED,
    M_NOT_FOUND,
    M_UNKNOWN,
    M_UNKNOWN_TOKEN,
    MatrixError,
)
from mockserver.traffic.match import path_matches

Drop = Literal["before", "after"]
DROPS: tuple[Drop, ...] = ("before", "after")
MAX_DELAY_MS = 600_000

#: The errcode a fault answers with when the rule names only a status.
DEFAULT_ERRCODES: dict[int, str] = {
    401: M_UNKNOWN_TOKEN,
    403: M_FORBIDDEN,
    404: M_NOT_FOUND,
    429: M_LIMIT_EXCEEDED,
}


def _invalid(message: str) -> MatrixError:
    return MatrixError(M_INVALID_PARAM, message)


@dataclass(frozen=True, slots=True)
class FaultAction:
    """What happens to a request a rule fires on: wait ``delay_ms``, then answer or drop.

    With neither ``status`` nor ``drop`` the request is served normally after
    the delay. ``drop="before"`` closes the connection without serving the
    request; ``drop="after"`` serves it (its changes happen) and closes the
    connection instead of sending the answer.
    """

    status: int | None = None
    errcode: str | None = None
    error: str | None = None
    retry_after_ms: int | None = None
    soft_logout: bool | None = None
    delay_ms: int = 0
    drop: Drop | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise _invalid("'status' must be between 400 and 599")
        if self.drop is not None and self.drop not in DROPS:
            raise _invalid("'drop' must be true, 'before' or 'after'")
        if self.drop is not None and self.status is not None:
            raise _invalid("A fault either answers with a 'status' or drops, not both")
        if not 0 <= self.delay_ms <= MAX_DELAY_MS:
            raise _invalid(f"'delay_ms' must be between 0 and {MAX_DELAY_MS}")
        if self.retry_after_ms is not None and self.retry_after_ms < 0:
            raise _invalid("'retry_after_ms' must not be negative")
        if self.status is None and self.drop is None and self.delay_ms == 0:
            raise _invalid("A fault needs a 'status', a 'delay_ms' or 'drop'")
        if self.status is None and (
            self.errcode is not None
            or self.error is not None
            or self.retry_after_ms is not None
            or self.soft_logout is not None
        ):
            raise _invalid("'errcode', 'error', 'retry_after_ms' and 'soft_logout' need a 'status'")

    def matrix_error(self) -> MatrixError | None:
        """The error to answer with, or None if this action does not answer."""
        if self.status is None:
            return None
        errcode = self.errcode or DEFAULT_ERRCODES.get(self.status, M_UNKNOWN)
        extra: dict[str, object] = {}
        headers: dict[str, str] = {}
        if self.retry_after_ms is not None:
            extra["retry_after_ms"] = self.retry_after_ms
            headers["Retry-After"] = str(math.ceil(self.retry_after_ms / 1000))
        if self.soft_logout is not None or errcode == M_UNKNOWN_TOKEN:
            extra["soft_logout"] = bool(self.soft_logout)
        return MatrixError(
            errcode,
            self.error or HTTPStatus(self.status).phrase,
            status=self.status,
            headers=headers,
            **extra,
        )


@dataclass(slots=True)
class FaultRule:
    id: str
    action: FaultAction
    method: str | None = None
    path: str | None = None
    user_id: str | None = None
    #: How many matching requests it fires on in all; None means no limit.
    times: int | None = None
    #: The chance it fires on each matching request; None means always.
    probability: float | None = None
    seed: int | str = 0
    #: How many requests it has fired on.
    hits: int = 0
    #: How many matching requests it has seen (fired or not).
    seen: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.method is not None:
            self.method = self.method.upper()
        if self.times is not None and self.times < 1:
            raise _invalid("'times' must be at least 1")
        if self.probability is not None and not 0 < self.probability <= 1:
            raise _invalid("'probability' must be above 0 and at most 1")
        self._random = random.Random(str(self.seed))

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.hits

    def matches(self, method: str, path: str, user_id: str | None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.user_id is None or self.user_id == user_id)
            and path_matches(self.path, path)
        )

    def fire(self) -> bool:
        """Decide for one matching request; counts it."""
        if self.remaining == 0:
            return False
        self.seen += 1
        if self.probability is not None and self._random.random() >= self.probability:
            return False
        self.hits += 1
        return True


class Faults:
    """The fault rules of one server, in the order they were added."""

    def __init__(self) -> None:
        self._rules: dict[str, FaultRule] = {}
        self._next_id = 1
        #: Called when a rule is added or removed (the inspector's watch).
        self.on_change: Callable[[], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def add(
        self,
        action: FaultAction,
        *,
        method: str | None = None,
        path: str | None = None,
        user_id: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | str = 0,
    ) -> FaultRule:
        """Add a rule; ``times`` defaults to 1 unless a ``probability`` is given."""
        if times is None and probability is None:
            times = 1
        rule = FaultRule(
            id=f"f{self._next_id}",
            action=action,
            method=method,
            path=path,
            user_id=user_id,
            times=times,
            probability=probability,
            seed=seed,
        )
        self._next_id += 1
        self._rules[rule.id] = rule
        self._changed()
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self._rules.values())

    def remove(self, rule_id: str) -> None:
        if self._rules.pop(rule_id, None) is None:
            raise MatrixError(M_NOT_FOUND, f"No fault rule {rule_id!r}")
        self._changed()

    def clear(self) -> None:
        self._rules.clear()
        self._next_id = 1
        self._changed()

    def pick(self, method: str, path: str, user_id: str | None) -> FaultRule | None:
        """The rule that fires on this request, if any."""
        for rule in self._rules.values():
            if rule.matches(method, path, user_id) and rule.fire():
                return rule
        return None
