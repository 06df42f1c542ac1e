"""Thumbnails over HTTP, their sizes checked by decoding each answer; the size rules as a table."""

from __future__ import annotations

import pytest

from mockserver.core.thumbnail import Plan, ThumbnailRequest, plan
from tests.media.images import decoded, image_bytes
from tests.media.test_media_api import MEDIA, upload
from tests.support import Account, assert_error

LEGACY = "/_matrix/media/v3"


# -- the size rules, without images ----------------------------------------------------


@pytest.mark.parametrize(
    ("image", "request_", "expected"),
    [
        # scale: fit inside the box, keep the aspect ratio
        ((400, 200), ThumbnailRequest(320, 240, "scale"), Plan((320, 160), (0, 0, 320, 160))),
        ((200, 400), ThumbnailRequest(320, 240, "scale"), Plan((120, 240), (0, 0, 120, 240))),
        ((1000, 1000), ThumbnailRequest(32, 32, "scale"), Plan((32, 32), (0, 0, 32, 32))),
        ((5000, 10), ThumbnailRequest(96, 96, "scale"), Plan((96, 1), (0, 0, 96, 1))),
        # crop: cover the box, cut the middle
        ((400, 200), ThumbnailRequest(96, 96, "crop"), Plan((192, 96), (48, 0, 144, 96))),
        ((200, 400), ThumbnailRequest(96, 96, "crop"), Plan((96, 192), (0, 48, 96, 144))),
        ((640, 480), ThumbnailRequest(320, 240, "crop"), Plan((320, 240), (0, 0, 320, 240))),
        # crop of an image too small to cover the box without upscaling: cut, never scale up
        ((200, 50), ThumbnailRequest(96, 96, "crop"), Plan((200, 50), (52, 0, 148, 50))),
        # no larger than the box: the original
        ((64, 64), ThumbnailRequest(96, 96, "crop"), None),
        ((320, 240), ThumbnailRequest(320, 240, "scale"), None),
    ],
)
def test_thumbnail_sizes(
    image: tuple[int, int], request_: ThumbnailRequest, expected: Plan | None
) -> None:
    assert plan(*image, request_) == expected


# -- over HTTP -------------------------------------------------------------------------

TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"]


async def thumbnail(account: Account, media: str, prefix: str = MEDIA, **query: object):  # type: ignore[no-untyped-def]
    headers = account.headers if prefix == MEDIA else {}
    return await account.client.get(f"{prefix}/thumbnail/{media}", params=query, headers=headers)


@pytest.mark.parametrize("content_type", TYPES)
async def test_each_image_type_is_scaled_and_cropped(alice: Account, content_type: str) -> None:
    media = await upload(alice, image_bytes(content_type, (400, 200)), content_type)
    expected_type = "image/jpeg" if content_type == "image/jpeg" else "image/png"
    for query, size in (
        ({"width": 320, "height": 240, "method": "scale"}, (320, 160)),
        ({"width": 96, "height": 96, "method": "crop"}, (96, 96)),
        ({"width": 32, "height": 32}, (32, 16)),  # scale is the default
    ):
        response = await thumbnail(alice, media, **query)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == expected_type
        extension = expected_type.split("/")[1]
        assert response.headers["content-disposition"] == f"inline; filename=thumbnail.{extension}"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
        assert "sandbox" in response.headers["content-security-policy"]
        image = decoded(response.content)
        assert (image.format, image.size) == (extension.upper(), size)


async def test_a_cropped_thumbnail_keeps_the_middle(alice: Account) -> None:
    # Left half red, right half blue: a square crop of the middle shows both, halved.
    from PIL import Image

    import io

    picture = Image.new("RGB", (200, 100), "red")
    picture.paste((0, 0, 255), (100, 0, 200, 100))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    media = await upload(alice, buffer.getvalue(), "image/png")
    response = await thumbnail(alice, media, width=50, height=50, method="crop")
    image = decoded(response.content).convert("RGB")
    assert image.size == (50, 50)
    assert image.getpixel((2, 25)) == (255, 0, 0)
    assert image.getpixel((47, 25)) == (0, 0, 255)


async def test_a_small_image_is_served_as_it_is(alice: Account) -> None:
    original = image_bytes("image/jpeg", (40, 30))
    media = await upload(alice, original, "image/jpeg")
    response = await thumbnail(alice, media, width=96, height=96, method="crop")
    assert response.content == original
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == "inline; filename=thumbnail.jpeg"


async def test_an_animated_image_gives_an_animated_webp_only_when_asked(alice: Account) -> None:
    for content_type in ("image/gif", "image/webp"):
        media = await upload(alice, image_bytes(content_type, (120, 60), frames=3), content_type)
        animated = await thumbnail(alice, media, width=32, height=32, animated="true")
        assert animated.headers["content-type"] == "image/webp"
        image = decoded(animated.content)
        assert (image.format, image.size, image.n_frames) == ("WEBP", (32, 16), 3)
        still = await thumbnail(alice, media, width=32, height=32, animated="false")
        image = decoded(still.content)
        assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("PNG", (32, 16), 1)
        # Even when the animation is no larger than the box, it stays still unless asked.
        small = await thumbnail(alice, media, width=800, height=600)
        assert decoded(small.content).format == "PNG"


async def test_the_legacy_thumbnail_needs_no_token(alice: Account) -> None:
    media = await upload(alice, image_bytes("image/png", (100, 100)), "image/png")
    response = await thumbnail(alice, media, LEGACY, width=50, height=50)
    assert decoded(response.content).size == (50, 50)
    assert_error(
        await alice.client.get(f"{MEDIA}/thumbnail/{media}?width=50&height=50"),
        401,
        "M_MISSING_TOKEN",
    )


async def test_bad_thumbnail_requests_are_refused(alice: Account) -> None:
    media = await upload(alice, image_bytes("image/png", (100, 100)), "image/png")
    assert_error(await thumbnail(alice, media, height=32), 400, "M_MISSING_PARAM")
    assert_error(await thumbnail(alice, media, width=32), 400, "M_MISSING_PARAM")
    for query in (
        {"width": 0, "height": 32},
        {"width": -5, "height": 32},
        {"width": "wide", "height": 32},
        {"width": 32, "height": 32, "method": "stretch"},
        {"width": 32, "height": 32, "animated": "maybe"},
    ):
        assert_error(await thumbnail(alice, media, **query), 400, "M_INVALID_PARAM")


async def test_what_is_no_image_gets_no_thumbnail(alice: Account) -> None:
    text = await upload(alice, b"just words", "text/plain")
    assert_error(await thumbnail(alice, text, width=32, height=32), 400, "M_UNKNOWN")
    broken = await upload(alice, b"\x89PNG but not really", "image/png")
    assert_error(await thumbnail(alice, broken, width=32, height=32), 400, "M_UNKNOWN")


def test_an_animation_of_too_many_pixels_gives_a_still(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver.core import thumbnail as module

    gif = image_bytes("image/gif", (120, 60), frames=3)  # 7,200 pixels a frame, 21,600 in all
    monkeypatch.setattr(module, "MAX_IMAGE_PIXELS", 20_000)
    made = module.make_thumbnail(gif, "image/gif", ThumbnailRequest(32, 32, animated=True))
    assert made is not None and made.content_type == "image/png"
    monkeypatch.setattr(module, "MAX_IMAGE_PIXELS", 7_000)
    with pytest.raises(module.MatrixError) as refused:
        module.make_thumbnail(gif, "image/gif", ThumbnailRequest(32, 32))
    assert (refused.value.errcode, refused.value.status) == ("M_TOO_LARGE", 413)
