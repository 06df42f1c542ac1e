"""core/canonical: nesting and canonical JSON numbers, and the quick text check before a walk."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.core.canonical import (
    MAX_SAFE_INTEGER,
    JsonProblem,
    find_problem,
    may_break_rules,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def bad_numbers(value: Any) -> bool:
    if isinstance(value, dict):
        return any(bad_numbers(v) for v in value.values())
    if isinstance(value, list):
        return any(bad_numbers(v) for v in value)
    if isinstance(value, float):
        return True
    return type(value) is int and abs(value) > MAX_SAFE_INTEGER


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="0123456789.eE-x", max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(documents, st.integers(min_value=1, max_value=6))
def test_find_problem_agrees_with_the_definition(value: Any, max_depth: int) -> None:
    expected = depth(value) > max_depth or bad_numbers(value)
    assert (find_problem(value, max_depth) is not None) == expected
    assert (find_problem(value, max_depth, numbers=False) is not None) == (depth(value) > max_depth)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(documents, st.integers(min_value=1, max_value=6))
def test_the_text_check_never_passes_a_value_that_breaks_the_rules(
    value: Any, max_depth: int
) -> None:
    raw = orjson.dumps(value)
    parsed = orjson.loads(raw)
    if not may_break_rules(raw, max_depth):
        assert find_problem(parsed, max_depth) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": [1, {"b": 0.5}]}, JsonProblem(("a", 1, "b"), "float")),
        ({"a": 1, "z": [2**53]}, JsonProblem(("z", 0), "out of range")),
        ([1, 2, -(2**53)], JsonProblem((2,), "out of range")),
        (1.8446744073709552e19, JsonProblem((), "out of range")),
        ({"x": [[[]]]}, JsonProblem(("x", 0, 0), "nested deeper than 3 levels")),
    ],
)
def test_the_first_problem_is_named_by_its_path(value: Any, problem: JsonProblem) -> None:
    found = find_problem(value, 3)
    assert found is not None
    assert found.path == problem.path
    assert problem.problem in found.problem


def test_the_boundaries() -> None:
    assert find_problem([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, True, None]) is None
    assert find_problem([[[]]], 3) is None
    assert find_problem([[[[]]]], 3) is not None
