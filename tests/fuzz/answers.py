"""What every answer of the client API must be, whatever was asked."""

from __future__ import annotations

import re
from typing import Any

import orjson

ERRCODE = re.compile(r"^M_[A-Z0-9_]+$")


def check_answer(status: int, content_type: str, body: bytes, *, file: bool = False) -> Any:
    """Assert one answer is sound; return its JSON (None for a file).

    Never a 5xx; never a traceback; JSON unless it is a file (a media
    download's 2xx); a non-2xx is a Matrix error, or the
    user-interactive-auth answer (401 with ``flows``) some routes give.
    """
    assert status < 500, f"server error {status}: {body[:500]!r}"
    assert b"Traceback (most recent call last)" not in body, body[:2000]
    if file and 200 <= status < 300:
        return None
    assert content_type.split(";")[0].strip() == "application/json", (status, content_type, body[:200])
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise AssertionError(f"not JSON ({status}): {body[:200]!r}") from None
    if not 200 <= status < 300:
        check_error(status, answer)
    return answer


def check_error(status: int, answer: Any) -> None:
    assert isinstance(answer, dict), f"{status} with a non-object body: {answer!r}"
    if status == 401 and "flows" in answer and "errcode" not in answer:
        assert isinstance(answer["flows"], list), answer
        return
    assert isinstance(answer.get("errcode"), str) and ERRCODE.match(answer["errcode"]), answer
    assert isinstance(answer.get("error"), str), answer
