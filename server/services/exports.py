"""Exports of submissions with the list's scope and filters (docs/exports.md):

- ``csv``: ODK Central's layout, a zip of ``<form>.csv`` and one ``<form>-<repeat>.csv`` per repeat;
- ``xlsx``: the same tables, one sheet each;
- ``geojson``: a FeatureCollection, one Point per submission that has a location;
- ``media``: a zip of the files that arrived, at ``files/<instanceID>/<name>`` as Central puts them.
CSV and XLSX need the ``form`` filter: each form has its own columns.

Everything is checked before the first byte (``start_export`` raises), then streamed: submissions
are read in keyset batches and each batch's bytes are handed on before the next is read, so memory
stays flat however many match. Columns come from the form's current version; answers to fields an
older version lacked are blank.
"""
from __future__ import annotations

import json
import logging
from contextlib import closing
from dataclasses import dataclass
from operator import itemgetter
from datetime import date
from typing import Any, Callable, Iterator
from urllib.parse import quote

from sqlalchemy import Row

from server.adapters.export_files import CsvWriter, ZipStream, file_size, spooled_csv
from server.adapters.tabular import XlsxStream
from server.domain.access import Scope
from server.domain.clock import LABEL, beijing_iso, beijing_wall_time, today_in_china
from server.domain.privacy import masked_data, sees_everything
from server.domain.export_rows import ExportLayout, LabelledTable, SubmissionMeta, labelled_table, layout_key, \
    META_FIELDS, media_path, own_cells, safe_file_name, sheet_titles, submission_date, submission_rows
from server.domain.labels import read_labels
from server.errors import BadRequest, LastmeterError, NotFound
from server.media.storage import MediaStorage, StorageError
from server.queries import forms as form_queries
from server.queries import submissions as queries
from server.queries.submissions import SubmissionFilters
from server.services import export_cells

log = logging.getLogger(__name__)

XLSX_MAX_ROWS = 1_048_575  # Excel's 1 048 576 rows, less the header


class FormRequiredForExport(LastmeterError):
    code = "400.7"
    zh = "导出 {format} 需要先选择一个表单：各表单的列不同。"
    en = "Choose one form to export {format}: each form has its own columns."


class TooManyRowsForXlsx(LastmeterError):
    code = "400.8"
    zh = "共 {count} 条提交，超过 Excel 每个工作表 {limit} 行的上限。请缩小筛选范围，或导出 CSV。"
    en = "{count} submissions exceed Excel's {limit} rows per sheet. Narrow the filters, or export CSV."


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    chunks: Iterator[bytes]  # lazy: nothing is read until the response is sent

    def headers(self) -> dict[str, str]:
        ascii_name = self.filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
        return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                       f"filename*=UTF-8''{quote(self.filename, safe='')}",
                "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def start_export(format_name: str, scope: Scope, filters: SubmissionFilters, storage: MediaStorage) -> Export:
    """Check the request and return the export, ready to stream; BadRequest or NotFound before any byte."""
    exporter = EXPORTERS.get(format_name)
    if exporter is None:
        raise BadRequest(reason=f"导出格式应为 {'、'.join(EXPORTERS)} 之一 / format must be one of "
                                f"{', '.join(EXPORTERS)}")
    return exporter(scope, filters, storage)


def export_csv(scope: Scope, filters: SubmissionFilters, _storage: MediaStorage) -> Export:
    layout = _layout(filters, "CSV")
    return Export(_filename(filters, "csv.zip"), "application/zip", _nonempty(_csv_zip(scope, filters, layout)))


def export_csv_labels(scope: Scope, filters: SubmissionFilters, _storage: MediaStorage) -> Export:
    """The CSV zip for people, as KoboToolbox's "labels" export: headers and choices in the form's words."""
    layout = _layout(filters, "CSV")
    return Export(_filename(filters, "labels.csv.zip"), "application/zip",
                  _nonempty(_csv_zip(scope, filters, layout, _labelled(layout))))


