"""PostgreSQL's CSV records made into the export's lines (``domain/copy_csv.py``), fed in every possible split."""
import csv
import io
import random

import pytest

from server.domain.copy_csv import CopyCsvLines


def _python_csv(rows) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _postgres_csv(rows) -> bytes:
    """As PostgreSQL writes CSV: minimal quoting, records ended by \\n (line feeds inside fields kept)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _run(data: bytes, cuts: list[int]) -> list:
    lines, pieces, start = CopyCsvLines(), [], 0
    for cut in [*sorted(cuts), len(data)]:
        pieces += lines.feed(data[start:cut])
        start = cut
    pieces += lines.close()
    merged: list = []
    for piece in pieces:  # adjacent byte pieces are one stream
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        elif piece != b"":
            merged.append(piece)
    return merged


FIELDS = ["plain", "with,comma", 'say "hi"', "two\nlines", "cr\r\nlf", "", "王桂英", '"', "\n", ",lead", "end,"]


@pytest.mark.parametrize("seed", range(30))
def test_records_end_as_python_writes_them_whatever_the_pieces(seed):
    rng = random.Random(seed)
    rows = [["2026-11-20T02:22:31.000Z", *rng.choices(FIELDS, k=5)] for _ in range(rng.randint(1, 12))]
    data = _postgres_csv(rows)
    cuts = rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 20)))
    assert _run(data, cuts) == [_python_csv(rows)]


@pytest.mark.parametrize("seed", range(30))
def test_placeholders_come_out_in_their_place(seed):
    rng = random.Random(seed)
    rows, expected = [], []
    for number in range(rng.randint(1, 10)):
        if rng.random() < 0.3:
            rows.append(["", str(1000 + number), "", ""])
            expected.append(1000 + number)
        else:
            row = ["2026-11-20T02:22:31.000Z", *rng.choices(FIELDS, k=3)]
            rows.append(row)
            if expected and isinstance(expected[-1], bytes):
                expected[-1] += _python_csv([row])
            else:
                expected.append(_python_csv([row]))
    data = _postgres_csv(rows)
    cuts = rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 20)))
    assert _run(data, cuts) == expected


def test_a_comma_after_a_line_feed_inside_quotes_is_not_a_placeholder():
    rows = [["2026-11-20T02:22:31.000Z", "a\n,7,,", "b"]]
    assert _run(_postgres_csv(rows), []) == [_python_csv(rows)]


def test_an_unended_record_is_an_error():
    lines = CopyCsvLines()
    assert lines.feed(b'2026,"open\n') == []
    with pytest.raises(ValueError):
        lines.close()
