"""Each submission version's answers kept as the CSV export writes them (docs/exports.md, "How an export stays
fast"): the per-row work of an export — reading the answers' JSON, a cell per column, quoting, making formulas
inert — done once, when the version is applied, instead of at every export of it.

What is kept follows one layout of the form's columns (``domain.export_rows.layout_key``): the export uses it
for a row only when the row's key is the layout it exports with, and writes the row from its answers otherwise —
so kept cells are only ever a shortcut to the same bytes, never a second truth. A form version that changes the
columns makes every kept row stale; the ``export-cells`` job (periodic, and queued when a form is published)
writes them again, and an export meanwhile writes the stale rows from their answers. Changing a version's answers
forgets its cells (``models.submissions``), and whatever writes cells holds the applier's lock, as an erasure
does, so cells of erased answers are never written back.
"""
from __future__ import annotations

import time

from sqlalchemy import update

from server.adapters.export_files import csv_cells, csv_line
from server.domain.export_rows import ExportLayout, export_layout, layout_key, repeat_rows
from server.domain.xform import schema_of
from server.extensions import db
from server.models import Form, SubmissionVersion
from server.queries import forms as form_queries
from server.queries import submissions as queries
from server.services import outbox

REFRESH_BATCH = 500
REFRESH_SECONDS = 50.0  # one run of the job; the next run (or the next queued one) goes on where it stopped


_LAYOUTS: dict[tuple[str, str], tuple[ExportLayout, str]] = {}  # (form, XForm hash) → layout and its key


def current_layout(form: Form) -> tuple[ExportLayout, str] | None:
    """The layout a form's exports use (its current version's columns) and its key; None before any version."""
    version = form.current_version
    if version is None:
        return None
    known = (form.xml_form_id, version.sha256)
    if known not in _LAYOUTS:
        if len(_LAYOUTS) >= 64:
            _LAYOUTS.clear()
        layout = export_layout(form.xml_form_id, schema_of(version))
        _LAYOUTS[known] = (layout, layout_key(layout))
    return _LAYOUTS[known]


def written(layout: ExportLayout, key: str, data: dict, instance_id: str) -> dict[str, object]:
    """The kept cells of one version (``instance_id``: its submission's KEY, which the repeat rows name)."""
    root = layout.tables[0]
    return {"export_key": key, "export_cells": csv_cells(root.cells(data)) if root.columns else "",
            "export_repeat_rows": [[csv_line(row) for row in rows] for rows in repeat_rows(layout, data, instance_id)]
            if len(layout.tables) > 1 else None}


def keep(versions: list[SubmissionVersion]) -> None:
    """Write the cells of these versions (being applied, in the applier's transaction) for their form's layout."""
    for version in versions:
        if not version.current:
            continue  # superseded already: no export shows it
        submission = version.submission
        layout = current_layout(submission.form)
        if layout is None:
            continue
        for name, value in written(*layout, version.data or {}, submission.instance_id).items():
            setattr(version, name, value)


def refresh(seconds: float = REFRESH_SECONDS, batch: int = REFRESH_BATCH) -> int:
    """Write the cells of current versions that have none, or cells of a layout no longer current, form by form,
    for about ``seconds``; each batch is its own transaction. Returns how many were written.

    How far each layout's versions were looked through is kept on a cursor of its own (``cells:<key>``): a run
    goes on from there, so a sweep finding nothing reads only the versions stored since the last one, never the
    whole table again; a new layout (a form's new columns) has a new key, and starts from the first version."""
    done, deadline = 0, time.monotonic() + seconds
    for form in form_queries.list_forms():
        layout = current_layout(form)
        if layout is None:
            continue
        mark = f"cells:{layout[1]}"
        while time.monotonic() < deadline:
            outbox.claim(outbox.APPLIER)  # as an erasure does: its blanked answers are never written back from an older read
            after, last = outbox.claim(mark), queries.latest_version_id()
            rows = queries.list_versions_without_cells(form.id, layout[1], after, last, batch)
            if rows:
                db.session.execute(update(SubmissionVersion), [
                    {"id": version_id, **written(*layout, data or {}, instance_id)}
                    for version_id, instance_id, data in rows])
                done += len(rows)
            outbox.move(mark, rows[-1][0] if len(rows) == batch else last)  # a short batch: looked through to the end
            db.session.commit()
            if len(rows) < batch:
                break
    return done
