"""Thumbnails of PNG, JPEG, GIF and WebP images, really scaled or cropped (Pillow).

The spec's rules (client-server API, "Thumbnails"): the requested size is
the smallest the client wants; ``scale`` keeps the aspect ratio and fits
the image inside the requested box; ``crop`` fills the box exactly, in its
aspect ratio, cutting off what sticks out (centred); an image is never
upscaled, and when it is no larger than the box the original is served
(:func:`make_thumbnail` returns None). The sizes follow Synapse's
arithmetic (integer division, nothing below one pixel).

A thumbnail is a JPEG for a JPEG and a PNG for anything else (transparency
kept). With ``animated=true`` an animated GIF, WebP or PNG gets an animated
WebP, as the spec prefers (its first frame when all its frames together
pass :data:`MAX_IMAGE_PIXELS`); without it, its first frame (even at full
size: the spec forbids an animated answer unless asked).

Only the decoders of these four formats are ever used, and an image over
:data:`MAX_IMAGE_PIXELS` is refused before it is decoded (413 M_TOO_LARGE).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Literal

from PIL import Image, ImageSequence, UnidentifiedImageError

from mockserver.core.errors import M_TOO_LARGE, M_UNKNOWN, MatrixError

#: The image types thumbnailed, and the Pillow format each must decode as.
THUMBNAIL_SOURCE_TYPES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
PILLOW_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
#: The largest image thumbnailed (Synapse's ``max_image_pixels``, 32M).
MAX_IMAGE_PIXELS = 32 * 1024 * 1024
JPEG_QUALITY = 80
#: EXIF's orientation tag, and the transposition that puts each orientation upright.
EXIF_ORIENTATION = 0x0112
EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

Method = Literal["crop", "scale"]


@dataclass(frozen=True, slots=True)
class ThumbnailRequest:
    width: int
    height: int
    method: Method = "scale"
    animated: bool = False


@dataclass(frozen=True, slots=True)
class Thumbnail:
    content: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do to an image: resize it to ``size``, then keep ``box`` of it."""

    size: tuple[int, int]
    box: tuple[int, int, int, int]


def media_type(content_type: str) -> str:
    """``image/png`` of ``image/PNG; charset=x``: the type without its parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def can_thumbnail(content_type: str) -> bool:
    return media_type(content_type) in THUMBNAIL_SOURCE_TYPES


def plan(width: int, height: int, request: ThumbnailRequest) -> Plan | None:
    """How to turn a ``width`` x ``height`` image into the thumbnail; None: keep it as it is."""
    want_w, want_h = request.width, request.height
    if width <= want_w and height <= want_h:
        return None
    if request.method == "scale":
        if want_w * height < want_h * width:
            size = (want_w, max(want_w * height // width, 1))
        else:
            size = (max(want_h * width // height, 1), want_h)
        return Plan(size, (0, 0, *size))
    # crop: scale so that the box is covered, then cut the middle of what sticks out.
    if want_w * height > want_h * width:
        scaled = (want_w, max(want_w * height // width, 1))
    else:
        scaled = (max(want_h * width // height, 1), want_h)
    if scaled[0] > width or scaled[1] > height:  # that would upscale: cut the original
        scaled = (width, height)
    keep_w, keep_h = min(want_w, scaled[0]), min(want_h, scaled[1])
    left, top = (scaled[0] - keep_w) // 2, (scaled[1] - keep_h) // 2
    return Plan(scaled, (left, top, left + keep_w, top + keep_h))


def make_thumbnail(
    content: bytes | memoryview, content_type: str, request: ThumbnailRequest
) -> Thumbnail | None:
    """The thumbnail ``request`` asks of an image; None when the original should be served.

    Raises ``400 M_UNKNOWN`` for media that is not an image of the four
    types (or does not decode as one) and ``413 M_TOO_LARGE`` for one over
    :data:`MAX_IMAGE_PIXELS`.
    """
    declared = media_type(content_type)
    if declared not in THUMBNAIL_SOURCE_TYPES:
        raise MatrixError(M_UNKNOWN, f"Cannot make a thumbnail of media of type {declared}")
    try:
        with Image.open(io.BytesIO(content), formats=PILLOW_FORMATS) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise MatrixError(M_TOO_LARGE, "The image is too large to thumbnail")
            return _thumbnail(image, request)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise MatrixError(M_UNKNOWN, f"Cannot make a thumbnail: not a valid {declared} image") from None


def _transposition(image: Image.Image) -> Image.Transpose | None:
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION)
    except Exception:  # EXIF blocks are often broken; a thumbnail does without them
        return None
    return EXIF_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None


def _thumbnail(image: Image.Image, request: ThumbnailRequest) -> Thumbnail | None:
    transpose = _transposition(image)
    width, height = image.size
    if transpose in (
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_270,
    ):
        width, height = height, width
    steps = plan(width, height, request)
    frames = getattr(image, "n_frames", 1)
    moving = frames > 1
    if moving and request.animated and width * height * frames > MAX_IMAGE_PIXELS:
        request = replace(request, animated=False)  # too many pixels to animate: a still
    if steps is None and transpose is None and (request.animated or not moving):
        return None
    if steps is None:  # upright, or still, at its own size
        steps = Plan((width, height), (0, 0, width, height))
    if moving and request.animated:
        return _animated(image, steps, transpose)
    frame = _upright(_rgb_or_rgba(image, image.format == "JPEG"), transpose)
    out = _resize(frame, steps)
    buffer = io.BytesIO()
    if image.format == "JPEG":
        out.save(buffer, "JPEG", quality=JPEG_QUALITY)
        content_type = "image/jpeg"
    else:
        out.save(buffer, "PNG", optimize=False)
        content_type = "image/png"
    return Thumbnail(buffer.getvalue(), content_type, out.width, out.height)


def _animated(
    image: Image.Image, steps: Plan, transpose: Image.Transpose | None
) -> Thumbnail:
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        frames.append(_resize(_upright(frame.convert("RGBA"), transpose), steps))
        durations.append(int(frame.info.get("duration", 100)) or 100)
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(image.info.get("loop", 0)),
        lossless=True,
    )
    first = frames[0]
    return Thumbnail(buffer.getvalue(), "image/webp", first.width, first.height)


def _rgb_or_rgba(image: Image.Image, jpeg: bool) -> Image.Image:
    if jpeg:
        return image.convert("RGB")
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _upright(image: Image.Image, transpose: Image.Transpose | None) -> Image.Image:
    return image if transpose is None else image.transpose(transpose)


def _resize(image: Image.Image, steps: Plan) -> Image.Image:
    if image.size != steps.size:
        image = image.resize(steps.size, Image.Resampling.LANCZOS)
    if steps.box != (0, 0, *steps.size):
        image = image.crop(steps.box)
    return image
