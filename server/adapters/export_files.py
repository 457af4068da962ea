"""Export files written as a stream of bytes: CSV text and a zip archive made on the fly (stdlib
``csv`` and ``zipfile``; the streamed XLSX workbook is in ``tabular.py`` with the rest of openpyxl).

Nothing here holds more than a chunk of output: the zip's bytes are collected as zipfile writes
them and handed on at once, and tables that must wait their turn in an archive wait in temporary
files. What the cells say is decided by the caller; text is made inert against formulas here, on its
way out (``domain/cells.neutralise``).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
import time
import zipfile
from typing import IO, Iterator, Sequence

from server.domain.cells import FORMULA_TRIGGERS, Cell

CHUNK = 256 * 1024
# Deflate's fastest level: an export's CSV comes out 16 % larger than at the default level 6, in a third of the time
# (at level 6 deflate took 40 % of the writing thread's time in a profile of a 200 000-row export).
COMPRESS_LEVEL = 1


class _Sink:
    """A file that only keeps what is written to it until collected. It has no ``tell``/``seek``, so
    zipfile treats it as unseekable and writes each entry's CRC and sizes in a data descriptor after
    the data instead of seeking back to patch the entry's header."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class ZipStream:
    """A zip archive sent while it is being made: write entries, ``take()`` the bytes written so far.

    The standard library does this once it writes to an unseekable file (data descriptors, PKZIP
    2.04g+, read by every current unzip tool, Windows Explorer and macOS included); a package such as
    zipstream-ng would add nothing needed here and one more dependency to keep."""

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)

    def open(self, name: str, size: int | None = None) -> IO[bytes]:
        """A writable entry. Give ``size`` when it is known; an entry of unknown size is written with
        Zip64 fields, since zipfile must decide before the data whether it may outgrow 2 GiB."""
        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        # zipfile takes the level from the entry (``compress_level`` from Python 3.13, ``_compresslevel`` before)
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", COMPRESS_LEVEL)
        if size is not None:
            info.file_size = size
        return self._zip.open(info, "w", force_zip64=size is None)

    def add(self, name: str, source: IO[bytes], size: int) -> Iterator[bytes]:
        """Copy a readable file into the archive chunk by chunk, yielding the archive's bytes as they come."""
        with self.open(name, size) as entry:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                entry.write(chunk)
                yield self.take()

    def take(self) -> bytes:
        return self._sink.take()

    def close(self) -> bytes:
        """Write the central directory; the archive's last bytes."""
        self._zip.close()
        return self.take()


class CsvWriter:
    """Rows as CSV into a binary file, UTF-8 with a byte-order mark: without it, Excel and WPS
    on Chinese Windows read a CSV file as GB18030 and every Chinese answer turns to mojibake."""

    def __init__(self, binary: IO[bytes]) -> None:
        # The mark written by hand: the "utf-8-sig" codec's encoder is Python code, run on every write.
        self._text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        self._text.write("\ufeff")
        self._writer = csv.writer(self._text)
        self._detached = False

    def write(self, row: Sequence[Cell]) -> None:
        """One row; None is written blank, numbers as ``str()`` spells them, formula-like text made inert."""
        self._writer.writerow(_inert(row))

    def write_after(self, written: str, row: Sequence[Cell]) -> None:
        """One row whose first cells are already CSV text (``csv_cells``, each followed by its comma)."""
        self._text.write(written)
        self._writer.writerow(_inert(row))

    def write_text(self, text: str) -> None:
        """Whole rows already written as CSV (``csv_line``)."""
        self._text.write(text)

    def close(self) -> None:
        """Flush and close, and the binary file with it (unless it was given back by ``detach``)."""
        if not self._detached:
            self._text.close()

    def detach(self) -> IO[bytes]:
        """Flush and give the binary file back, still open, rewound to its start."""
        self._text.flush()
        self._detached = True
        binary = self._text.detach()
        binary.seek(0)
        return binary


def _inert(row: Sequence[Cell]) -> list[Cell]:
    # ``neutralise`` spelt out inline: a call per cell is a third of the cost of a wide row
    return [("'" + cell) if cell.__class__ is str and cell[:1] in FORMULA_TRIGGERS else cell for cell in row]


def csv_cells(cells: Sequence[Cell]) -> str:
    """Cells as ``CsvWriter`` writes them inside a row, each followed by its comma ('' for no cells): kept, they
    are written before a row's other cells with ``write_after``."""
    if not cells:
        return ""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([*_inert(cells), None])  # a last blank cell: ends it with a comma, never '""'
    return buffer.getvalue()[:-2]  # less the line's end: the row's other cells follow


def csv_line(cells: Sequence[Cell]) -> str:
    """A whole row as ``CsvWriter.write`` writes it, line end included."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(_inert(cells))
    return buffer.getvalue()


def spooled_csv() -> CsvWriter:
    """A CSV writer into an anonymous temporary file (removed by the system when closed)."""
    return CsvWriter(tempfile.TemporaryFile())


def file_size(file: IO[bytes]) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size
