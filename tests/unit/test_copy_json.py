"""copy_json: the store's copy of request content, as deepcopy would make it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockserver.core.model import copy_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=30,
)


def _shape(value: Any) -> Any:
    """The value with every scalar tagged by its type (so 1, 1.0 and True differ)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (type(value).__name__, value)


@given(JSON)
def test_copy_is_equal_to_deepcopy_and_shares_no_container(value: Any) -> None:
    copied = copy_json(value)
    assert _shape(copied) == _shape(copy.deepcopy(value))

    def containers(v: Any) -> list[int]:
        if isinstance(v, dict):
            return [id(v), *(i for item in v.values() for i in containers(item))]
        if isinstance(v, list):
            return [id(v), *(i for item in v for i in containers(item))]
        return []

    assert not set(containers(copied)) & set(containers(value))


def test_changing_the_copy_leaves_the_original() -> None:
    original = {"body": "hi", "m.mentions": {"user_ids": ["@a:x"]}, "list": [{"n": 1}]}
    copied = copy_json(original)
    copied["m.mentions"]["user_ids"].append("@b:x")
    copied["list"][0]["n"] = 2
    assert original == {"body": "hi", "m.mentions": {"user_ids": ["@a:x"]}, "list": [{"n": 1}]}


def test_values_that_are_not_json_are_deep_copied() -> None:
    inner = {"a": [1]}
    value = {"t": (inner,)}
    copied = copy_json(value)
    assert copied == value and copied["t"][0] is not inner
