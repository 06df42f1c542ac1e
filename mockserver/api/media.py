"""The content repository: uploads, downloads, thumbnails, config and URL previews.

:data:`routes` maps each prefix to its routes, mounted by ``create_app``:

- ``/_matrix/client/v1/media``: ``download``, ``thumbnail``, ``config`` and
  ``preview_url``, all with an access token (authenticated media, v1.11);
- ``/_matrix/media/v3``: ``POST /upload``, ``PUT /upload/{serverName}/{mediaId}``,
  and the deprecated ``download`` and ``thumbnail`` without a token,
  ``config`` and ``preview_url`` with one (as the spec has them);
- ``/_matrix/media/v1``: ``POST /create``.

An upload's body is read as it arrives into one buffer of its
``Content-Length`` (refused with 413 ``M_TOO_LARGE`` before any is read when
that is past ``ServerConfig.max_upload_size``), and that buffer is what the
repository keeps: the bytes are never held twice, and the journal records
only their size. A download of a created URI whose upload has not come yet
waits for it on the notifier (``timeout_ms``, at most a minute), then
answers 504 ``M_NOT_YET_UPLOADED``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from urllib.parse import quote, urlsplit

import anyio.to_thread
from starlette.requests import ClientDisconnect

from mockserver.api import params
from mockserver.api.routing import Call, Endpoint, Reply
from mockserver.core.errors import (
    M_NOT_YET_UPLOADED,
    M_TOO_LARGE,
    M_UNKNOWN,
    MatrixError,
    invalid_param,
    missing_param,
    not_found,
)
from mockserver.core.store.media import DEFAULT_CONTENT_TYPE, Media, is_content_type, is_media_id
from mockserver.core.thumbnail import (
    THUMBNAIL_SOURCE_TYPES,
    Thumbnail,
    ThumbnailRequest,
    make_thumbnail,
    media_type,
)
from mockserver.notifier import user_key
from mockserver.responses import BytesResponse

#: The types served ``inline`` (the spec's "Serving inline content"); the rest, ``attachment``.
INLINE_CONTENT_TYPES = frozenset(
    {
        "text/css",
        "text/plain",
        "text/csv",
        "application/json",
        "application/ld+json",
        "image/jpeg",
        "image/gif",
        "image/png",
        "image/apng",
        "image/webp",
        "image/avif",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "audio/mp4",
        "audio/webm",
        "audio/aac",
        "audio/mpeg",
        "audio/ogg",
        "audio/wave",
        "audio/wav",
        "audio/x-wav",
        "audio/x-pn-wav",
        "audio/flac",
        "audio/x-flac",
    }
)
#: The policy the spec recommends (Synapse's, with its ``media-src``).
CONTENT_SECURITY_POLICY = (
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf;"
    " style-src 'unsafe-inline'; media-src 'self'; object-src 'self';"
)
#: Headers every media answer carries, besides its type and disposition.
MEDIA_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive, noimageindex",
    "Cache-Control": "public,max-age=86400,s-maxage=0,proxy-revalidate",
}
DEFAULT_TIMEOUT_MS = 20_000
MAX_TIMEOUT_MS = 60_000
#: RFC 2616 separators: a filename holding any (or a space, a control or non-ASCII
#: character) goes in ``filename*`` (RFC 5987), percent-encoded.
_SEPARATORS = frozenset('()<>@,;:\\"/[]?={}')
#: What a thumbnail served as the original image says it is.
_CANONICAL_IMAGE_TYPES = {"image/jpg": "image/jpeg"}


# -- headers ---------------------------------------------------------------------------


def content_disposition(disposition: str, filename: str | None) -> str:
    """``inline``/``attachment`` with the filename, as a token or RFC 5987 encoded."""
    if not filename:
        return disposition
    if all(32 < ord(c) < 127 and c not in _SEPARATORS for c in filename):
        return f"{disposition}; filename={filename}"
    return f"{disposition}; filename*=utf-8''{quote(filename.encode('utf-8'), safe='')}"


def download_headers(media: Media, filename: str | None) -> dict[str, str]:
    inline = media_type(media.content_type) in INLINE_CONTENT_TYPES
    return {
        "Content-Type": media.content_type,
        "Content-Disposition": content_disposition(
            "inline" if inline else "attachment", filename or media.filename
        ),
        **MEDIA_HEADERS,
    }


def thumbnail_headers(content_type: str) -> dict[str, str]:
    extension = content_type.rsplit("/", 1)[-1]
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition("inline", f"thumbnail.{extension}"),
        **MEDIA_HEADERS,
    }


# -- reading an upload -----------------------------------------------------------------


def _header(call: Call, name: bytes) -> str | None:
    for key, value in call.request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _content_type(call: Call) -> str:
    """The upload's ``Content-Type``; none, or one that is not one, stores as octet-stream."""
    value = (_header(call, b"content-type") or "").strip()
    return value if is_content_type(value) else DEFAULT_CONTENT_TYPE


