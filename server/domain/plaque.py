"""The station plaque's layout (POLICY.md §4.6, A3): 50 cm × 70 cm, the official name
`昆明市{county}{township}社会工作服务站`, the social-work logo, and the QR code residents scan.

Pure: millimetres in, boxes out. Both renderers (PNG and vector PDF) draw this same layout.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH_MM = 500.0
HEIGHT_MM = 700.0
SUFFIX = "社会工作服务站"


@dataclass(frozen=True)
class TextLine:
    text: str
    center_x: float   # mm from the left edge
    baseline_y: float  # mm from the top edge
    size: float       # em size in mm


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class PlaqueLayout:
    width: float
    height: float
    logo: Box
    name: tuple[TextLine, ...]
    qr: Box
    caption: TextLine
    url: TextLine

    @property
    def official_name(self) -> str:
        return "".join(line.text for line in self.name)


def name_lines(city: str, county: str, township: str) -> tuple[str, ...]:
    """The plaque text in three lines: 昆明市五华区 / 华山街道 / 社会工作服务站."""
    return (f"{city}{county}", township, SUFFIX)


def plaque_layout(city: str, county: str, township: str, short_url: str) -> PlaqueLayout:
    lines = name_lines(city, county, township)
    # The longest line must fit within the plaque's width with margins of 40 mm each side.
    size = min(62.0, (WIDTH_MM - 80.0) / max(len(line) for line in lines))
    top = 210.0
    name = tuple(TextLine(line, WIDTH_MM / 2, top + i * size * 1.35, size) for i, line in enumerate(lines))
    qr_size = 190.0
    qr_top = name[-1].baseline_y + 45.0
    qr = Box((WIDTH_MM - qr_size) / 2, qr_top, qr_size)
    caption = TextLine("扫码评价我们的服务", WIDTH_MM / 2, qr_top + qr_size + 28.0, 18.0)
    url = TextLine(short_url, WIDTH_MM / 2, qr_top + qr_size + 52.0, 14.0)
    return PlaqueLayout(WIDTH_MM, HEIGHT_MM, Box((WIDTH_MM - 110.0) / 2, 40.0, 110.0), name, qr, caption, url)


def pixels(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)
