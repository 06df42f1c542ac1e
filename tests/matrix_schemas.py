"""Validation of ``/sync`` bodies against the spec's schema (:mod:`mockserver.api.shapes.sync`)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from mockserver.api.shapes.sync import SYNC_RESPONSE

SYNC_VALIDATOR = Draft202012Validator(SYNC_RESPONSE)
Draft202012Validator.check_schema(SYNC_RESPONSE)


def validate_sync(body: Any) -> None:
    """Raise ``AssertionError`` listing every place ``body`` breaks the spec's /sync schema."""
    errors = sorted(SYNC_VALIDATOR.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise AssertionError("stable /sync response breaks the spec schema:\n" + "\n".join(lines))
