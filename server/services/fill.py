"""Forms in the browser (ODK Web Forms) for workers and station heads: the forms their phone would list, the
same files (``collect.py``: same scope, same cache), the counts their case list shows, and the visits a
supervisor sent back to them, which they may open and resubmit as an edit. What the browser sends goes through
``ingest_submission`` like everything Collect sends (``server/openrosa/intake.py``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.domain.authenticity import explain
from server.queries import authenticity as authenticity_queries
from server.domain.clock import today_in_china
from server.domain.filetypes import served_type, sniff_content_type
from server.domain.submission import read_envelope
from server.errors import LastmeterError, NotFound
from server.media.storage import MediaStorage
from server.models import Case, Form, FormVersion, Station, Submission, SubmissionVersion, User
from server.queries import submissions as submission_queries
from server.services import collect
from server.services.media import SNIFF_BYTES, MediaFile
from server.services.submissions import FEEDBACK_FORM


class ResidentsOnly(LastmeterError):
    """The station's own staff do not fill in the satisfaction form that rates their station, at a desk."""

    code = "403.3"
    zh = ("居民满意度评价由居民本人填写（扫社工站门牌上的二维码），不能在社工的表单页中填写：被评价的社工站"
          "不能替居民打分。")
    en = ("Resident feedback is given by residents themselves (the QR code on the station's plaque), not in a "
          "worker's forms: the station being rated does not fill in its own rating.")


@dataclass(frozen=True)
class Workload:
    """What the worker's case list says needs doing: cases past their next visit, visits sent back to redo."""

    overdue: int
    returned: int


@dataclass(frozen=True)
class ReturnedVisit:
    submission: Submission
    version: SubmissionVersion  # the current version: the one an edit replaces
    case: Case
    reason: str
    returned_at: datetime
    # The authenticity flags of the visit, (code, Chinese, English), shown to the worker who made it — never to a
    # colleague sharing the case list.
    checks: tuple[tuple[str, str, str], ...] = ()

    @property
    def form(self) -> Form:
        return self.submission.form


def station_of(user: User) -> Station:
    """The station whose forms the user fills (workers and station heads only; 403 for other roles)."""
    return collect.station_of(user)


def forms(user: User) -> list[tuple[Form, FormVersion]]:
    """The forms Collect lists, but resident feedback (``ResidentsOnly``)."""
    station_of(user)
    return [(f, v) for f, v in collect.listed_forms() if f.xml_form_id != FEEDBACK_FORM]


def form(user: User, xml_form_id: str) -> tuple[Form, FormVersion]:
    station_of(user)
    if xml_form_id == FEEDBACK_FORM:
        raise ResidentsOnly()
    return collect.downloadable_form(xml_form_id)


def refuse_resident_feedback(xml: bytes) -> None:
    """What the browser sends is never resident feedback (checked before anything is stored)."""
    if read_envelope(xml).xml_form_id == FEEDBACK_FORM:
        raise ResidentsOnly()


def workload(user: User, today: date | None = None) -> Workload:
    cases = collect.visible_cases(station_of(user), user)
    today = today or today_in_china()
    return Workload(overdue=sum(1 for c in cases if c.next_due is not None and c.next_due < today),
                    returned=sum(1 for c in cases if c.redo))


def returned_visits(user: User) -> list[ReturnedVisit]:
    """The visits of the user's case list sent back to be redone, newest return first."""
    cases = {c.id: c for c in collect.visible_cases(station_of(user), user) if c.redo}
    visits = []
    for submission, event in submission_queries.list_last_returns(list(cases)):
        version = submission_queries.current_version_of(submission)
        checks = tuple((flag.code, *explain(flag.code, flag.detail))
                       for flag in authenticity_queries.list_visit_flags(submission.id)) \
            if submission.submitter_id == user.id else ()
        visits.append(ReturnedVisit(submission, version, cases[submission.case_id or ""], event.body or "",
                                    event.created_at, checks))
    return visits


def returned_visit(user: User, instance_id: str) -> ReturnedVisit:
    """A visit sent back to this user's case list, by its submission's instanceID; 404 for any other."""
    visit = next((v for v in returned_visits(user) if v.submission.instance_id == instance_id), None)
    if visit is None:
        raise NotFound(what="退回的走访记录", key=instance_id)
    return visit


def returned_file(user: User, instance_id: str, name: str, storage: MediaStorage) -> MediaFile:
    """A file of a returned visit, for the edit to start from. Always sent through the app (the browser
    fetches it from script, which a redirect to a bucket on another origin would break)."""
    version = returned_visit(user, instance_id).version
    attachment = next((a for a in version.attachments if a.name == name and a.blob_sha256), None)
    if attachment is None:
        raise NotFound(what="附件", key=name)
    sha256 = attachment.blob_sha256 or ""
    detected = attachment.detected_type or sniff_content_type(storage.read_head(sha256, SNIFF_BYTES))
    content_type, inline = served_type(attachment.name, detected)
    return MediaFile(storage.open(sha256), content_type, sha256, attachment.name, inline=inline)
