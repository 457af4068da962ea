"""Gathering the facts the indicators count, for one area (its whole subtree)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, String, and_, case, cast, func, literal, or_, select

from server.domain.cases import VISIT_FORMS, CaseCategory, CaseStatus, interval_days
from server.domain.indicators import AreaFacts, CoverageCount, StationFact, cutoff_days
from server.domain.places import AreaLevel
from server.domain.stations import StationStatus
from server.extensions import db
from server.models import Area, Case, CaseCategoryLink, Form, ReviewState, Station, Submission, SubmissionVersion
from server.queries import coverage_model

FEEDBACK_FORM = "resident_feedback"
LOOKBACK_DAYS = 730  # no visit interval is longer than this


def _in_area(area: Area):
    """Stations' townships under the area (a village narrows it to that village's cases below)."""
    township_path = area.path if area.level != AreaLevel.VILLAGE else area.path.rsplit("/", 2)[0] + "/"
    return Area.path.startswith(township_path, autoescape=True)


def _township_key(township_path: str, village_code: str | None) -> str:
    return township_path.rstrip("/").rsplit("/", 1)[-1]


def _group_key_of(area: Area, by_township: bool):
    return _township_key if by_township else _child_key_of(area)


def _child_key_of(area: Area):
    """How to find the child of ``area`` a fact belongs to: a county of a city, a township of a county, a village
    of a township (None where there is no such child, e.g. a township's feedback, which names no village)."""
    level, prefix = area.level, len(area.path)
    if level == AreaLevel.VILLAGE:
        return lambda township_path, village_code: None
    if level == AreaLevel.TOWNSHIP:
        return lambda township_path, village_code: village_code
    return lambda township_path, village_code: township_path[prefix:].split("/", 1)[0] or None


def _latest_visits(area: Area, as_of: date):
    """Each case's latest visit that counts: a field visit, not rejected, on or before ``as_of``, within the
    longest interval."""
    return (select(Submission.case_id.label("case_id"), func.max(Submission.visit_date).label("visited"))
            .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
            .where(_in_area(area), Form.xml_form_id.in_(VISIT_FORMS), Submission.case_id.is_not(None),
                   Submission.review_state != ReviewState.REJECTED,
                   Submission.visit_date >= as_of - timedelta(days=LOOKBACK_DAYS),
                   Submission.visit_date <= as_of)
            .group_by(Submission.case_id).subquery())


def coverage_counts(area: Area, as_of: date, intervals: dict[str, int],
                    by_township: bool = False) -> list[CoverageCount]:
    """Due and covered open cases per child of ``area`` (or, by_township, per township) and category, counted by
    the database: from the case rows' read model (``queries/coverage_model.py``) when no visit that counts is
    dated after ``as_of`` (today's view), else from the submissions."""
    if coverage_model.future_visits_after(as_of):
        return coverage_counts_from_submissions(area, as_of, intervals, by_township)
    return coverage_counts_from_case_rows(area, as_of, intervals, by_township)


def coverage_counts_from_case_rows(area: Area, as_of: date, intervals: dict[str, int],
                                   by_township: bool = False) -> list[CoverageCount]:
    """``coverage_counts`` from each case's latest counting visit and categories kept on its row: one scan of
    ``ix_case_record_coverage``. Cases are grouped by child area and category key; for every interval the
    settings use, the database counts the due and the covered, and each key takes the counts of its interval
    (the shortest of its categories', ``domain.cases.interval_days``)."""
    days_of = cutoff_days(intervals, [c.value for c in CaseCategory])
    distinct_days = sorted(set(days_of.values()))
    by_village = area.level in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE) and not by_township

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    counted = []
    for days in distinct_days:
        cutoff = literal(as_of - timedelta(days=days), Date)
        due = Case.registered_on <= cutoff
        counted += [count(due), count(and_(due, Case.counted_visit_on >= cutoff))]
    village = Case.village_code if by_village else literal(None, String)
    query = (select(Area.path, village, Case.category_key, *counted)
             .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
             .where(_in_area(area), Case.status == CaseStatus.OPEN)
             .group_by(Area.path, village, Case.category_key))
    if area.level == AreaLevel.VILLAGE:
        query = query.where(Case.village_code == area.code)
    child_key = _group_key_of(area, by_township)
    found: list[CoverageCount] = []
    for path, village_code, key, *pairs in db.session.execute(query):
        categories = coverage_model.categories_of_key(key)
        position = distinct_days.index(interval_days(categories, intervals))
        due, covered = int(pairs[2 * position] or 0), int(pairs[2 * position + 1] or 0)
        if not due:
            continue
        group = child_key(path, village_code)
        if not categories:
            found.append(CoverageCount(group, None, due, covered, due, covered))
        for number, category in enumerate(categories):
            found.append(CoverageCount(group, category, due, covered, due if number == 0 else 0,
                                       covered if number == 0 else 0))
    return found


