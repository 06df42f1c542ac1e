"""matrix-js-sdk 43: ``uploadContent`` and the authenticated download and thumbnail."""

from __future__ import annotations

import base64
import io

from PIL import Image

from mockserver.server import ThreadedServer
from tests.js.runner import run_js
from tests.media.images import image_bytes


def test_js_sdk_uploads_and_downloads_with_authentication(server: ThreadedServer) -> None:
    picture = image_bytes("image/png", (120, 80))
    result = run_js(
        "media_upload_download.mjs",
        server.base_url,
        alice="alice",
        base64=base64.b64encode(picture).decode(),
        filename="sketch.png",
        contentType="image/png",
    )
    assert result["contentUri"].startswith("mxc://localhost/")
    download = result["download"]
    assert "/_matrix/client/v1/media/download/localhost/" in download["url"]
    assert download["status"] == 200
    assert base64.b64decode(download["base64"]) == picture
    assert (download["contentType"], download["disposition"]) == (
        "image/png",
        "inline; filename=sketch.png",
    )
    assert result["withoutToken"]["status"] == 401
    thumbnail = result["thumbnail"]
    assert "/_matrix/client/v1/media/thumbnail/localhost/" in thumbnail["url"]
    assert (thumbnail["status"], thumbnail["contentType"]) == (200, "image/png")
    assert Image.open(io.BytesIO(base64.b64decode(thumbnail["base64"]))).size == (32, 32)
