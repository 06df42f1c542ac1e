"""docs/encryption.md's example, run as written: a pytest module using the plugin's
``homeserver`` fixture, with matrix-nio encrypting for real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "encryption.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def test_the_encrypted_client_example_passes(pytester: pytest.Pytester) -> None:
    blocks = PYTHON_BLOCK.findall(PAGE.read_text())
    assert len(blocks) == 1, "docs/encryption.md should have one python example"
    pytester.makepyfile(test_encryption_example=blocks[0])
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
