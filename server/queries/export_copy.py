"""The CSV export's root table written by PostgreSQL itself: ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv)``.

Python spends about 140 µs on each exported row (docs/benchmarks.md §6); PostgreSQL spells the same cells in a few.
The SELECT has one expression per CSV column, each spelling its cell exactly as ``domain/export_rows.py`` and the
csv module do:

- the answers are read with ``json_to_record`` once per group and row (the ``json`` type keeps the text Python
  wrote, so a number reads back as Python spells it; ``jsonb`` would not);
- text as it is, a number as its JSON text, ``True``/``False`` for booleans, nothing for null or an object;
  a list joined with spaces, a list of points as ``lat lon alt acc`` joined with ``;``; a geopoint split in four;
- text that a spreadsheet would run as a formula gets its leading apostrophe (``domain/cells.neutralise``), and
  empty text is written as NULL (PostgreSQL would quote an empty string; Python writes nothing);
- Central's metadata columns, ``SubmissionDate`` in UTC with milliseconds.

A row holding a value Python spells in its own way — a list inside a list, a point's part that is itself a list
or an object, a geopoint kept as text by an older form version (Python parses its numbers) — is written as a
placeholder instead: an empty first field and the submission's id (``domain/copy_csv.py``); the caller writes
those rows with the Python exporter. ``tests/integration/test_export_copy.py`` checks the bytes equal the Python
export on random answers of every shape.

Only for the root table of a form without repeats, for roles that see every field, on PostgreSQL.
"""
from __future__ import annotations

from typing import Iterator

from server.domain.access import Scope
from server.domain.copy_csv import CopyCsvLines, Piece
from server.domain.export_rows import GEOPOINT_KEYS, Table
from server.extensions import db
from server.queries.submissions import SubmissionFilters, _export_query

TRIGGERS = "('=', '+', '-', '@', E'\\t', E'\\r', E'\\n')"
BATCH_BYTES = 256 * 1024


def available() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def stream_root_csv(scope: Scope, filters: SubmissionFilters, table: Table) -> Iterator[Piece]:
    """The root table's records (no header) as the export writes them, with placeholder ids in their place."""
    sql, params = _statement(scope, filters, table)
    connection = db.session.connection().connection.driver_connection  # psycopg's own, for COPY
    lines = CopyCsvLines()
    with connection.cursor() as cursor, cursor.copy(sql, params) as copy:
        batch: list[bytes] = []
        size = 0
        for data in copy:
            batch.append(bytes(data))
            size += len(data)
            if size >= BATCH_BYTES:
                yield from lines.feed(b"".join(batch))
                batch, size = [], 0
        if batch:
            yield from lines.feed(b"".join(batch))
    yield from lines.close()


def _statement(scope: Scope, filters: SubmissionFilters, table: Table) -> tuple[str, dict]:
    inner = _export_query(scope, filters)
    compiled = inner.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    groups = _Groups()
    cells: list[str] = []
    exotic: list[str] = []
    for column in table.columns:
        value = groups.value(column.names)
        if column.is_geopoint:
            cells += [_point_part(f"({value} -> '{key}')") for key in GEOPOINT_KEYS]
            exotic.append(_geopoint_is_exotic(value))
        else:
            cells.append(_cell(value))
            exotic.append(f"(json_typeof({value}) = 'array' AND {_list_is_exotic(value)})")
    submission_date = "to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    meta = [_text("s.instance_id"), "s.submitter_id::text", _text("s.submitter_name"),
            "s.attachments_present::text", "s.attachments_expected::text", "NULL",
            "(CASE s.review_state WHEN 'received' THEN NULL WHEN 'has_issues' THEN 'hasIssues' "
            "ELSE s.review_state END)",
            _text("s.device_id"), "s.edits::text", _text("s.form_version"), _text("s.station_code"),
            _text("s.station_name"), _text("s.case_id")]
    columns = [submission_date, *cells, *meta]
    flag = " OR ".join(exotic) if exotic else "false"
    # a placeholder: empty first field, the id second, the rest empty
    placed = [f"CASE WHEN x.exotic THEN NULL ELSE {columns[0]} END",
              f"CASE WHEN x.exotic THEN s.id::text ELSE {columns[1]} END",
              *(f"CASE WHEN x.exotic THEN NULL ELSE {c} END" for c in columns[2:])]
    sql = (f"COPY (SELECT {', '.join(placed)} FROM ({compiled}) AS s {groups.joins()} "
           f"CROSS JOIN LATERAL (SELECT coalesce({flag}, false) AS exotic) AS x "
           f"ORDER BY s.created_at, s.id) TO STDOUT WITH (FORMAT csv)")
    return sql, dict(compiled.params)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Groups:
    """One ``json_to_record`` per group the columns read, each parsing its group's JSON once per row."""

    def __init__(self) -> None:
        self._aliases: dict[tuple[str, ...], str] = {(): "g0"}
        self._fields: dict[tuple[str, ...], list[str]] = {(): []}

    def value(self, names: tuple[str, ...]) -> str:
        group = names[:-1]
        for depth in range(1, len(group) + 1):
            self._field(group[:depth - 1], group[depth - 1])
            if group[:depth] not in self._aliases:
                self._aliases[group[:depth]] = f"g{len(self._aliases)}"
                self._fields[group[:depth]] = []
        self._field(group, names[-1])
        return f"{self._aliases[group]}.{_quote(names[-1])}"

    def _field(self, group: tuple[str, ...], name: str) -> None:
        if name not in self._fields[group]:
            self._fields[group].append(name)

    def joins(self) -> str:
        parts = []
        for group, alias in self._aliases.items():
            fields = self._fields[group]
            if not fields:
                continue
            source = "s.data" if not group else f"{self._aliases[group[:-1]]}.{_quote(group[-1])}"
            definition = ", ".join(f"{_quote(name)} json" for name in fields)
            parts.append(f"CROSS JOIN LATERAL json_to_record(CASE WHEN json_typeof({source}) = 'object' "
                         f"THEN {source} ELSE '{{}}'::json END) AS {alias}({definition})")
        return " ".join(parts)


