"""The media repository: uploaded files and created ``mxc://`` URIs, in memory.

A :class:`Media` is one ``mxc://<server>/<media_id>``. ``POST /upload``
makes one with its bytes; ``POST /create`` makes one without (a *pending*
upload, which expires ``unused_expires_at`` after its creation unless its
creator ``PUT``s the bytes first); a scenario declares one with a fixed
media id. The bytes are kept once, as the read-only view of the buffer the
upload was read into: nothing here copies them.

Every mutation checks first, then writes; an upload that completes a
pending one touches its creator, so the store's commit wakes downloads
parked on it (keyed by that user). The store forwards the mutations
(``upload_media``, ``create_media``, ``put_media``, ``import_media``) and
lends this area out for reads as ``Store.media``. Thumbnails are made on demand
(:mod:`mockserver.core.thumbnail`) and kept in a bounded memo, which is not
state: emptying it changes no answer.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from mockserver.core.errors import (
    M_CANNOT_OVERWRITE_MEDIA,
    M_LIMIT_EXCEEDED,
    MatrixError,
    forbidden,
    invalid_param,
    not_found,
)
from mockserver.core.store.base import Whole
from mockserver.core.thumbnail import Thumbnail, ThumbnailRequest

#: What a media id may contain (the spec's rule, which keeps paths safe).
MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_MEDIA_ID_LENGTH = 255
#: A ``Content-Type`` value: type/subtype, then parameters, in printable ASCII.
CONTENT_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(;[ -~]*)?$")
DEFAULT_CONTENT_TYPE = "application/octet-stream"
#: How long a created URI waits for its upload (Synapse's ``unused_expiration_time``, 24 h).
UNUSED_EXPIRATION_MS = 24 * 60 * 60 * 1000
#: How many created URIs a user may have waiting (Synapse's ``max_pending_media_uploads``).
MAX_PENDING_UPLOADS = 5
#: How many thumbnails the memo keeps.
THUMBNAIL_MEMO_SIZE = 256


@dataclass(frozen=True, slots=True)
class Media:
    media_id: str
    #: Who uploaded it or created its URI; None for media a scenario declared without one.
    user_id: str | None
    #: When it was created (server-clock ms).
    created_ts: int
    content_type: str = DEFAULT_CONTENT_TYPE
    filename: str | None = None
    #: The bytes (read-only); None while a created URI waits for its upload.
    content: memoryview | None = None

    @property
    def uploaded(self) -> bool:
        return self.content is not None

    @property
    def size(self) -> int:
        return 0 if self.content is None else self.content.nbytes

    @property
    def unused_expires_at(self) -> int:
        return self.created_ts + UNUSED_EXPIRATION_MS


def is_media_id(value: str) -> bool:
    return len(value) <= MAX_MEDIA_ID_LENGTH and MEDIA_ID.fullmatch(value) is not None


def is_content_type(value: str) -> bool:
    return CONTENT_TYPE.fullmatch(value) is not None


def read_only(content: bytes | bytearray | memoryview) -> memoryview:
    """A read-only view of ``content``, sharing its buffer (no copy)."""
    view = content if isinstance(content, memoryview) else memoryview(content)
    return view.toreadonly()


class MediaRepository:
    """Every media of one server, by media id, in order of creation."""

    def __init__(self, whole: Whole) -> None:
        self._whole = whole
        self._media: dict[str, Media] = {}
        self._thumbnails: OrderedDict[tuple[str, ThumbnailRequest], Thumbnail | None] = (
            OrderedDict()
        )

    @property
    def server_name(self) -> str:
        return self._whole.server_name

    def mxc(self, media_id: str) -> str:
        return f"mxc://{self.server_name}/{media_id}"

    # -- reading -------------------------------------------------------------------------

    def get(self, server_name: str, media_id: str) -> Media | None:
        """The media at that ``mxc://`` (uploaded or pending), or None.

        Media of other servers is never there (no federation), nor is a
        created URI whose upload time ran out.
        """
        if server_name != self.server_name:
            return None
        media = self._media.get(media_id)
        if media is None or (not media.uploaded and self._expired(media)):
            return None
        return media

    def uploaded(self, server_name: str, media_id: str) -> Media | None:
        """The uploaded media at that ``mxc://``; None while it waits for its upload.

        Raises ``M_NOT_FOUND`` when there is no such media (any more).
        """
        media = self.get(server_name, media_id)
        if media is None:
            raise not_found(f"Media mxc://{server_name}/{media_id} not found")
        return media if media.uploaded else None

    def __iter__(self) -> Iterator[Media]:
        """Every uploaded media, oldest first."""
        return (media for media in self._media.values() if media.uploaded)

    def _expired(self, media: Media) -> bool:
        return self._whole.now() >= media.unused_expires_at

    # -- uploading -----------------------------------------------------------------------

    def upload(
        self,
        user_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Media:
        """``POST /upload``: new media holding ``content`` (its buffer, not a copy)."""
        media = Media(
            media_id=self._fresh_media_id(),
            user_id=user_id,
            created_ts=self._whole.now(),
            content_type=content_type or DEFAULT_CONTENT_TYPE,
            filename=filename or None,
            content=read_only(content),
        )
        self._media[media.media_id] = media
        return media

    def create(self, user_id: str) -> Media:
        """``POST /create``: a URI for an upload to come, or ``M_LIMIT_EXCEEDED``."""
        now = self._whole.now()
        pending = [
            media
            for media in self._media.values()
            if media.user_id == user_id and not media.uploaded and not self._expired(media)
        ]
        if len(pending) >= MAX_PENDING_UPLOADS:
            first = min(media.unused_expires_at for media in pending)
            raise MatrixError(
                M_LIMIT_EXCEEDED,
                f"Too many pending media uploads (at most {MAX_PENDING_UPLOADS})",
                status=429,
                retry_after_ms=first - now,
            )
        media = Media(media_id=self._fresh_media_id(), user_id=user_id, created_ts=now)
        self._media[media.media_id] = media
        return media

    def check_put(self, user_id: str, server_name: str, media_id: str) -> Media:
        """Refuse ``PUT /upload/{server}/{id}`` before its body is read, as Synapse does."""
        media = self.get(server_name, media_id)
        if media is None:
            raise not_found(f"Unknown media ID mxc://{server_name}/{media_id}")
        if media.user_id != user_id:
            raise forbidden("Only the creator of the media ID can upload to it")
        if media.uploaded:
            raise MatrixError(M_CANNOT_OVERWRITE_MEDIA, "Media ID already has content")
        return media

    def put(
        self,
        user_id: str,
        server_name: str,
        media_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Media:
        """``PUT /upload/{server}/{id}``: the bytes of a created URI (checked again)."""
        pending = self.check_put(user_id, server_name, media_id)
        media = Media(
            media_id=media_id,
            user_id=user_id,
            created_ts=pending.created_ts,
            content_type=content_type or DEFAULT_CONTENT_TYPE,
            filename=filename or None,
            content=read_only(content),
        )
        self._media[media_id] = media
        self._whole.touch(users=(user_id,))
        return media

    def import_media(
        self,
        media_id: str,
        content: bytes | bytearray | memoryview,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        filename: str | None = None,
        user_id: str | None = None,
        created_ts: int | None = None,
    ) -> Media:
        """Media a scenario declares, under its fixed id (which must be free)."""
        if not is_media_id(media_id):
            raise invalid_param(f"{media_id!r} is not a valid media id")
        if not is_content_type(content_type):
            raise invalid_param(f"{content_type!r} is not a valid content type")
        if media_id in self._media:
            raise invalid_param(f"Media {media_id} already exists")
        media = Media(
            media_id=media_id,
            user_id=user_id,
            created_ts=self._whole.now() if created_ts is None else created_ts,
            content_type=content_type,
            filename=filename or None,
            content=read_only(content),
        )
        self._media[media_id] = media
        return media

    def exists(self, media_id: str) -> bool:
        return media_id in self._media

    def _fresh_media_id(self) -> str:
        while True:
            media_id = self._whole.ids.media_id()
            if media_id not in self._media:
                return media_id

    # -- thumbnails ----------------------------------------------------------------------

    def known_thumbnail(
        self, media: Media, request: ThumbnailRequest
    ) -> tuple[bool, Thumbnail | None]:
        """``(True, thumbnail)`` when the memo holds the answer to ``request`` (None: the
        original), else ``(False, None)``: then make it with
        :func:`~mockserver.core.thumbnail.make_thumbnail` and :meth:`remember_thumbnail`."""
        key = (media.media_id, request)
        memo = self._thumbnails
        if key not in memo:
            return False, None
        memo.move_to_end(key)
        return True, memo[key]

    def remember_thumbnail(
        self, media: Media, request: ThumbnailRequest, thumbnail: Thumbnail | None
    ) -> None:
        if self._media.get(media.media_id) is not media:
            return  # forgotten (a reset) while it was being made
        memo = self._thumbnails
        memo[(media.media_id, request)] = thumbnail
        if len(memo) > THUMBNAIL_MEMO_SIZE:
            memo.popitem(last=False)
