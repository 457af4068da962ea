"""Chart geometry for the dashboard and the printable report: rates against the 90 % line.

Pure: labelled rates in, coordinates out; templates draw them as inline SVG (no script, so the pages
keep their strict CSP and print the same in any browser). A rate that cannot be computed (no cases
due, too few answers) is drawn as no bar and named in the label, never as zero.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    rate: float | None
    status: str          # met | not_met | insufficient | no_cases
    note: str            # shown after the bar: "87.5 % (35/40)" or why there is no rate
    y: float
    width: float
    href: str | None = None


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    label_width: float
    plot_width: float
    bar_height: float
    target_x: float
    target: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class BarItem:
    label: str
    rate: float | None
    status: str
    note: str
    href: str | None = None


def bar_chart(items: list[BarItem], target: float, width: float = 720, label_width: float = 200,
              row_height: float = 26) -> BarChart:
    """One horizontal bar per item, scaled 0–100 %, with the target as a vertical line."""
    plot_width = width - label_width - 150  # room for the note after the bar
    bars = tuple(Bar(item.label, item.rate, item.status, item.note, y=20 + index * row_height,
                     width=round(plot_width * _clamp(item.rate), 1) if item.rate is not None else 0.0, href=item.href)
                 for index, item in enumerate(items))
    return BarChart(width=width, height=30 + row_height * max(len(items), 1), label_width=label_width,
                    plot_width=plot_width, bar_height=row_height * 0.62,
                    target_x=round(label_width + plot_width * target, 1), target=target, bars=bars)


@dataclass(frozen=True)
class Series:
    name: str
    css: str                      # the class the stylesheet colours it by
    points: str                   # SVG polyline "x,y x,y" over the months that have a rate
    dots: tuple[tuple[float, float, str], ...]  # (x, y, "87.5 %") per month with a rate


@dataclass(frozen=True)
class LineChart:
    width: float
    height: float
    left: float
    top: float
    plot_width: float
    plot_height: float
    target_y: float
    target: float
    ticks: tuple[tuple[float, str], ...]      # (x, month label)
    grid: tuple[tuple[float, str], ...]       # (y, "50 %")
    series: tuple[Series, ...]


def line_chart(labels: list[str], series: list[tuple[str, str, list[float | None]]], target: float,
               width: float = 720, height: float = 240) -> LineChart:
    """Monthly rates as lines on a 0–100 % axis with the target line; months without a rate are gaps."""
    left, top, bottom = 48.0, 14.0, 30.0
    plot_width, plot_height = width - left - 36, height - top - bottom  # room for the last month's label
    step = plot_width / max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return round(left + step * index, 1) if len(labels) > 1 else round(left + plot_width / 2, 1)

    def y(rate: float) -> float:
        return round(top + plot_height * (1 - _clamp(rate)), 1)

    drawn = []
    for name, css, rates in series:
        dots = tuple((x(i), y(r), percent(r)) for i, r in enumerate(rates) if r is not None)
        drawn.append(Series(name, css, " ".join(f"{px},{py}" for px, py, _ in dots), dots))
    return LineChart(width=width, height=height, left=left, top=top, plot_width=plot_width, plot_height=plot_height,
                     target_y=y(target), target=target, ticks=tuple((x(i), label) for i, label in enumerate(labels)),
                     grid=tuple((y(level), percent(level)) for level in (0.0, 0.5, 1.0)), series=tuple(drawn))


def percent(rate: float | None, digits: int = 1) -> str:
    return "—" if rate is None else f"{rate * 100:.{digits}f} %"


def _clamp(rate: float | None) -> float:
    return 0.0 if rate is None else max(0.0, min(1.0, rate))
