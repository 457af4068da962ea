"""Were the visits real? Flags raised on a visit once it is applied to its case, after the 201 (docs/authenticity.md).

This part raises the flags a visit's own record shows — too short, started at night, GPS missing or vague — and a
photo reused from another visit (the same stored file: both visits are flagged, the earlier one when the later one
arrives). They are review flags like the others (``Submission.flags``): shown in words on the submission page,
filterable in the list and the API; a flag never rejects a visit nor changes an indicator.
"""
from __future__ import annotations

from datetime import datetime

from server.domain.authenticity import duration_flags, gps_flags
from server.domain.cases import VISIT_FORMS
from server.domain.flags import SubmissionFlag, merged_flags
from server.domain.submission import value_at
from server.domain.access import Scope
from server.models import Submission, SubmissionVersion
from server.queries import submissions as queries


def _instant(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None  # Collect's start/end carry their offset


def flag_visit(version: SubmissionVersion, asks_position: bool) -> set[SubmissionFlag]:
    """Raise this visit's authenticity flags (and a reused photo's on the other visits holding it)."""
    submission = version.submission
    form_id = submission.form.xml_form_id
    if form_id not in VISIT_FORMS:
        return set()
    data = version.data or {}
    flags = duration_flags(form_id, _instant(value_at(data, "start")), _instant(value_at(data, "end")))
    point = (version.latitude, version.longitude) if version.latitude is not None and version.longitude is not None \
        else None
    flags |= gps_flags(point, version.accuracy, asks_position)
    for attachment in version.attachments:
        if attachment.blob_sha256 is None or not (attachment.detected_type or "").startswith("image/"):
            continue
        # Only visits count: a shared picture (a form's own media, the plaque) is never a visit's photo.
        others = [s for s in queries.list_submissions_holding_image(attachment.blob_sha256)
                  if s.id != submission.id and s.form.xml_form_id in VISIT_FORMS]
        if others:
            flags.add(SubmissionFlag.PHOTO_REUSED)
            for other in others:
                other.flags = merged_flags(other.flags, {SubmissionFlag.PHOTO_REUSED})
    if flags:
        submission.flags = merged_flags(submission.flags, flags)
    return flags


def visits_sharing_photos(version: SubmissionVersion, scope: Scope) -> list[Submission]:
    """The other visits, inside the viewer's scope, holding one of this version's photos (what a ``photo_reused``
    flag points at), oldest first."""
    found: dict[int, Submission] = {}
    for attachment in version.attachments:
        if attachment.blob_sha256 is None or not (attachment.detected_type or "").startswith("image/"):
            continue
        for other in queries.list_submissions_holding_image(attachment.blob_sha256):
            if other.id != version.submission_id and other.form.xml_form_id in VISIT_FORMS \
                    and scope.contains_path(other.station.township.path):
                found[other.id] = other
    return sorted(found.values(), key=lambda s: (s.created_at, s.id))
