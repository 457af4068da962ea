"""Station plaques: print-ready PNG and vector PDF, whose QR code opens the station's feedback page; and the
record that a plaque hangs at the station (§4.6). Rendering a plaque changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from server.adapters.glyphs import missing_characters
from server.adapters.images import render_plaque_png
from server.adapters.pdf import render_plaque_pdf
from server.adapters.qr import qr_matrix
from server.domain.clock import parse_day, today_in_china
from server.domain.plaque import plaque_layout
from server.errors import ConfigError, InvalidValue
from server.models import Station
from server.services.feedback import current_station_link

FORMATS = ("png", "pdf")
FIRST_PLAQUE_DAY = date(2021, 1, 1)  # the Kunming station plan (2021) that introduced the plaques
PRINT_DPI = 150
PREVIEW_DPI = 12


@dataclass(frozen=True)
class Plaque:
    content: bytes
    url: str
    official_name: str


def feedback_url(station: Station) -> str:
    return f"{current_app.config['PUBLIC_URL']}/f/{current_station_link(station).token}"


def render_plaque(station: Station, fmt: str, dpi: int = PRINT_DPI) -> Plaque:
    if fmt not in FORMATS:
        raise InvalidValue(field="format", reason="应为 png 或 pdf / must be png or pdf")
    font = plaque_font()
    township = station.township
    county = township.parent
    city = county.parent if county is not None else None
    url = feedback_url(station)
    layout = plaque_layout(city.name if city else "", county.name if county else "", township.name,
                           url.split("://", 1)[-1])
    missing = missing_characters(font[0], font[1], layout.official_name + layout.caption.text + layout.url.text)
    if missing:
        raise ConfigError(setting="LASTMETER_PLAQUE_FONT", reason=f"lacks the characters {''.join(missing)}")
    modules = qr_matrix(url, level="H")
    logo = current_app.config["PLAQUE_LOGO"] or None
    content = (render_plaque_png(layout, modules, font, logo, dpi) if fmt == "png"
               else render_plaque_pdf(layout, modules, font, logo))
    return Plaque(content, url, layout.official_name)


def record_plaque_installed(station: Station, installed_on: str) -> date:
    """§4.6: the plaque hangs at the station from this day on — a fact a county supervisor records (making
    a plaque file proves nothing, and a GET never changes data); audited."""
    from server.services import audit

    day = parse_day(installed_on.strip(), "悬挂日期 (installed on)")
    if day is None:
        raise InvalidValue(field="悬挂日期 (installed on)", reason="请填写门牌悬挂的日期 / give the day the plaque was put up")
    if day > today_in_china() or day < FIRST_PLAQUE_DAY:
        raise InvalidValue(field="悬挂日期 (installed on)",
                           reason=f"应在 {FIRST_PLAQUE_DAY} 到今天之间 / between {FIRST_PLAQUE_DAY} and today")
    station.plaque_issued_on = day
    audit.record("station.plaque_installed", "station", station.code, {"installed_on": day.isoformat()})
    return day


def plaque_font() -> tuple[str, int]:
    path = str(current_app.config["PLAQUE_FONT"])
    if not Path(path).is_file():
        raise ConfigError(setting="LASTMETER_PLAQUE_FONT",
                          reason=f"{path} is missing (Debian: apt-get install fonts-noto-cjk)")
    return path, int(current_app.config["PLAQUE_FONT_INDEX"])
