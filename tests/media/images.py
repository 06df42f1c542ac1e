"""Small images made on the fly (nothing binary in the repository), and decoding answers."""

from __future__ import annotations

import io

from PIL import Image

#: Pillow's format name for each content type the tests upload.
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def image_bytes(content_type: str, size: tuple[int, int], *, frames: int = 1) -> bytes:
    """An image of ``size`` in that type: a gradient, so scaling has something to do."""
    width, height = size
    made = []
    for index in range(frames):
        image = Image.new("RGB", size)
        image.putdata(
            [
                ((x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1), index * 60 % 256)
                for y in range(height)
                for x in range(width)
            ]
        )
        made.append(image)
    buffer = io.BytesIO()
    if frames > 1:
        made[0].save(
            buffer, FORMATS[content_type], save_all=True, append_images=made[1:], duration=100, loop=0
        )
    else:
        made[0].save(buffer, FORMATS[content_type])
    return buffer.getvalue()


def decoded(content: bytes) -> Image.Image:
    """The image an answer holds (its format, size and frame count are what tests check)."""
    image = Image.open(io.BytesIO(content))
    image.load()
    return image
