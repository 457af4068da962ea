"""PostgreSQL's ``COPY … TO STDOUT WITH (FORMAT csv)`` output made into the export's CSV lines. Pure.

The database writes records ended by ``\\n``; the export's CSV (Python's csv module, as Excel expects) ends them
with ``\\r\\n``, while a line feed inside a quoted field stays as it is. Records are found by the quotes: outside
a quoted field every ``\\n`` ends a record, and a doubled quote inside one toggles twice, so splitting the bytes
at ``"`` and treating every other piece as "outside" is exact, whatever the chunks the driver hands over.

A record that starts with a comma is a placeholder the query wrote for a row it cannot spell exactly as Python
does (``queries/export_copy.py``): its first field is empty — a real row's first field, the submission time, never
is — and its second is the submission's id. Placeholders come out as ints, in their place among the bytes.
"""
from __future__ import annotations

from typing import Union

Piece = Union[bytes, int]


class CopyCsvLines:
    """Feed the database's bytes in any pieces; get the export's bytes and placeholder ids, in order."""

    def __init__(self) -> None:
        self._pending = b""  # the start of a record not ended yet

    def feed(self, data: bytes) -> list[Piece]:
        data = self._pending + data
        end = self._last_record_end(data)
        if end < 0:
            self._pending = data
            return []
        self._pending = data[end + 1:]
        return self._records(data[:end + 1])

    def close(self) -> list[Piece]:
        """What is left must be nothing: the database ends every record."""
        if self._pending:
            raise ValueError("the database's CSV ended inside a record")
        return []

    def _last_record_end(self, data: bytes) -> int:
        """The offset of the last ``\\n`` outside quotes, or -1."""
        parts = data.split(b'"')
        offset = len(data)
        # walk back: a piece is outside quotes when its index is even (the data starts outside a record's quotes)
        for index in range(len(parts) - 1, -1, -1):
            offset -= len(parts[index])
            if index % 2 == 0:
                found = parts[index].rfind(b"\n")
                if found >= 0:
                    return offset + found
            offset -= 1  # the quote before this piece
        return -1

    def _records(self, data: bytes) -> list[Piece]:
        """Whole records: line ends rewritten outside quotes, placeholders taken out."""
        if b'"' not in data and b"\n," not in data and not data.startswith(b","):
            return [data.replace(b"\n", b"\r\n")]  # the common case: one C-speed pass
        out: list[Piece] = []
        parts = data.split(b'"')
        text: list[bytes] = []
        for index, part in enumerate(parts):
            if index:
                text.append(b'"')
            if index % 2:  # inside a quoted field
                text.append(part)
                continue
            lines = part.split(b"\n")
            for number, line in enumerate(lines):
                # a record starts at the data's start and after each line end outside quotes
                starts = index == 0 if number == 0 else True
                last = number == len(lines) - 1
                if starts and line.startswith(b",") and not last:
                    if text:
                        out.append(b"".join(text))
                        text = []
                    out.append(int(line.split(b",", 2)[1]))
                    continue
                text.append(line if last else line + b"\r\n")
        if text:
            joined = b"".join(text)
            if joined:
                out.append(joined)
        return out
