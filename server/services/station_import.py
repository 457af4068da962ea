"""Importing station records and staff lists from a file (CSV/XLSX rows), all or nothing.

Rows are checked in ``domain/station_rows.py`` against what the tree says of each township they
name — it exists, it is in the caller's scope, it has a station — and any problem raises InvalidRows
before anything is written. Importing the same file again changes nothing (``docs/indicators.md``).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from server.domain.access import Scope
from server.domain.clock import today_in_china
from server.domain.station_rows import (
    TOWNSHIP_CODE,
    KnownTownship,
    StaffRow,
    check_staff_rows,
    check_station_rows,
)
from server.errors import InvalidRows
from server.extensions import db
from server.models import Station
from server.queries import places as place_queries
from server.queries.volunteers import volunteer_ids_with_hours
from server.services import places
from server.services.places import ImportSummary


@dataclass(frozen=True)
class StaffImportSummary:
    created: int
    updated: int
    unchanged: int
    removed: int


def import_stations(rows: Iterable[Mapping[str, str | None]], scope: Scope, first_line: int = 2) -> ImportSummary:
    """Create the stations of townships that lack one, update the others with the cells filled in."""
    rows = list(rows)
    townships = _known_townships(((r.get("code") or "").strip() for r in rows), scope)
    parsed, problems = check_station_rows(rows, townships, first_line)
    if problems:
        raise InvalidRows(problems)
    created = updated = unchanged = 0
    for row in parsed:
        station = place_queries.get_station_by_code(row.code)
        if station is None:
            places.create_station(row.code, **row.values)
            created += 1
        elif _assign(station, row.values):
            updated += 1
        else:
            unchanged += 1
    db.session.flush()
    return ImportSummary(created, updated, unchanged)


def import_staff(rows: Iterable[Mapping[str, str | None]], scope: Scope, first_line: int = 2, *,
                 replace: bool = True) -> StaffImportSummary:
    """Make the file's rows the staff list of every station it names.

    A person is matched to the stored staff of the station by name and updated in place (so
    re-importing changes nothing). Staff not in the file are removed — unless they are linked to a
    user account, whose staff rows are kept as they are (they go with the account); ``replace=False``
    keeps everyone and only adds and updates.
    """
    rows = list(rows)
    townships = _known_townships(((r.get("station_code") or "").strip() for r in rows), scope)
    parsed, problems = check_staff_rows(rows, townships, today_in_china(), first_line)
    if problems:
        raise InvalidRows(problems)
    teams: dict[str, list[StaffRow]] = defaultdict(list)
    for row in parsed:
        teams[row.station_code].append(row)
    counts: Counter[str] = Counter()
    for code, team in teams.items():
        station = place_queries.get_station_by_code(code)
        counts.update(_sync_team(station, team, replace))  # type: ignore[arg-type]
    return StaffImportSummary(counts["created"], counts["updated"], counts["unchanged"], counts["removed"])


def _sync_team(station: Station, team: list[StaffRow], replace: bool) -> Counter[str]:
    """Created, updated, unchanged and removed members of one station."""
    existing = list(station.staff)
    by_name = {m.name: m for m in reversed(existing) if m.user_id is None}  # the first stored of a name wins
    by_name.update({m.name: m for m in reversed(existing) if m.user_id is not None})  # an account's row first
    counts: Counter[str] = Counter()
    matched: set[int] = set()
    for row in team:
        member = by_name.get(row.name)
        if member is None:
            places.add_staff_member(station, **row.member_values())
            counts["created"] += 1
            continue
        matched.add(member.id)
        counts["updated" if _assign(member, {**row.member_values(), "active": True}) else "unchanged"] += 1
    leaving = [m for m in existing if replace and m.user_id is None and m.id not in matched]
    served = volunteer_ids_with_hours(station.code)
    for member in leaving:
        if member.id in served:  # their service stays in the ledger and on certificates: off the list, not erased
            member.active = False
        else:
            db.session.delete(member)
    counts["removed"] = len(leaving)
    db.session.flush()
    db.session.expire(station, ["staff"])
    return counts


def _assign(target: Any, values: Mapping[str, Any]) -> bool:
    """Set the attributes that differ; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _known_townships(codes: Iterable[str], scope: Scope) -> dict[str, KnownTownship]:
    known: dict[str, KnownTownship] = {}
    for code in {c for c in codes if TOWNSHIP_CODE.match(c)}:
        area = place_queries.get_area_by_code(code)
        if area is not None:
            known[code] = KnownTownship(area.code, area.name, area.level, scope.contains_path(area.path),
                                        place_queries.get_station_by_code(code) is not None)
    return known
