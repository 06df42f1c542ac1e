"""The limits every JSON value taken in obeys: nesting depth and canonical JSON's numbers.

Room versions require canonical JSON, and Synapse enforces it on what
clients send: integers in ``[-(2**53)+1, 2**53-1]`` and no floats. Whatever
is stored comes back inside answers (an event's content sits several levels
down in a ``/sync``), and orjson refuses to encode more than 254 levels, so
nesting is bounded too. Client request bodies and scenario fixtures are
held to the same rules (a fixture gets :data:`FIXTURE_FRAME_DEPTH` more
levels for its own structure around the contents).

orjson parses an integer beyond 64 bits, and every number with a fraction or
an exponent, as a ``float``: a float is refused whatever its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: How deep arrays and objects may nest in a request body (the outermost is level 1).
MAX_DEPTH = 100
#: Levels a scenario document adds around the contents it holds
#: (``script.steps[0].action.content``, ``rooms[0].account_data[0].content``...).
FIXTURE_FRAME_DEPTH = 8
MAX_SAFE_INTEGER = 2**53 - 1
#: A number that may break the rules has a fraction, an exponent or 16+ digits.
_SUSPECT_NUMBER = re.compile(rb"[0-9][.eE]|[0-9]{16}")

Path = tuple[str | int, ...]
_OUT_OF_RANGE = "JSON integer out of range (canonical JSON allows -(2**53)+1 to 2**53-1)"


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """Where a value breaks the rules (keys and indexes from the root), and how."""

    path: Path
    problem: str


def number_problem(value: Any) -> str | None:
    """Why ``value`` is not a canonical JSON number, or None (also for non-numbers)."""
    kind = type(value)
    if kind is float:
        # What orjson makes of an integer beyond 64 bits (or of 1e20) is an integral float.
        if value.is_integer() and abs(value) > MAX_SAFE_INTEGER:
            return _OUT_OF_RANGE
        return "Bad JSON value: float (canonical JSON allows only integers)"
    if kind is int and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return _OUT_OF_RANGE
    return None


def may_break_rules(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """False when the JSON text ``raw`` surely obeys the rules, without parsing it.

    A text with no more ``[``/``{`` than ``max_depth`` cannot nest deeper,
    and one with no digit followed by ``.``/``e``/``E`` and no run of 16
    digits holds no float and no integer out of range. Strings count too,
    so ``True`` only means the parsed value must be walked.
    """
    return (
        raw.count(b"[") + raw.count(b"{") > max_depth
        or _SUSPECT_NUMBER.search(raw) is not None
    )


def find_problem(
    value: Any, max_depth: int = MAX_DEPTH, *, numbers: bool = True
) -> JsonProblem | None:
    """The first place (in document order) where ``value`` breaks the rules, or None.

    ``numbers=False`` checks the nesting only (the control API's own
    settings, such as a fault's ``probability``, are not canonical JSON).
    """
    if _obeys(value, max_depth, numbers):
        return None
    return _locate(value, max_depth, numbers)


def _obeys(value: Any, max_depth: int, numbers: bool) -> bool:
    """The quick check: one pass per level, building no paths."""
    if numbers and number_problem(value) is not None:
        return False
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return False
        below: list[Any] = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif numbers and (kind is float or kind is int) and number_problem(child):
                    return False
        level = below
    return True


def _locate(value: Any, max_depth: int, numbers: bool) -> JsonProblem:
    """The first problem and its path, depth first (only run once one is known to exist)."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        problem = number_problem(item) if numbers else None
        if problem is not None:
            return JsonProblem(path, problem)
        if type(item) is dict or type(item) is list:
            if len(path) >= max_depth:
                return JsonProblem(path, f"JSON nested deeper than {max_depth} levels")
            pairs = item.items() if type(item) is dict else enumerate(item)
            stack.extend(reversed([(child, (*path, key)) for key, child in pairs]))
    raise AssertionError("no problem found where the quick check saw one")
