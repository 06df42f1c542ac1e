"""Media in scenarios: the top-level ``media`` list, checked, replayed and exported.

Each entry is one file with a fixed media id, so the rest of the document
(and the client under test) can name it ``mxc://<server_name>/<media_id>``:
in a user's ``avatar_url``, an ``m.room.avatar`` state event, an ``m.image``
message::

    {"media_id": "alice_avatar", "content_type": "image/png", "filename": "alice.png",
     "user_id": "@alice:localhost", "base64": "iVBORw0KGgo..."}

The bytes are given inline (``base64``) or as a ``file`` path relative to
the scenario file. A file is read when the scenario file is read
(:func:`inline_files`), which turns it into ``base64``: a document posted to
the control API cannot name files on the server's disk, and a reset reloads
the bytes as first read. An export writes every uploaded file inline.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from pathlib import Path
from typing import Any

from mockserver.core.store import Store
from mockserver.core.store.media import DEFAULT_CONTENT_TYPE, is_content_type, is_media_id
from mockserver.core.model import JsonDict
from mockserver.scenarios.plan import MediaSpec
from mockserver.scenarios.reader import Node, ScenarioError, child_path

MEDIA_KEYS = ("media_id", "content_type", "filename", "user_id", "base64", "file")


def inline_files(document: Any, base: Path, source: str) -> Any:
    """``document`` with each media ``file`` (relative to ``base``) read into ``base64``."""
    if not isinstance(document, dict) or not isinstance(document.get("media"), list):
        return document
    for index, entry in enumerate(document["media"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        path = child_path(child_path(child_path("", "media"), index), "file")
        if "base64" in entry:
            raise ScenarioError(source, path, "give either 'file' or 'base64', not both")
        try:
            content = (base / entry["file"]).read_bytes()
        except OSError as exc:
            raise ScenarioError(
                source, path, f"cannot read {entry['file']}: {exc.strerror or exc}"
            ) from None
        del entry["file"]
        entry["base64"] = base64.b64encode(content).decode("ascii")
    return document


class MediaChecker:
    """Reads each ``media`` entry as a spec; ``users`` are those the store will know by then."""

    def __init__(self, users: Collection[str], store: Store) -> None:
        self.users = users
        self.store = store
        self.seen: set[str] = set()

    def __call__(self, node: Node) -> MediaSpec:
        node.fields(MEDIA_KEYS, required=("media_id",))
        id_node = node.at("media_id")
        media_id = id_node.string(non_empty=True)
        if not is_media_id(media_id):
            id_node.fail(f"{media_id!r} is not a media id (letters, digits, '_' and '-' only)")
        if media_id in self.seen or self.store.has_media(media_id):
            id_node.fail(f"media {media_id} already exists")
        self.seen.add(media_id)
        content_type = node.optional_string("content_type", DEFAULT_CONTENT_TYPE)
        assert content_type is not None
        if not is_content_type(content_type):
            node.at("content_type").fail(f"{content_type!r} is not a content type (type/subtype)")
        user_id = node.optional_string("user_id")
        if user_id is not None and user_id not in self.users:
            node.at("user_id").fail(f"unknown user {user_id}")
        return MediaSpec(
            media_id=media_id,
            content=_content(node),
            content_type=content_type,
            filename=node.optional_string("filename"),
            user_id=user_id,
        )


def _content(node: Node) -> bytes:
    if node.has("file"):
        node.at("file").fail(
            "a file is read only from a scenario loaded from a file; give the bytes as 'base64'"
        )
    if not node.has("base64"):
        node.fail("missing the bytes: give 'base64' (or 'file' in a scenario file)")
    encoded = node.at("base64")
    try:
        return base64.b64decode(encoded.string(), validate=True)
    except (binascii.Error, ValueError):
        encoded.fail("not valid base64")


def export_media(store: Store) -> list[JsonDict]:
    """Every uploaded file, inline, in the order it was made."""
    entries = []
    for media in store.all_media():
        assert media.content is not None
        entry: JsonDict = {"media_id": media.media_id, "content_type": media.content_type}
        if media.filename is not None:
            entry["filename"] = media.filename
        if media.user_id is not None:
            entry["user_id"] = media.user_id
        entry["base64"] = base64.b64encode(media.content).decode("ascii")
        entries.append(entry)
    return entries