def export_xlsx(scope: Scope, filters: SubmissionFilters, _storage: MediaStorage) -> Export:
    layout = _layout(filters, "XLSX")
    count = queries.count_submissions(scope, filters)
    if count > XLSX_MAX_ROWS:
        raise TooManyRowsForXlsx(count=count, limit=XLSX_MAX_ROWS)
    return Export(_filename(filters, "xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  _nonempty(_xlsx(scope, filters, layout)))


def export_geojson(scope: Scope, filters: SubmissionFilters, _storage: MediaStorage) -> Export:
    return Export(_filename(filters, "geojson"), "application/geo+json", _nonempty(_geojson(scope, filters)))


def export_media(scope: Scope, filters: SubmissionFilters, storage: MediaStorage) -> Export:
    return Export(_filename(filters, "media.zip"), "application/zip", _nonempty(_media_zip(scope, filters, storage)))


EXPORTERS: dict[str, Callable[[Scope, SubmissionFilters, MediaStorage], Export]] = {
    "csv": export_csv, "csv_labels": export_csv_labels, "xlsx": export_xlsx, "geojson": export_geojson,
    "media": export_media}


def _layout(filters: SubmissionFilters, format_name: str) -> ExportLayout:
    if not filters.xml_form_id:
        raise FormRequiredForExport(format=format_name)
    form = form_queries.get_form_by_xml_form_id(filters.xml_form_id)
    layout = None if form is None else export_cells.current_layout(form)
    if layout is None:
        raise NotFound(what="表单", key=filters.xml_form_id)
    return layout[0]


def _filename(filters: SubmissionFilters, extension: str) -> str:
    stem = safe_file_name(filters.xml_form_id) if filters.xml_form_id else "submissions"
    return f"{stem}-{today_in_china().isoformat()}.{extension}"


# --- the streams ----------------------------------------------------------------------------

def _nonempty(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The stream without the empty pieces a batch can leave (the compressor holds small outputs back);
    closing it closes the stream, which removes its temporary files."""
    with closing(chunks):  # type: ignore[type-var]
        for chunk in chunks:
            if chunk:
                yield chunk


def _records(scope: Scope, filters: SubmissionFilters) -> Iterator[list[tuple[SubmissionMeta, Row]]]:
    for batch in queries.iter_export_batches(scope, filters, read_ahead=True):
        yield [(_meta(row), row) for row in batch]


def _meta(row: Row) -> SubmissionMeta:
    return SubmissionMeta(
        instance_id=row.instance_id, xml_form_id=row.xml_form_id, submitted_at=row.created_at,
        review_state=str(row.review_state), station_code=row.station_code,
        station_name=row.station_name, case_id=row.case_id, visit_date=row.visit_date,
        submitter_id=row.submitter_id, submitter_name=row.submitter_name,
        attachments_present=row.attachments_present, attachments_expected=row.attachments_expected,
        device_id=row.device_id, edits=row.edits, form_version=row.form_version, latitude=row.latitude,
        longitude=row.longitude, accuracy=row.accuracy)


def _csv_zip(scope: Scope, filters: SubmissionFilters, layout: ExportLayout,
             labelled: list[LabelledTable] | None = None) -> Iterator[bytes]:
    """The root table goes straight into the archive as rows are read; the repeat tables wait in
    temporary files (a zip holds one entry at a time) and follow it. One pass over the database, so
    every table shows the same submissions. With ``labelled``, headers and choices in people's words."""
    archive = ZipStream()
    spools = [spooled_csv() for _ in layout.tables[1:]]
    words = labelled or [None] * len(layout.tables)
    # A row whose answers were kept written for this layout is copied (services/export_cells.py); the others, and
    # every row of an export in labels or with answers masked for the reader, are written from the answers.
    kept = layout_key(layout) if labelled is None and sees_everything(scope.role) else None
    try:
        root = _csv_entry(archive, f"{layout.xml_form_id}.csv")
        for writer, table, labelled_table_ in zip([root, *spools], layout.tables, words):
            writer.write(labelled_table_.header if labelled_table_ else table.header)
        pick = None
        for batch in queries.iter_export_batches(scope, filters, kept=kept, read_ahead=True):
            pick = pick or _by_position(batch[0], KEPT_FIELDS)
            for row in batch:
                submitted, key, cells, repeat_lines, *own = pick(row)
                if key == kept and kept is not None:
                    root.write_after(f"{submission_date(submitted)},{cells}", own_cells(own))
                    if spools:
                        for spool, lines in zip(spools, repeat_lines or ()):
                            spool.write_text("".join(lines))
                    continue
                meta = _meta(row)
                rows = submission_rows(layout, masked_data(row.data, scope.role), meta)
                if labelled:
                    rows = [[table_words.cells(cells) for cells in table_rows]
                            for table_words, table_rows in zip(labelled, rows)]
                root.write(rows[0][0])
                for spool, repeat_rows in zip(spools, rows[1:]):
                    for repeat_row in repeat_rows:
                        spool.write(repeat_row)
            yield archive.take()
        root.close()
        for spool, table in zip(spools, layout.tables[1:]):
            with spool.detach() as file:
                yield from archive.add(f"{safe_file_name(table.name)}.csv", file, file_size(file))
        yield archive.close()
    finally:
        for spool in spools:
            spool.close()


# What a row whose answers are kept written gives the CSV export, taken by position (``_by_position``).
KEPT_FIELDS = ("created_at", "export_key", "export_cells", "export_repeat_rows", *META_FIELDS)


def _by_position(row: Row, names: tuple[str, ...]) -> Callable[[Row], tuple]:
    """A getter of these columns of rows like ``row``: by position, a tenth of the cost of by name."""
    return itemgetter(*(row._fields.index(name) for name in names))


def _csv_entry(archive: ZipStream, name: str) -> CsvWriter:
    return CsvWriter(archive.open(safe_file_name(name)))


def _xlsx(scope: Scope, filters: SubmissionFilters, layout: ExportLayout) -> Iterator[bytes]:
    """The CSV's tables for people: a first header row of the form's questions in Chinese and a second of
    the field names (for anyone matching columns by name), choices as their labels, SubmissionDate a real
    date-time cell on Beijing's clock (the CSV keeps Central's codes and UTC form for the tools that read it)."""
    labelled = _labelled(layout)
    book = XlsxStream(sheet_titles(layout))
    try:
        for index, (table, words) in enumerate(zip(layout.tables, labelled)):
            codes = [f"{table.header[0]} ({LABEL})", *table.header[1:]] if index == 0 else table.header
            book.header(index, [f"{words.header[0]}（{LABEL}）", *words.header[1:]] if index == 0 else words.header, codes)
        for batch in _records(scope, filters):
            for meta, row in batch:
                for index, rows in enumerate(submission_rows(layout, masked_data(row.data, scope.role), meta)):
                    for cells in rows:
                        cells = labelled[index].cells(cells)
                        book.append(index, [beijing_wall_time(meta.submitted_at), *cells[1:]] if index == 0 else cells)
        yield from book.chunks()
    finally:
        book.discard()


def _labelled(layout: ExportLayout) -> list[LabelledTable]:
    form = form_queries.get_form_by_xml_form_id(layout.xml_form_id)
    labels = read_labels(form.current_version.xml, "中文")
    return [labelled_table(table, labels.question, labels.choices) for table in layout.tables]


def _geojson(scope: Scope, filters: SubmissionFilters) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for batch in _records(scope, filters):
        features = [_feature(meta) for meta, _row in batch if meta.latitude is not None and meta.longitude is not None]
        if features:
            yield (("" if first else ",") + ",".join(features)).encode("utf-8")
            first = False
    yield b"]}"


def _feature(meta: SubmissionMeta) -> str:
    properties: dict[str, Any] = {
        "instanceID": meta.instance_id, "form": meta.xml_form_id, "station": meta.station_code,
        "station_name": meta.station_name, "case": meta.case_id, "visit_date": _iso(meta.visit_date),
        "review_state": meta.review_state, "submitted_at": beijing_iso(meta.submitted_at),
        "accuracy": meta.accuracy}
    # GeoJSON positions are [longitude, latitude] in WGS-84, which is what phones record.
    feature = {"type": "Feature", "id": meta.instance_id,
               "geometry": {"type": "Point", "coordinates": [meta.longitude, meta.latitude]},
               "properties": properties}
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _media_zip(scope: Scope, filters: SubmissionFilters, storage: MediaStorage) -> Iterator[bytes]:
    archive = ZipStream()
    for batch in queries.iter_export_batches(scope, filters):
        instance_ids = {row.version_id: row.instance_id for row in batch}
        for attachment in queries.list_stored_attachments(list(instance_ids)):
            name = media_path(instance_ids[attachment.version_id], attachment.name)
            try:
                source = storage.open(attachment.blob_sha256)
            except StorageError:
                # A lost file must not cut every later one off the download; the log says which.
                log.warning("export: blob %s of %s is missing", attachment.blob_sha256, name)
                continue
            with source:
                yield from archive.add(name, source, attachment.size)
        yield archive.take()
    yield archive.close()
