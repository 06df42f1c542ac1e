"""The scenarios shipped with mockserver, and naming one without a path.

They are installed with the package (``mockserver/fixtures/``, package data
from the checkout's top-level ``fixtures/``), next to the JSON Schema of the
format. Wherever a scenario file is asked for (``--fixture``, ``make run
FIXTURES=``, the pytest marker, ``homeserver.load``), a name that is not an
existing file and has no directory part names a shipped scenario, with or
without ``.json``: ``demo``, ``invites``, ``limited_timeline``...
"""

from __future__ import annotations

from pathlib import Path

#: Where the shipped scenarios are (a real directory, in an install and in a checkout).
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "fixtures"
SCHEMA_PATH = SHIPPED_DIR / "scenario.schema.json"


def shipped_names() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.json") if p != SCHEMA_PATH)


def shipped_scenario(name: str) -> Path | None:
    """The shipped scenario ``name`` (``demo`` or ``demo.json``), or None."""
    if "/" in name or "\\" in name:
        return None
    stem = name.removesuffix(".json")
    return SHIPPED_DIR / f"{stem}.json" if stem in shipped_names() else None


def resolve_scenario(path: str | Path) -> Path:
    """``path`` if it is a file, else the shipped scenario it names, else ``path`` as given."""
    given = Path(path)
    if given.is_file():
        return given
    return shipped_scenario(str(path)) or given
