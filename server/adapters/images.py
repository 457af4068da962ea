"""Photos: thumbnails with Pillow. The only module that imports PIL.

JPEG draft decoding lets Pillow decode a 12 MP photo at 1/2, 1/4 or 1/8 scale directly,
so a 240 px thumbnail never decodes all 12 million pixels. EXIF orientation is applied,
so portrait photos stand upright. Images larger than MAX_PIXELS (decompression bombs),
truncated or not images at all get no thumbnail — they are stored, never decoded.
"""
from __future__ import annotations

from io import BytesIO
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_SIZES = (240, 640, 1280)
MAX_PIXELS = 60_000_000  # a 48 MP phone camera fits; a crafted 1 GP image does not
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
THUMBNAIL_FORMATS = {"JPEG", "PNG", "WEBP"}


def make_thumbnail(source: BinaryIO, size: int) -> bytes | None:
    """A JPEG whose longer side is at most ``size`` pixels, or None if the file is no usable image."""
    try:
        with Image.open(source) as image:
            if image.format not in THUMBNAIL_FORMATS or image.width * image.height > MAX_PIXELS:
                return None
            image.draft("RGB", (size, size))
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = BytesIO()
            upright.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None