def _filename(call: Call) -> str | None:
    return call.query.get("filename") or None


async def read_upload(call: Call) -> bytearray:
    """The upload's body, read as it arrives into one buffer (its ``Content-Length``).

    Refused with 413 ``M_TOO_LARGE`` past the configured limit: before
    reading anything when the declared length says so, else as soon as the
    bytes received pass it. The journal is told to keep none of them.
    """
    limit = call.hs.config.max_upload_size
    declared = _header(call, b"content-length")
    length: int | None = None
    if declared is not None:
        if not declared.isdigit():
            raise invalid_param("Content-Length value is invalid")
        length = int(declared)
        if length > limit:
            raise MatrixError(M_TOO_LARGE, f"Upload is larger than {limit} bytes")
    call.request.scope[params.BINARY_BODY] = True
    if length is None:
        return await _read_unsized(call, limit)
    buffer = bytearray(length)
    with memoryview(buffer) as view:
        filled = 0
        async for chunk in _chunks(call):
            end = filled + len(chunk)
            if end > length:
                raise invalid_param("The body is longer than its Content-Length")
            view[filled:end] = chunk
            filled = end
    if filled != length:
        raise invalid_param("The body is shorter than its Content-Length")
    return buffer


async def _read_unsized(call: Call, limit: int) -> bytearray:
    buffer = bytearray()
    async for chunk in _chunks(call):
        if len(buffer) + len(chunk) > limit:
            raise MatrixError(M_TOO_LARGE, f"Upload is larger than {limit} bytes")
        buffer += chunk
    return buffer


async def _chunks(call: Call) -> AsyncIterator[bytes]:
    receive = call.request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


# -- uploading -------------------------------------------------------------------------


async def post_upload(call: Call) -> Reply:
    content_type, filename = _content_type(call), _filename(call)
    content = await read_upload(call)
    media = call.store.upload_media(
        call.user_id, content, content_type=content_type, filename=filename
    )
    return {"content_uri": call.store.media_uri(media.media_id)}


async def post_create(call: Call) -> Reply:
    media = call.store.create_media(call.user_id)
    return {
        "content_uri": call.store.media_uri(media.media_id),
        "unused_expires_at": media.unused_expires_at,
    }


async def put_upload(call: Call) -> Reply:
    server_name, media_id = call.path["server_name"], call.path["media_id"]
    call.store.check_media_put(call.user_id, server_name, media_id)
    content_type, filename = _content_type(call), _filename(call)
    content = await read_upload(call)
    call.store.put_media(
        call.user_id,
        server_name,
        media_id,
        content,
        content_type=content_type,
        filename=filename,
    )
    return {}


# -- downloading -----------------------------------------------------------------------


async def uploaded_media(call: Call) -> Media:
    """The media the path names, once uploaded: waits up to ``timeout_ms`` for a pending one."""
    server_name, media_id = call.path["server_name"], call.path["media_id"]
    timeout_ms = params.query_int(call.query, "timeout_ms", DEFAULT_TIMEOUT_MS, minimum=0)
    assert timeout_ms is not None
    if not is_media_id(media_id):
        raise not_found(f"Media mxc://{server_name}/{media_id} not found")
    store = call.store
    media = store.uploaded_media(server_name, media_id)
    if media is not None:
        return media
    pending = store.media(server_name, media_id)
    creator = pending.user_id if pending is not None else None
    waited, _ = await call.hs.notifier.wait_for(
        lambda: store.uploaded_media(server_name, media_id),
        keys=lambda: [user_key(creator)] if creator is not None else [],
        deadline_ms=call.store.now() + min(timeout_ms, MAX_TIMEOUT_MS),
        label=call.session.user_id if call.session is not None else "",
    )
    if waited is None:
        raise MatrixError(M_NOT_YET_UPLOADED, "Media has not been uploaded yet")
    return waited


