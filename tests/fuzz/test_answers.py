"""The fuzz tests' judge refuses what a client could not use."""

from __future__ import annotations

import pytest

from tests.fuzz.answers import check_answer

JSON = "application/json"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "file"),
    [
        (500, JSON, b'{"errcode": "M_UNKNOWN", "error": "boom"}', False),
        (502, "text/plain", b"Bad gateway", False),
        (400, JSON, b'{"detail": "Not Found"}', False),
        (404, "text/plain", b"Not Found", False),
        (403, JSON, b'{"errcode": "FORBIDDEN", "error": "no"}', False),
        (403, JSON, b'{"errcode": "M_FORBIDDEN"}', False),
        (400, JSON, b'["M_BAD_JSON"]', False),
        (200, "text/html", b"<html></html>", False),
        (200, JSON, b"{not json", False),
        (400, JSON, b'{"errcode": "M_UNKNOWN", "error": "Traceback (most recent call last):"}', False),
        (404, "text/plain", b"Not Found", True),
    ],
)
def test_refused(status: int, content_type: str, body: bytes, file: bool) -> None:
    with pytest.raises(AssertionError):
        check_answer(status, content_type, body, file=file)


@pytest.mark.parametrize(
    ("status", "content_type", "body", "file"),
    [
        (200, "application/json; charset=utf-8", b'{"a": 1}', False),
        (404, JSON, b'{"errcode": "M_NOT_FOUND", "error": "gone"}', False),
        (401, JSON, b'{"flows": [{"stages": ["m.login.password"]}], "params": {}}', False),
        (200, "image/png", b"\x89PNG", True),
    ],
)
def test_accepted(status: int, content_type: str, body: bytes, file: bool) -> None:
    check_answer(status, content_type, body, file=file)
