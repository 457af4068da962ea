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


DEMO_COLOURS = ((186, 140, 99), (120, 150, 110), (170, 170, 160), (140, 110, 90), (200, 180, 140),
                (110, 130, 150), (160, 120, 120), (130, 160, 140))


def demo_photo(variant: int) -> bytes:
    """A small stand-in 'home photo' for demo visits: a wall, a roof and a door, in one of eight colours."""
    from PIL import ImageDraw

    wall = DEMO_COLOURS[variant % len(DEMO_COLOURS)]
    image = Image.new("RGB", (640, 480), (175, 205, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 640, 480), fill=(110, 140, 80))
    draw.rectangle((170, 200, 470, 390), fill=wall)
    draw.polygon([(140, 205), (320, 90), (500, 205)], fill=(120, 60, 50))
    draw.rectangle((290, 280, 350, 390), fill=(80, 50, 30))
    out = BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
