"""Benchmark 7: thumbnails of a 12-megapixel JPEG (4000 × 3000), as a phone camera takes them.

Run: .venv/bin/python scripts/bench/thumbnail.py
"""
from __future__ import annotations

from io import BytesIO

from common import ms, publish, table, timed

TARGET_MS = 80


def camera_photo() -> bytes:
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.effect_noise((4000, 3000), 60).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, 4000, 250):
        draw.rectangle((i, (i * 7) % 3000 - 400, i + 180, (i * 7) % 3000 + 400), fill=(i % 255, 120, 200 - i % 200))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = BytesIO()
    image.save(out, format="JPEG", quality=88, exif=_exif_rotated())
    return out.getvalue()


def _exif_rotated() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # phones store portrait photos landscape with an orientation tag
    return exif.tobytes()


def main() -> None:
    from server.adapters.images import THUMBNAIL_SIZES, make_thumbnail

    photo = camera_photo()
    rows = []
    for size in THUMBNAIL_SIZES:
        median, best = timed(lambda: make_thumbnail(BytesIO(photo), size), repeat=9)
        rows.append((size, ms(median), ms(best), "yes" if median * 1000 < TARGET_MS else "no"))
    body = table(("thumbnail (px)", "median", "best", f"< {TARGET_MS} ms"), rows)
    body += (f"\n\nSource: {len(photo) / 2**20:.1f} MB JPEG, 4000 × 3000, EXIF orientation 6. Pillow decodes it with "
             "JPEG draft mode (DCT scaling to the nearest 1/2, 1/4, 1/8 size at or above the thumbnail), so a 240 px "
             "thumbnail never decodes all 12 megapixels.")
    publish("thumbnail", "7. Thumbnail of a 12 MP JPEG", "scripts/bench/thumbnail.py", body)


if __name__ == "__main__":
    main()
