"""matrix-nio's ``upload``, ``download`` and ``thumbnail`` against mockserver over a real socket."""

from __future__ import annotations

import io

import anyio
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadError,
    MemoryDownloadResponse,
    RegisterResponse,
    ResizingMethod,
    ThumbnailResponse,
    UploadResponse,
)
from PIL import Image

from tests.e2e.conftest import Live
from tests.media.images import image_bytes

CONFIG = AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)


async def test_nio_uploads_downloads_and_thumbnails(live: Live) -> None:
    with anyio.fail_after(60):
        alice = AsyncClient(live.base_url, config=CONFIG)
        bob = AsyncClient(live.base_url, config=CONFIG)
        try:
            assert isinstance(await alice.register("alice", "secret"), RegisterResponse)
            assert isinstance(await bob.register("bob", "secret"), RegisterResponse)
            picture = image_bytes("image/jpeg", (300, 150))
            uploaded, keys = await alice.upload(
                io.BytesIO(picture),
                content_type="image/jpeg",
                filename="holiday photo.jpg",
                filesize=len(picture),
            )
            assert isinstance(uploaded, UploadResponse), uploaded
            assert keys is None
            assert uploaded.content_uri.startswith("mxc://localhost/")

            got = await bob.download(uploaded.content_uri)
            assert isinstance(got, MemoryDownloadResponse), got
            assert got.body == picture
            assert (got.content_type, got.filename) == ("image/jpeg", "holiday photo.jpg")

            renamed = await bob.download(uploaded.content_uri, filename="renamed.jpg")
            assert isinstance(renamed, MemoryDownloadResponse), renamed
            assert renamed.filename == "renamed.jpg"

            server_name, media_id = uploaded.content_uri.removeprefix("mxc://").split("/")
            thumbnail = await bob.thumbnail(server_name, media_id, 96, 96, ResizingMethod.crop)
            assert isinstance(thumbnail, ThumbnailResponse), thumbnail
            assert thumbnail.content_type == "image/jpeg"
            assert Image.open(io.BytesIO(thumbnail.body)).size == (96, 96)

            missing = await bob.download("mxc://localhost/nothingHere")
            assert isinstance(missing, DownloadError)
            assert missing.status_code == "M_NOT_FOUND"
        finally:
            await alice.close()
            await bob.close()
