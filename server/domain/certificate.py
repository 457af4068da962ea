"""The 志愿服务证明 page, laid out in millimetres on A4 (pure: text and positions, no drawing library).

Text is set in the plaques' typeface; the layout wraps Chinese text by characters (no word spaces), and keeps the
QR code that opens the public verification page in the lower right with its caption.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.domain.plaque import Box
from server.domain.volunteers import hours_text

WIDTH, HEIGHT = 210.0, 297.0
MARGIN = 22.0
MAX_ACTIVITY_LINES = 12


@dataclass(frozen=True)
class Line:
    text: str
    x: float          # mm from the left edge (the centre when ``centered``)
    baseline_y: float  # mm from the top edge
    size: float       # em size in mm
    centered: bool = False


@dataclass(frozen=True)
class CertificateLayout:
    title: str
    lines: tuple[Line, ...]
    qr: Box
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


def wrap(text: str, size: float, width: float) -> list[str]:
    """Cut ``text`` into lines of at most ``width`` mm, a CJK character being about one em wide (Latin about half)."""
    lines, current, used = [], "", 0.0
    for char in text:
        advance = size if ord(char) > 0x2E80 else size * 0.55
        if used + advance > width and current:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += advance
    return lines + ([current] if current else [])


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_layout(number: str, name: str, station_name: str, start: date, end: date, minutes: int,
                       activities: int, activity_lines: list[tuple[date, str, int]], issued_on: date,
                       verify_url: str) -> CertificateLayout:
    text_width = WIDTH - 2 * MARGIN
    lines: list[Line] = [Line("志愿服务证明", WIDTH / 2, 52, 12, centered=True),
                         Line(f"编号：{number}", WIDTH - MARGIN - len(number) * 2.2 - 9, 66, 3.6)]
    body = (f"兹证明 {name} 于{_day(start)}至{_day(end)}期间，在{station_name}参加志愿服务活动 {activities} 次，"
            f"累计服务时长 {hours_text(minutes)} 小时。")
    y = 84.0
    for part in wrap(body, 5.2, text_width):
        lines.append(Line(part, MARGIN, y, 5.2))
        y += 9.5
    y += 4
    lines.append(Line("服务记录：", MARGIN, y, 4.4))
    y += 8
    shown = activity_lines[:MAX_ACTIVITY_LINES]
    for day, title, part_minutes in shown:
        entry = f"{day.isoformat()}　{title[:24]}　{hours_text(part_minutes)} 小时"
        lines.append(Line(entry, MARGIN + 4, y, 3.8))
        y += 6.5
    if len(activity_lines) > len(shown):
        lines.append(Line(f"……另有 {len(activity_lines) - len(shown)} 次活动", MARGIN + 4, y, 3.8))
    lines += [Line(station_name, WIDTH - MARGIN - 70, 236, 4.4), Line(f"出具日期：{_day(issued_on)}",
                                                                      WIDTH - MARGIN - 70, 245, 4.0),
              Line("扫码核验真伪", MARGIN + 19, 270, 3.4, centered=True),
              Line(verify_url.split("://", 1)[-1], MARGIN, 278, 2.6)]
    return CertificateLayout(title=f"志愿服务证明 {number}", lines=tuple(lines), qr=Box(MARGIN, 226, 38))