def coverage_counts_from_submissions(area: Area, as_of: date, intervals: dict[str, int],
                                     by_township: bool = False) -> list[CoverageCount]:
    """``coverage_counts`` from the submissions themselves, for any day
    (``coverage_from_counts`` turns them into the same result ``coverage_by_group`` gives from facts).

    A case's interval is the shortest of its categories'; it is due when registered at least one
    interval before ``as_of`` and covered when its latest counting visit is no older than that.
    Interval cut-off days are computed here, so no date arithmetic is left to the database's dialect."""
    category = cast(CaseCategoryLink.category, String)
    days_of = cutoff_days(intervals, [c.value for c in CaseCategory])
    per_category = (select(CaseCategoryLink.case_id.label("case_id"),
                           func.min(case({c: d for c, d in days_of.items() if c is not None}, value=category,
                                         else_=days_of[None])).label("days"),
                           func.min(category).label("first"))
                    .join(Case, Case.id == CaseCategoryLink.case_id)
                    .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
                    .where(_in_area(area)).group_by(CaseCategoryLink.case_id).subquery())
    latest = _latest_visits(area, as_of)
    days = func.coalesce(per_category.c.days, days_of[None])
    cutoff = case({d: literal(as_of - timedelta(days=d), Date) for d in sorted(set(days_of.values()))},
                  value=days)
    by_village = area.level in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE) and not by_township
    cases = (select(Case.id, Area.path, (Case.village_code if by_village else literal(None, String)).label("village"),
                    Case.registered_on, cutoff.label("cutoff"), latest.c.visited, per_category.c.first)
             .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
             .outerjoin(per_category, per_category.c.case_id == Case.id)
             .outerjoin(latest, latest.c.case_id == Case.id)
             .where(_in_area(area), Case.status == CaseStatus.OPEN))
    if area.level == AreaLevel.VILLAGE:
        cases = cases.where(Case.village_code == area.code)
    cases = cases.subquery()
    link = CaseCategoryLink.__table__.alias("link")
    link_category = cast(link.c.category, String)
    seen = cases.c.visited >= cases.c.cutoff
    once = or_(link.c.category.is_(None), link_category == cases.c.first)

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    query = (select(cases.c.path, cases.c.village, link_category, func.count(), count(seen), count(once),
                    count(and_(once, seen)))
             .select_from(cases).outerjoin(link, link.c.case_id == cases.c.id)
             .where(cases.c.registered_on <= cases.c.cutoff)
             .group_by(cases.c.path, cases.c.village, link_category))
    child_key = _group_key_of(area, by_township)
    return [CoverageCount(child_key(path, village), category_value, int(due), int(covered), int(due_once),
                          int(covered_once))
            for path, village, category_value, due, covered, due_once, covered_once in db.session.execute(query)]


def area_facts(area: Area, period_from: date, period_to: date,
               by_township: bool = False) -> tuple[AreaFacts, dict[str, AreaFacts]]:
    """The facts of the area as a whole and split by its children (or, by_township, by township): feedback
    scores, townships and stations. Cases are counted by the database instead (``coverage_counts``): there may
    be hundreds of thousands."""
    whole, children = AreaFacts(), {}
    _child_key = _group_key_of(area, by_township)
    # a township's children are villages, which feedback and stations do not name
    split = by_township or area.level not in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)

    def part(key: str | None) -> AreaFacts | None:
        if key is None:
            return None
        return children.setdefault(key, AreaFacts())

    # Feedback is left out only by an exclusion with its reason (server/domain/review.py), never by a review
    # state the judged station could set; the exclusions are counted too, to be disclosed beside the rate.
    score_query = (select(Submission.satisfaction, Submission.exclusion_reason, Area.path, func.count())
                   .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
                   .where(_in_area(area), Form.xml_form_id == FEEDBACK_FORM, Submission.satisfaction.is_not(None),
                          Submission.visit_date >= period_from, Submission.visit_date <= period_to)
                   .group_by(Submission.satisfaction, Submission.exclusion_reason, Area.path))
    for score, reason, township_path, count in db.session.execute(score_query):
        target = part(_child_key(township_path, None)) if split else None
        for facts in (whole, target) if target is not None else (whole,):
            if reason is None:
                facts.scores.extend([int(score)] * int(count))
            else:
                facts.excluded[reason] = facts.excluded.get(reason, 0) + int(count)
    if area.level != AreaLevel.VILLAGE:
        for code, path in db.session.execute(
                select(Area.code, Area.path).where(_in_area(area), Area.level == AreaLevel.TOWNSHIP)):
            whole.townships.append(code)
            target = part(_child_key(path, None)) if split else None
            if target is not None:
                target.townships.append(code)
        for station, path in db.session.execute(select(Station, Area.path).join(Area, Area.code == Station.code)
                                                .where(_in_area(area))):
            fact = StationFact(station.code, station.status == StationStatus.OPERATING, station.established_on)
            whole.stations.append(fact)
            target = part(_child_key(path, None)) if split else None
            if target is not None:
                target.stations.append(fact)
    return whole, children


def list_feedback_comments(area: Area, period_from: date, period_to: date, limit: int) -> list[tuple]:
    """Resident feedback with something written in it, newest first:
    (day, station code, score, text, channel, review state, exclusion reason or None)."""
    query = (select(Submission.visit_date, Submission.station_code, Submission.satisfaction, SubmissionVersion.data,
                    Submission.review_state, Submission.exclusion_reason)
             .join(SubmissionVersion, (SubmissionVersion.submission_id == Submission.id) & SubmissionVersion.current)
             .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
             .where(_in_area(area), Form.xml_form_id == FEEDBACK_FORM,
                    Submission.visit_date >= period_from, Submission.visit_date <= period_to)
             .order_by(Submission.visit_date.desc(), Submission.id.desc()))
    found: list[tuple] = []
    result = db.session.execute(query.execution_options(yield_per=500))
    try:
        for day, station_code, score, data, state, excluded in result:
            text = str((data or {}).get("improvement") or "").strip()
            if text:
                found.append((day, station_code, score, text, str((data or {}).get("channel") or ""),
                              state.value if hasattr(state, "value") else state, excluded))
                if len(found) >= limit:
                    break
    finally:
        result.close()
    return found
