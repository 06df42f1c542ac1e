"""The Matrix spec's client-server OpenAPI files as one document, for ``make fuzz-spec``.

matrix-org/matrix-spec keeps the API in many OpenAPI 3.1 files under
``data/api/client-server/``, one per area, each with its own base path
(``servers``) and ``$ref``s into ``definitions/`` and ``../../event-schemas/``.
schemathesis wants one document: :func:`load_client_server` reads them all
from a checkout, inlines every ``$ref`` (across files, with ``#`` pointers),
puts each file's base path in front of its paths and merges the security
schemes. Where two files describe one endpoint, the first (by file name) wins. Nothing of the spec is copied into this repository: it is read at
run time from the checkout ``make fuzz-spec SPEC=...`` names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CLIENT_SERVER = Path("data/api/client-server")
#: libyaml's loader where PyYAML was built with it (five times faster), else Python's.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Resolver:
    """Inlines ``$ref``s, reading each file once."""

    def __init__(self) -> None:
        self.files: dict[Path, Any] = {}

    def load(self, file: Path) -> Any:
        file = file.resolve()
        if file not in self.files:
            self.files[file] = yaml.load(file.read_text(encoding="utf-8"), Loader=LOADER)
        return self.files[file]

    def document(self, file: Path) -> Any:
        return self.resolve(self.load(file), file.resolve(), ())

    def resolve(self, node: Any, file: Path, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.resolve(item, file, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        rest = {k: self.resolve(v, file, seen) for k, v in node.items() if k != "$ref"}
        if not isinstance(ref, str):
            return rest
        target, _, pointer = ref.partition("#")
        target_file = (file.parent / target).resolve() if target else file
        key = f"{target_file}#{pointer}"
        if key in seen:  # a schema that contains itself: left open
            return rest
        found = _follow(self.load(target_file), pointer)
        inlined = self.resolve(found, target_file, (*seen, key))
        if isinstance(inlined, dict):
            return {**inlined, **rest}
        return inlined


def _follow(document: Any, pointer: str) -> Any:
    """The part of ``document`` a JSON pointer (``/a/b``, ``~1`` for ``/``) names."""
    node = document
    for part in filter(None, pointer.split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _base_path(document: dict[str, Any]) -> str:
    for server in document.get("servers", ()):
        base = server.get("variables", {}).get("basePath", {}).get("default")
        if isinstance(base, str):
            return base.rstrip("/")
    return ""


def load_client_server(spec: Path) -> dict[str, Any]:
    """One OpenAPI document of every client-server file in the checkout ``spec``."""
    resolver = Resolver()
    paths: dict[str, dict[str, Any]] = {}
    schemes: dict[str, Any] = {}
    for file in sorted((spec / CLIENT_SERVER).glob("*.yaml")):
        document = resolver.document(file)
        base = _base_path(document)
        for path, item in (document.get("paths") or {}).items():
            # Two files may describe one endpoint (the spec tells them apart by a
            # trailing space in the path): the first file, by name, is kept.
            served = paths.setdefault(base + path.strip(), {})
            for key, value in item.items():
                served.setdefault(key, value)
        schemes.update(document.get("components", {}).get("securitySchemes", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Matrix client-server API", "version": "spec"},
        "paths": paths,
        "components": {"securitySchemes": schemes},
    }
