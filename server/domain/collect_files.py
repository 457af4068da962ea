"""The per-worker files ODK Collect downloads with a form: the case list and station data.

Pure: rows in, CSV bytes out. ``cases.csv`` has the shape of an ODK Central entity list
(``name,label,__version`` first — Collect stops reading at the first row missing one,
OPENROSA.md §2.3), then the properties the forms show. Output is deterministic, so the
MD5 in the manifest changes exactly when the content does.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

CASE_LIST_NAME = "cases"
CASES_FILE = "cases.csv"
VILLAGES_FILE = "villages.csv"
STATION_FILE = "station.csv"
CASE_COLUMNS = ("name", "label", "__version", "category", "village_code", "village_name", "last_visit",
                "next_due", "risk_level", "redo", "redo_reason")


@dataclass(frozen=True)
class CaseRow:
    id: str
    label: str
    version: int
    categories: tuple[str, ...]
    village_code: str | None
    village_name: str | None
    last_visit: date | None
    next_due: date | None
    risk_level: str | None
    redo: bool
    redo_reason: str | None


def render_csv(header: tuple[str, ...], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def render_cases_csv(cases: list[CaseRow]) -> bytes:
    rows = [(c.id, c.label, c.version, " ".join(c.categories), c.village_code or "", c.village_name or "",
             c.last_visit.isoformat() if c.last_visit else "", c.next_due.isoformat() if c.next_due else "",
             c.risk_level or "", "1" if c.redo else "0", c.redo_reason or "")
            for c in sorted(cases, key=lambda c: (c.label, c.id))]
    return render_csv(CASE_COLUMNS, rows)


def render_villages_csv(villages: list[tuple[str, str]]) -> bytes:
    return render_csv(("name", "label"), sorted(villages))


def render_station_csv(values: dict[str, str]) -> bytes:
    return render_csv(("key", "value"), list(values.items()))
