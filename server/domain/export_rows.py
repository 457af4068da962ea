"""Submissions as rows of tables, laid out as ODK Central's CSV export lays them out. Pure.

From a form's schema: the root table (one row per submission) and one table per repeat (one row
per repeat instance), with Central's column names — group paths joined by ``-``, geopoints split
into ``-Latitude/-Longitude/-Altitude/-Accuracy``, repeat rows tied to their parent by
``PARENT_KEY`` and ``KEY`` (``uuid:…/member[2]``). From one submission's typed values (the nested
dicts of ``domain.submission.read_values``) and its metadata: the rows it adds to each table.

Cells leave here as the data says; the writers make text inert against formulas (``domain/cells.py``).
Also here: safe names for files inside an archive and for workbook sheets. Knows neither Flask nor the database.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timezone
from operator import attrgetter
from typing import Any, Callable, Iterator, NamedTuple

from server.domain.cells import Cell, cell_text
from server.domain.xform import FieldDef, XFormSchema

GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
GEOPOINT_KEYS = ("latitude", "longitude", "altitude", "accuracy")
# Central's columns after the form's own, in Central's order; then what a station network needs
# besides (appended last, so tools that read Central's export by column name are undisturbed).
CENTRAL_COLUMNS = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                   "ReviewState", "DeviceID", "Edits", "FormVersion")
LASTMETER_COLUMNS = ("StationCode", "StationName", "CaseID")
# Central calls "received" null and spells the others in camelCase.
CENTRAL_REVIEW_STATES = {"received": None, "has_issues": "hasIssues"}
UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f/\\?<>:*|"]')
UNSAFE_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_LENGTH = 31  # Excel's limit


@dataclass(frozen=True)
class Column:
    path: str        # relative to its table: 'registration/reg_name' in the root, 'member_name' in 'member'
    field: FieldDef
    names: tuple[str, ...] = dataclass_field(init=False)  # the path split once, not once per row
    is_geopoint: bool = dataclass_field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.path.split("/")))
        object.__setattr__(self, "is_geopoint", self.field.data_type == "geopoint")

    @property
    def headers(self) -> tuple[str, ...]:
        name = self.path.replace("/", "-")
        if self.is_geopoint:
            return tuple(f"{name}-{part}" for part in GEOPOINT_PARTS)
        return (name,)


@dataclass(frozen=True)
class Table:
    path: str                    # '' for the root table, else the repeat's path: 'member', 'household/member'
    name: str                    # the CSV file's stem: 'home_visit', 'home_visit-member'
    columns: tuple[Column, ...]
    header: tuple[str, ...]
    # The cells of one node's answers (a submission's data, or one repeat instance), in column order.
    cells: Callable[[Any], list[Cell]] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", _compiled_cells(self.columns))

    @property
    def repeat_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ExportLayout:
    xml_form_id: str
    tables: tuple[Table, ...]    # the root table first, then each repeat in form order
    repeats: frozenset[str]


class SubmissionMeta(NamedTuple):
    """What the server knows of a submission besides its answers (a named tuple: an export makes one
    per submission, and a tuple is made several times faster than a frozen dataclass)."""

    instance_id: str              # the first version's instanceID: Central's KEY
    xml_form_id: str
    submitted_at: datetime
    review_state: str             # Lastmeter's value: received, has_issues, edited, approved, rejected
    station_code: str
    station_name: str
    case_id: str | None = None
    visit_date: date | None = None
    submitter_id: int | None = None
    submitter_name: str | None = None
    attachments_present: int = 0
    attachments_expected: int = 0
    device_id: str | None = None
    edits: int = 0
    form_version: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None


def export_layout(xml_form_id: str, schema: XFormSchema) -> ExportLayout:
    """The tables of a form's export: every answer field in form order, each in the table of the
    innermost repeat holding it."""
    columns: dict[str, list[Column]] = {"": []}
    for path, field in schema.fields.items():
        if not _is_answer(path, field, schema):
            continue
        owner = _owner(path, schema.repeats)
        for repeat in _with_ancestors(owner, schema.repeats):
            columns.setdefault(repeat, [])
        columns[owner].append(Column(path[len(owner) + 1:] if owner else path, field))
    for repeat in sorted(schema.repeats - columns.keys()):
        columns[repeat] = []  # a repeat holding only another repeat still gets its table of keys
    names = _repeat_file_names(xml_form_id, [p for p in columns if p])
    tables = [Table("", xml_form_id, tuple(columns[""]),
                    ("SubmissionDate", *_headers(columns[""]), *CENTRAL_COLUMNS, *LASTMETER_COLUMNS))]
    tables += [Table(path, names[path], tuple(columns[path]), (*_headers(columns[path]), "PARENT_KEY", "KEY"))
               for path in columns if path]
    return ExportLayout(xml_form_id, tuple(tables), schema.repeats)


def _is_answer(path: str, field: FieldDef, schema: XFormSchema) -> bool:
    # Groups and repeats with a bind of their own are containers, not answers; the entity block's
    # binds describe meta/entity, which is kept apart from the values.
    return (path not in schema.groups and path not in schema.repeats and field.control not in ("group", "repeat")
            and "@" not in path and not path.startswith("meta/entity/"))


def _owner(path: str, repeats: frozenset[str]) -> str:
    return max((r for r in repeats if path.startswith(r + "/")), key=len, default="")


def _with_ancestors(repeat: str, repeats: frozenset[str]) -> list[str]:
    if not repeat:
        return []
    return sorted((r for r in repeats if repeat == r or repeat.startswith(r + "/")), key=len)


def _headers(columns: list[Column]) -> list[str]:
    return [header for column in columns for header in column.headers]


def _repeat_file_names(xml_form_id: str, paths: list[str]) -> dict[str, str]:
    """``<formId>-<repeat>``; repeats sharing a name are numbered ``~1``, ``~2`` in form order, as Central does."""
    totals: dict[str, int] = {}
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        totals[name] = totals.get(name, 0) + 1
    seen: dict[str, int] = {}
    names: dict[str, str] = {}
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        seen[name] = seen.get(name, 0) + 1
        names[path] = f"{xml_form_id}-{name}" + (f"~{seen[name]}" if totals[name] > 1 else "")
    return names


# --- one submission's rows -----------------------------------------------------------------

def submission_rows(layout: ExportLayout, data: dict[str, Any], meta: SubmissionMeta) -> list[list[list[Cell]]]:
    """The rows one submission adds to each table, in the layout's order (exactly one to the root table).
    Fields the submission's form version did not have are blank. Runs once per submission of an
    export, hence the plain loops."""
    root = layout.tables[0]
    return [[[submission_date(meta.submitted_at), *root.cells(data), *meta_cells(meta)]],
            *repeat_rows(layout, data, meta.instance_id)]


def repeat_rows(layout: ExportLayout, data: dict[str, Any], instance_id: str) -> list[list[list[Cell]]]:
    """The rows one submission adds to each repeat table (``instance_id``: the submission's KEY)."""
    return [[[*table.cells(item), parent_key, key]
             for item, key, parent_key in _repeat_items(data, table.path, layout.repeats, instance_id)]
            for table in layout.tables[1:]]


# What the cells kept for an export (``services/export_cells.py``) are written from: bump it whenever what a
# cell becomes changes, so that every kept cell is written again.
CELLS_WRITTEN_BY = "1"


def layout_key(layout: ExportLayout) -> str:
    """A short fingerprint of the tables' columns (and of how cells are written): cells kept for one layout serve
    every form version with the same columns, and none other."""
    shape = [(t.path, t.name, t.header, tuple(c.is_geopoint for c in t.columns)) for t in layout.tables]
    return hashlib.sha256(repr((CELLS_WRITTEN_BY, layout.xml_form_id, shape)).encode()).hexdigest()[:32]


def submission_date(moment: datetime) -> str:
    """Central's SubmissionDate: UTC, milliseconds, 'Z'."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The fields the export's own cells after the answers come from, in their order (KEY … the case); a row of the
# export query has columns of these names too.
META_FIELDS = ("instance_id", "submitter_id", "submitter_name", "attachments_present", "attachments_expected",
               "review_state", "device_id", "edits", "form_version", "station_code", "station_name", "case_id")
_meta_values = attrgetter(*META_FIELDS)


def meta_cells(meta: SubmissionMeta) -> list[Cell]:
    """The export's own cells after the answers, of a ``SubmissionMeta``."""
    return own_cells(_meta_values(meta))


def own_cells(values: tuple) -> list[Cell]:
    """The export's own cells of the values of ``META_FIELDS``, in that order (as ``itemgetter`` takes them from a
    row: a million rows are read faster by position than by name)."""
    key, submitter_id, submitter_name, present, expected, state, device, edits, version, station, name, case = values
    return [key, submitter_id, submitter_name, present, expected, None, CENTRAL_REVIEW_STATES.get(state, state),
            device, edits, version, station, name, case]


# An export builds each table's cells once per row, a million times: the lookups are compiled into one Python
# function per table (its groups' dicts fetched once, each answer read by a literal key), which reads a row
# several times faster than walking each column's path. Keys are written with repr(), so any field name is
# only ever a string literal. What a cell becomes is the same as ``_cell`` says: text, numbers and blanks pass
# through as they are, lists and geopoints are spelt out, a dict (a group where a question is now) is blank.
_EMPTY: dict = {}
_PASSED_AS_THEY_ARE = frozenset({str, int, float, type(None)})


def _compiled_cells(columns: tuple[Column, ...]) -> Callable[[Any], list[Cell]]:
    lines = ["def cells(node):", "    if node.__class__ is not dict:", "        node = EMPTY"]
    nodes: dict[tuple[str, ...], str] = {(): "node"}
    items: list[str] = []
    for column in columns:
        group = column.names[:-1]
        for depth in range(1, len(group) + 1):
            if group[:depth] not in nodes:
                name = nodes[group[:depth]] = f"group{len(nodes)}"
                lines += [f"    {name} = {nodes[group[:depth - 1]]}.get({group[depth - 1]!r})",
                          f"    if {name}.__class__ is not dict:", f"        {name} = EMPTY"]
        value = f"{nodes[group]}.get({column.names[-1]!r})"
        items.append(f"*geopoint({value})" if column.is_geopoint
                     else f"(v if (v := {value}).__class__ in PLAIN else cell(v))")
    lines.append(f"    return [{', '.join(items)}]")
    namespace: dict[str, Any] = {"EMPTY": _EMPTY, "PLAIN": _PASSED_AS_THEY_ARE, "cell": _cell,
                                 "geopoint": _geopoint_cells}
    exec(compile("\n".join(lines), "<export cells>", "exec"), namespace)  # noqa: S102 — literals only, see above
    return namespace["cells"]


def _geopoint_cells(value: Any) -> list[Cell]:
    if isinstance(value, dict):
        return [value.get(key) for key in GEOPOINT_KEYS]
    if isinstance(value, str):  # typed as text by an older form version: split as Central splits the XML text
        parts: list[Cell] = [_number(part) for part in value.split()[:4]]
        return parts + [None] * (4 - len(parts))
    return [None] * 4


def _number(text: str) -> Cell:
    try:
        return float(text)
    except ValueError:
        return text


def _cell(value: Any) -> Cell:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):  # geotrace, geoshape
        return ";".join(" ".join(cell_text(p.get(k)) for k in GEOPOINT_KEYS if p.get(k) is not None)
                        for p in value)
    if isinstance(value, list):  # select_multiple: space-separated, as in the XML
        return " ".join(cell_text(v) for v in value)
    if isinstance(value, dict):  # a group where the form now has a question: nothing to show
        return None
    return str(value)