def _text(expression: str) -> str:
    """Text as the CSV writer leaves it: formula triggers made inert, empty written as nothing."""
    return (f"(CASE WHEN left({expression}, 1) IN {TRIGGERS} THEN '''' || {expression} "
            f"ELSE nullif({expression}, '') END)")


def _scalar(value: str, null: str) -> str:
    """A JSON scalar as Python's ``str`` spells it (``null`` for JSON null); NULL for objects and lists."""
    return (f"(CASE json_typeof({value}) WHEN 'string' THEN {value} #>> '{{}}' WHEN 'number' THEN {value}::text "
            f"WHEN 'boolean' THEN (CASE WHEN {value}::text = 'true' THEN 'True' ELSE 'False' END) "
            f"WHEN 'null' THEN {null} END)")


def _cell(value: str) -> str:
    """A non-geopoint answer's one cell (``export_rows._cell``): text neutralised, a list spelt out."""
    point = "concat_ws(' ', " + ", ".join(_scalar(f"(e -> '{key}')", "NULL") for key in GEOPOINT_KEYS) + ")"
    listed = (f"(SELECT CASE WHEN bool_and(json_typeof(e) = 'object') THEN string_agg({point}, ';' ORDER BY o) "
              f"ELSE string_agg({_scalar('e', chr(39) * 2)}, ' ' ORDER BY o) END "
              f"FROM json_array_elements({value}) WITH ORDINALITY AS a(e, o))")
    return (f"(CASE json_typeof({value}) WHEN 'string' THEN {_text(f'({value} #>> {chr(39)}{{}}{chr(39)})')} "
            f"WHEN 'number' THEN {value}::text "
            f"WHEN 'boolean' THEN (CASE WHEN {value}::text = 'true' THEN 'True' ELSE 'False' END) "
            f"WHEN 'array' THEN {_text(listed)} END)")


def _point_part(value: str) -> str:
    """One of a geopoint's four cells: the part as the CSV writer spells it (text neutralised)."""
    return (f"(CASE json_typeof({value}) WHEN 'string' THEN {_text(f'({value} #>> {chr(39)}{{}}{chr(39)})')} "
            f"WHEN 'number' THEN {value}::text "
            f"WHEN 'boolean' THEN (CASE WHEN {value}::text = 'true' THEN 'True' ELSE 'False' END) END)")


def _list_is_exotic(value: str) -> str:
    """A list Python spells with ``repr``: one holding a list, objects mixed with other values, or a point whose
    part is itself a list or an object."""
    nested = " OR ".join(f"json_typeof(e -> '{key}') IN ('object', 'array')" for key in GEOPOINT_KEYS)
    return (f"(SELECT coalesce(bool_or(json_typeof(e) = 'array') "
            f"OR (bool_or(json_typeof(e) = 'object') AND NOT bool_and(json_typeof(e) = 'object')) "
            f"OR bool_or(json_typeof(e) = 'object' AND ({nested})), false) "
            f"FROM json_array_elements(CASE WHEN json_typeof({value}) = 'array' THEN {value} ELSE '[]' END) AS a(e))")


def _geopoint_is_exotic(value: str) -> str:
    """A geopoint kept as text (Python parses its numbers), or with a part that is a list or an object."""
    nested = " OR ".join(f"json_typeof({value} -> '{key}') IN ('object', 'array')" for key in GEOPOINT_KEYS)
    return (f"(json_typeof({value}) = 'string' OR (json_typeof({value}) = 'object' AND ({nested})))")
