"""Font files (fontTools): which characters a font covers, and glyph outlines for vector output.

Debian's Noto Sans CJK is a TrueType Collection; Simplified Chinese is face index 2.
"""
from __future__ import annotations

from functools import lru_cache
from io import BytesIO

from fontTools.pens.reportLabPen import ReportLabPen
from fontTools.ttLib import TTCollection, TTFont


@lru_cache(maxsize=4)
def load_font(path: str, index: int) -> TTFont:
    """Read once into memory (no file handle left open for the life of the process)."""
    with open(path, "rb") as handle:
        data = BytesIO(handle.read())
    if path.lower().endswith((".ttc", ".otc")):
        return TTCollection(data, lazy=True)[index]
    return TTFont(data, lazy=True)


def missing_characters(path: str, index: int, text: str) -> list[str]:
    """Characters of ``text`` the font has no glyph for (they would print as empty boxes, 'tofu')."""
    cmap = load_font(path, index).getBestCmap()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})


def outline_path(path: str, index: int, char: str, path_factory) -> tuple[object, float, float]:
    """The glyph of ``char`` drawn into a new ReportLab path; returns (path, advance width, units per em)."""
    font = load_font(path, index)
    glyph_name = font.getBestCmap()[ord(char)]
    glyphs = font.getGlyphSet()
    pen = ReportLabPen(glyphs, path_factory())
    glyphs[glyph_name].draw(pen)
    return pen.path, glyphs[glyph_name].width, font["head"].unitsPerEm