async def get_download(call: Call) -> Reply:
    media = await uploaded_media(call)
    assert media.content is not None
    return BytesResponse(media.content, download_headers(media, call.path.get("file_name")))


def thumbnail_request(call: Call) -> ThumbnailRequest:
    query = call.query
    width, height = (_dimension(query, name) for name in ("width", "height"))
    method = params.query_choice(query, "method", ("crop", "scale"), "scale")
    return ThumbnailRequest(
        width=width,
        height=height,
        method="crop" if method == "crop" else "scale",
        animated=params.query_bool(query, "animated", False),
    )


def _dimension(query: Mapping[str, str], name: str) -> int:
    value = params.query_int(query, name, minimum=1)
    if value is None:
        raise missing_param(f"Missing query parameter '{name}'")
    return value


async def get_thumbnail(call: Call) -> Reply:
    request = thumbnail_request(call)
    media = await uploaded_media(call)
    assert media.content is not None
    known, thumbnail = call.store.known_thumbnail(media, request)
    if not known:
        thumbnail = await _make(media, request)
        call.store.remember_thumbnail(media, request, thumbnail)
    if thumbnail is None:  # the original is no larger than asked: served as it is
        kind = media_type(media.content_type)
        content_type = _CANONICAL_IMAGE_TYPES.get(kind, kind)
        return BytesResponse(media.content, thumbnail_headers(content_type))
    return BytesResponse(thumbnail.content, thumbnail_headers(thumbnail.content_type))


async def _make(media: Media, request: ThumbnailRequest) -> Thumbnail | None:
    """Decode and resize in a worker thread (Pillow lets go of the GIL), not in the loop."""
    assert media.content is not None
    if media_type(media.content_type) not in THUMBNAIL_SOURCE_TYPES:
        return make_thumbnail(media.content, media.content_type, request)  # raises at once
    return await anyio.to_thread.run_sync(
        make_thumbnail, media.content, media.content_type, request
    )


# -- config and previews ---------------------------------------------------------------


async def get_config(call: Call) -> Reply:
    return {"m.upload.size": call.hs.config.max_upload_size}


async def get_preview_url(call: Call) -> Reply:
    """No preview: the server fetches nothing, so every URL has no OpenGraph data.

    The URL is checked as a server would before fetching it.
    """
    url = call.query.get("url")
    if not url:
        raise missing_param("Missing query parameter 'url'")
    params.query_int(call.query, "ts", minimum=0)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MatrixError(M_UNKNOWN, f"Invalid URL: {url!r}")
    return {}


# -- the route tables ------------------------------------------------------------------

DOWNLOAD = "/download/{server_name}/{media_id}"
THUMBNAIL = "/thumbnail/{server_name}/{media_id}"


def _serving(public: bool) -> list[Endpoint]:
    """Download, thumbnail (without a token when ``public``), config and previews."""
    return [
        Endpoint(DOWNLOAD, get_download, ("GET",), public),
        # An empty file name (a trailing slash, as matrix-nio sends) names nothing.
        Endpoint(DOWNLOAD + "/", get_download, ("GET",), public),
        Endpoint(DOWNLOAD + "/{file_name}", get_download, ("GET",), public),
        Endpoint(THUMBNAIL, get_thumbnail, ("GET",), public),
        Endpoint("/config", get_config),
        Endpoint("/preview_url", get_preview_url),
    ]


#: Every media route, by the prefix it is served under (the spec's, not Synapse's
#: older aliases under ``r0`` and ``v1``).
routes: dict[str, list[Endpoint]] = {
    "/_matrix/client/v1/media": _serving(public=False),
    "/_matrix/media/v3": [
        Endpoint("/upload", post_upload, ("POST",)),
        Endpoint("/upload/{server_name}/{media_id}", put_upload, ("PUT",)),
        *_serving(public=True),
    ],
    "/_matrix/media/v1": [Endpoint("/create", post_create, ("POST",))],
}
