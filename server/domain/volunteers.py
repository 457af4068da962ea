"""Volunteer service, the pure part (docs/volunteers.md): reading a ``volunteer_service`` record's volunteers and
hours, the volunteers file phones get, certificate numbers and what a certificate's public page may show.
No Flask, no database."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

VOLUNTEER_FORM = "volunteer_service"
VOLUNTEERS_FILE = "volunteers.csv"
VOLUNTEER_COLUMNS = ("name", "label")  # the staff record's id, the volunteer's name: nothing else leaves
MAX_MINUTES = 24 * 60
TARGET_VOLUNTEERS = 30  # POLICY.md §4.4
ACTIVE_DAYS = 365       # "active": at least one service record in the last 12 months


@dataclass(frozen=True)
class ListedPart:
    staff_member_id: int
    minutes: int


@dataclass(frozen=True)
class NewVolunteer:
    name: str
    gender: str | None
    phone: str | None
    minutes: int


@dataclass(frozen=True)
class ServiceParts:
    listed: tuple[ListedPart, ...]
    new: tuple[NewVolunteer, ...]


def to_minutes(hours: Any) -> int | None:
    """Hours as typed on the phone (a number, or text of one) to whole minutes, within a day; None if unusable."""
    try:
        value = float(hours)
    except (TypeError, ValueError):
        return None
    minutes = round(value * 60)
    return minutes if 0 < minutes <= MAX_MINUTES else None


def service_parts(data: dict[str, Any]) -> ServiceParts:
    """Who took part and for how long. A volunteer listed twice counts once (the longer time); an entry without
    a usable time or id is left out (the record's review shows it)."""
    default = data.get("default_hours")
    listed: dict[int, int] = {}
    for entry in data.get("volunteer") or []:
        if not isinstance(entry, dict):
            continue
        raw_id = str(entry.get("volunteer_id") or "")
        minutes = to_minutes(entry.get("hours") if entry.get("hours") not in (None, "") else
                             entry.get("own_hours") or default)
        if re.fullmatch(r"[0-9]{1,9}", raw_id) and minutes:
            listed[int(raw_id)] = max(minutes, listed.get(int(raw_id), 0))
    new: dict[str, NewVolunteer] = {}
    for entry in data.get("new_volunteer") or [] if data.get("has_new_volunteers") == "yes" else []:
        if not isinstance(entry, dict):
            continue
        name = re.sub(r"\s+", "", str(entry.get("new_name") or ""))[:20]
        minutes = to_minutes(entry.get("new_hours") if entry.get("new_hours") not in (None, "") else
                             entry.get("new_own_hours") or default)
        if len(name) >= 2 and minutes and name not in new:
            phone = str(entry.get("new_phone") or "")
            gender = entry.get("new_gender") if entry.get("new_gender") in ("female", "male") else None
            new[name] = NewVolunteer(name, gender, phone if re.fullmatch(r"1[0-9]{10}", phone) else None, minutes)
    return ServiceParts(tuple(ListedPart(k, v) for k, v in sorted(listed.items())), tuple(new.values()))


def hours_text(minutes: int) -> str:
    """Minutes as people read hours: 90 → "1.5", 60 → "1", 20 → "0.33"."""
    hours = minutes / 60
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def certificate_number(station_code: str, year: int, serial: int) -> str:
    """志愿服务证明 numbers: the station, the year and a serial — ``530102001-2026-0007``."""
    return f"{station_code}-{year}-{serial:04d}"


def masked_volunteer_name(name: str) -> str:
    """What the public verification page shows: enough to match a person who shows the paper (张*明, 李*)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def check_period(start: date | None, end: date | None, today: date) -> str | None:
    """Why a certificate's period cannot be used (None: it can)."""
    if start is None or end is None:
        return "请填写起止日期 / give both dates"
    if start > end:
        return "开始日期晚于结束日期 / the start is after the end"
    if end > today:
        return "结束日期不能晚于今天 / the end cannot be after today"
    if (end - start).days > 366 * 5:
        return "期间不能超过五年 / at most five years"
    return None
