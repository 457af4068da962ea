"""Photos: thumbnails with Pillow. The only module that imports PIL.

JPEG draft decoding lets Pillow decode a 12 MP photo at 1/2, 1/4 or 1/8 scale directly,
so a 240 px thumbnail never decodes all 12 million pixels. EXIF orientation is applied,
so portrait photos stand upright. Images larger than MAX_PIXELS (decompression bombs),
truncated or not images at all get no thumbnail — they are stored, never decoded.
"""
from __future__ import annotations

from enum import StrEnum
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
            # reducing_gap: shrink by whole factors first (cheap box filter), then LANCZOS the last step
            upright.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
            out = BytesIO()
            # No metadata at all: a thumbnail may reach a browser through a signed URL, and a phone's EXIF
            # holds where the photo was taken (GPS) and on which device.
            upright.convert("RGB").save(out, format="JPEG", quality=82, exif=b"", icc_profile=None)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            ValueError, SyntaxError):
        return None


class ImageCheck(StrEnum):
    OK = "ok"
    TOO_LARGE = "too_large"    # over MAX_PIXELS: never decoded
    UNREADABLE = "unreadable"  # truncated, corrupt, or not an image Pillow knows


def check_image(source: BinaryIO) -> ImageCheck:
    """Whether a stored image can be shown: its size is read from the header first, and only an image
    within MAX_PIXELS is looked into — a JPEG decoded at 1/8 scale (draft), enough to find a truncated file
    cheaply, any other format only verified (its chunks and checksums), so no request decodes a large picture."""
    try:
        with Image.open(source) as image:
            if image.width * image.height > MAX_PIXELS:
                return ImageCheck.TOO_LARGE
            if image.format == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
            else:  # PNG, GIF, WebP…: no cheap scaled decode, so only the structure is checked, never the pixels
                image.verify()
            return ImageCheck.OK
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own check, in Image.open: a warning over MAX_IMAGE_PIXELS (an error where warnings are
        # errors, as in the tests), an error over twice that.
        return ImageCheck.TOO_LARGE
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return ImageCheck.UNREADABLE


GPS_IFD = 0x8825  # the EXIF tag of the GPSInfo block


def without_location(data: bytes) -> bytes:
    """The image with its EXIF GPS block and XMP packet (which may repeat the location) removed, for any image
    that leaves through a public path. A JPEG is re-saved with its own quantisation tables (``quality="keep"``),
    so it looks the same; the rest of its EXIF (orientation, time) stays. Non-images come back unchanged."""
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format not in THUMBNAIL_FORMATS or image.width * image.height > MAX_PIXELS:
                return data
            exif = image.getexif()
            if GPS_IFD not in exif and "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info:
                return data
            exif.pop(GPS_IFD, None)
            out = BytesIO()
            options = {"quality": "keep"} if image.format == "JPEG" else {}
            image.save(out, format=image.format, exif=exif.tobytes(), **options)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return data


DEMO_COLOURS = ((186, 140, 99), (120, 150, 110), (170, 170, 160), (140, 110, 90), (200, 180, 140),
                (110, 130, 150), (160, 120, 120), (130, 160, 140))


def demo_photo(variant: int, detail: int = 0) -> bytes:
    """A small stand-in 'home photo' for demo visits: sky, ground, a house with its roof and door, trees and a shed,
    each placed by ``detail`` — every visit's photo its own, as real photos are, and as far apart in perceptual hash
    as two different real photos (400 of them: no two within 6 of 64 bits)."""
    import random

    from PIL import ImageDraw

    place = random.Random(f"{variant}-{detail}")
    wall = DEMO_COLOURS[variant % len(DEMO_COLOURS)]
    image = Image.new("RGB", (640, 480), (place.randint(140, 210), place.randint(170, 225), place.randint(200, 245)))
    draw = ImageDraw.Draw(image)
    horizon = place.randint(250, 420)
    draw.rectangle((0, horizon, 640, 480), fill=(place.randint(90, 130), place.randint(120, 160), 80))
    width, height = place.randint(160, 420), place.randint(110, 220)
    left, bottom = place.randint(0, 640 - width), horizon + place.randint(-10, 40)
    draw.rectangle((left, bottom - height, left + width, bottom), fill=wall)
    draw.polygon([(left - 25, bottom - height), (left + width // 2, bottom - height - place.randint(50, 120)),
                  (left + width + 25, bottom - height)], fill=(place.randint(90, 150), 60, 50))
    door = left + place.randint(10, max(11, width - 60))
    draw.rectangle((door, bottom - 100, door + 50, bottom), fill=(80, 50, 30))
    for _ in range(place.randint(2, 5)):  # trees, a cart, a person by the door
        x, y, w, h = place.randint(0, 600), place.randint(horizon - 160, 440), place.randint(20, 90), place.randint(30, 160)
        draw.ellipse((x, y, x + w, y + h), fill=(place.randint(30, 90), place.randint(80, 150), place.randint(30, 90)))
    if place.random() < 0.6:  # a shed
        x = place.randint(0, 560)
        draw.rectangle((x, horizon - place.randint(40, 90), x + place.randint(50, 110), horizon + 10),
                       fill=(place.randint(60, 120),) * 3)
    for _ in range(6):
        fx, fy = place.randint(0, 630), place.randint(horizon, 470)
        draw.ellipse((fx, fy, fx + 8, fy + 8), fill=(place.randint(180, 255), place.randint(40, 200), 60))
    out = BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def resized_copy(data: bytes, scale: float = 0.9, quality: int = 70) -> bytes:
    """The same photo made smaller and saved again (what a worker sending last month's picture from the gallery
    often sends): other bytes, the same picture."""
    with Image.open(BytesIO(data)) as image:
        copy = image.convert("RGB").resize((int(image.width * scale), int(image.height * scale)))
    out = BytesIO()
    copy.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def render_plaque_png(layout, qr_modules: list[list[bool]], font: tuple[str, int], logo_path: str | None,
                      dpi: int) -> bytes:
    """The plaque as a print-ready PNG at ``dpi`` (recorded in the file)."""
    from PIL import ImageDraw, ImageFont

    def px(mm: float) -> int:
        return round(mm / 25.4 * dpi)

    image = Image.new("RGB", (px(layout.width), px(layout.height)), (222, 224, 227))
    draw = ImageDraw.Draw(image)
    draw.rectangle((px(12), px(12), px(layout.width - 12), px(layout.height - 12)), outline=(26, 26, 26),
                   width=max(1, px(1.5)))

    def text(line, colour) -> None:
        face = ImageFont.truetype(font[0], max(1, px(line.size)), index=font[1])
        draw.text((px(line.center_x), px(line.baseline_y)), line.text, font=face, fill=colour, anchor="ms")

    box = layout.logo
    if logo_path:
        with Image.open(logo_path) as logo:
            logo = logo.convert("RGBA")
            logo.thumbnail((px(box.size), px(box.size)))
            image.paste(logo, (px(box.x), px(box.y)), logo)
    else:
        draw.ellipse((px(box.x), px(box.y), px(box.x + box.size), px(box.y + box.size)), outline=(46, 125, 50),
                     width=max(1, px(4)))
        from server.domain.plaque import TextLine

        text(TextLine("社工", box.x + box.size / 2, box.y + box.size / 2 + 12, 34), (46, 125, 50))
    for line in layout.name:
        text(line, (184, 23, 23))
    text(layout.caption, (26, 26, 26))
    text(layout.url, (26, 26, 26))
    qr = layout.qr
    cell = px(qr.size) / len(qr_modules)
    left, top = px(qr.x), px(qr.y)
    draw.rectangle((left, top, left + px(qr.size), top + px(qr.size)), fill=(255, 255, 255))
    for row, modules in enumerate(qr_modules):
        for column, dark in enumerate(modules):
            if dark:
                draw.rectangle((round(left + column * cell), round(top + row * cell),
                                round(left + (column + 1) * cell) - 1, round(top + (row + 1) * cell) - 1),
                               fill=(26, 26, 26))
    out = BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()
