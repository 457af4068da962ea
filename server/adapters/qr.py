"""QR codes (the qrcode library, rendered with Pillow)."""
from __future__ import annotations

from io import BytesIO

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M

LEVELS = {"M": ERROR_CORRECT_M, "H": ERROR_CORRECT_H}


def qr_png(data: bytes | str, box_size: int = 8, border: int = 4, level: str = "M") -> bytes:
    code = qrcode.QRCode(error_correction=LEVELS[level], box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    out = BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def qr_matrix(data: str, level: str = "H") -> list[list[bool]]:
    """The QR code's modules (True = dark), quiet zone included, for drawing at any size."""
    code = qrcode.QRCode(error_correction=LEVELS[level], box_size=1, border=4)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]
