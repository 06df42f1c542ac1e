"""Path patterns shared by fault rules and journal filters.

A pattern is a shell-style glob matched against the whole request path
(without the query): ``*`` matches any run of characters, ``/`` included,
so ``*/sync`` matches the sync endpoint of every API version and
``*/rooms/*/send/*`` every message send. A pattern with no wildcard must
equal the path.
"""

from __future__ import annotations

from fnmatch import fnmatchcase


def path_matches(pattern: str | None, path: str) -> bool:
    """True when ``pattern`` is unset or matches all of ``path``."""
    return pattern is None or fnmatchcase(path, pattern)