def _repeat_items(data: dict[str, Any], path: str, repeats: frozenset[str],
                  instance_id: str) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Each instance of the repeat at ``path`` with its KEY and PARENT_KEY, walking groups and outer repeats."""
    yield from _walk(data, path.split("/"), "", instance_id, instance_id, repeats)


def _walk(node: Any, names: list[str], done: str, key: str, repeat_key: str,
          repeats: frozenset[str]) -> Iterator[tuple[dict[str, Any], str, str]]:
    name, rest = names[0], names[1:]
    here = f"{done}/{name}" if done else name
    value = node.get(name) if isinstance(node, dict) else None
    if here not in repeats:
        if rest:
            yield from _walk(value, rest, here, f"{key}/{name}", repeat_key, repeats)
        return
    for index, item in enumerate(value if isinstance(value, list) else [], 1):
        item_key = f"{key}/{name}[{index}]"
        if rest:
            yield from _walk(item, rest, here, item_key, item_key, repeats)
        else:
            yield (item if isinstance(item, dict) else {}), item_key, repeat_key


# --- names inside archives and workbooks ---------------------------------------------------

def safe_file_name(name: str) -> str:
    """A name usable as one path part on Windows, macOS and Linux: separators and reserved characters
    removed (as Central's sanitising does), never '', '.' or '..'."""
    cleaned = UNSAFE_IN_FILE_NAMES.sub("", name).strip().rstrip(". ")
    return cleaned[:200] if cleaned not in ("", ".", "..") else "_"


def media_path(instance_id: str, name: str) -> str:
    """Where an attachment goes in the media zip: Central's ``files/<instanceId>/<name>``."""
    return f"files/{safe_file_name(instance_id)}/{safe_file_name(name)}"


def sheet_titles(layout: ExportLayout) -> list[str]:
    """One workbook sheet per table: the form id, then each repeat's name; Excel's rules applied
    (31 characters, no ``[]:*?/\\``, unique regardless of case)."""
    titles: list[str] = []
    for table in layout.tables:
        base = UNSAFE_IN_SHEET_TITLES.sub("_", table.repeat_name if table.path else layout.xml_form_id)
        base = base[:SHEET_TITLE_LENGTH] or "_"
        title, number = base, 1
        while title.lower() in (t.lower() for t in titles):
            number += 1
            title = f"{base[:SHEET_TITLE_LENGTH - len(str(number)) - 1]}~{number}"
        titles.append(title)
    return titles


# --- the same tables for people: labels over codes -------------------------------------------

# The export's own columns in people's words (the form's questions take their labels from the form).
META_LABELS = {"SubmissionDate": "提交时间", "KEY": "记录编号", "SubmitterID": "提交人编号", "SubmitterName": "提交人",
               "AttachmentsPresent": "已收到的附件", "AttachmentsExpected": "应有的附件", "Status": "状态",
               "ReviewState": "审核状态", "DeviceID": "手机编号", "Edits": "修改次数", "FormVersion": "表单版本",
               "StationCode": "社工站代码", "StationName": "社工站", "CaseID": "服务对象编号", "PARENT_KEY": "所属记录"}
GEOPOINT_PART_LABELS = {"Latitude": "纬度", "Longitude": "经度", "Altitude": "海拔（米）", "Accuracy": "精度（米）"}
# ReviewState as the table spells it (Central's words; null for received) → as people say it.
REVIEW_STATE_LABELS = {None: "待审核", "hasIssues": "有问题", "approved": "已通过", "rejected": "已驳回", "edited": "已修改"}


@dataclass(frozen=True)
class LabelledTable:
    """A table's header in people's words, and for each cell what turns its code into a label (or None)."""

    header: tuple[str, ...]
    translators: tuple[Any, ...]

    def cells(self, row: list[Cell]) -> list[Cell]:
        return [cell if translate is None else translate(cell) for translate, cell in zip(self.translators, row)]


def labelled_table(table: Table, question: Any, choices: dict[str, dict[str, str]]) -> LabelledTable:
    """``table`` with the form's labels: ``question(path)`` names a column, ``choices[path]`` its options.
    A choice is shown as its label (several, joined with "、"); geopoint parts and the export's own columns
    get Chinese names; ReviewState its state in words. Other cells are left as they are."""
    header: list[str] = []
    translators: list[Any] = []
    prefix = f"{table.path}/" if table.path else ""
    if not table.path:
        header.append(META_LABELS["SubmissionDate"])
        translators.append(None)
    for column in table.columns:
        label = question(prefix + column.path)
        if column.is_geopoint:
            header += [f"{label}（{GEOPOINT_PART_LABELS[part]}）" for part in GEOPOINT_PARTS]
            translators += [None] * len(GEOPOINT_PARTS)
            continue
        header.append(label)
        options = choices.get(prefix + column.path)
        translators.append(_choice_labels(options, column.field.is_select_multiple) if options else None)
    for name in table.header[len(header):]:
        header.append(META_LABELS.get(name, name))
        translators.append(_review_state_label if name == "ReviewState" else None)
    return LabelledTable(tuple(header), tuple(translators))


def _review_state_label(cell: Cell) -> Cell:
    return REVIEW_STATE_LABELS.get(cell, cell)  # type: ignore[arg-type]


def _choice_labels(options: dict[str, str], multiple: bool):
    if multiple:
        return lambda cell: "、".join(options.get(v, v) for v in cell.split()) if isinstance(cell, str) else cell
    return lambda cell: options.get(str(cell), cell) if cell is not None else None
