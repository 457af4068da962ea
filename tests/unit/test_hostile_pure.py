"""The pure parts of the hostile-input corpus: flag rules, file names a server may keep, what a file is served
as, image checks that never decode past the pixel limit, and XML the parser refuses."""
from datetime import datetime, timezone
from io import BytesIO

import pytest
from PIL import Image

from server.adapters.images import ImageCheck, check_image, make_thumbnail
from server.adapters.xml import parse_xml
from server.domain.cells import neutralise
from server.domain.filetypes import served_type, sniff_content_type, type_matches_name, unsafe_file_name
from server.domain.flags import LONG_TEXT_CHARS, SubmissionFlag, clock_skewed, merged_flags, value_flags
from server.domain.submission import UnsafeFileName, check_file_name, read_envelope
from server.errors import BadRequest
from tests.integration.test_hostile_input import noisy_jpeg, png_bomb

RECEIVED = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in China


@pytest.mark.parametrize("values,skewed", [
    ({"visit_date": "2026-11-20"}, False),
    ({"visit_date": "2026-11-29"}, False),                  # China's tomorrow is allowed a day
    ({"visit_date": "2026-12-01"}, True),
    ({"visit_date": "1970-01-01"}, True),
    ({"visit_date": "2025-11-27"}, False),                  # within a year
    ({"visit_date": "2025-11-01"}, True),
    ({"start": "1970-01-01T08:00:00.000+08:00"}, True),     # a phone whose clock was reset
    ({"end": "2099-01-01T00:00:00.000+08:00"}, True),
    ({"today": "2026-11-28"}, False),
    ({"birth_date": "1930-01-01"}, False),                  # only the clock's fields count
    ({"visit_date": "not a date"}, False),
    ({"visit_date": None}, False),
])
def test_clock_skew_is_judged_against_the_arrival(values, skewed):
    assert clock_skewed(values, RECEIVED) is skewed


def test_long_text_is_found_in_groups_and_repeats():
    long = "长" * (LONG_TEXT_CHARS + 1)
    assert value_flags({"g": {"member": [{"name": long}]}}, RECEIVED) == {SubmissionFlag.LONG_TEXT}
    assert value_flags({"note": "长" * LONG_TEXT_CHARS}, RECEIVED) == set()


def test_flags_are_stored_sorted_once_and_none_when_empty():
    assert merged_flags(None, []) is None
    assert merged_flags(["long_text"], {SubmissionFlag.CLOCK_SKEW, SubmissionFlag.LONG_TEXT}) == \
        ["clock_skew", "long_text"]


@pytest.mark.parametrize("name", [
    "", ".", "..", "../a.jpg", "a/../../b", "/etc/passwd", "C:\\x.jpg", "a\\b.jpg", "a\x00.jpg", "a\nb.jpg",
    "\x1b[2J", "a\x7f.jpg", "photo\u202egpj.exe", "x\u2066.jpg", "a" * 256, "照" * 256,
])
def test_unsafe_file_names_are_refused(name):
    assert unsafe_file_name(name) is not None
    with pytest.raises(UnsafeFileName) as refused:
        check_file_name(name)
    assert refused.value.code == "400.9" and refused.value.http_status == 400
    assert "\x00" not in refused.value.message("zh") and "\n" not in refused.value.message("en")


@pytest.mark.parametrize("name", ["1714558951234.jpg", "入户照片_王芳.jpg", "фото.jpg", "🏠.jpg", "cafe\u0301.jpg",
                                  "a b (1).jpg", "audit.csv", "照" * 255, "..jpg", "a..b.jpg"])
def test_real_file_names_are_kept_exactly(name):
    assert unsafe_file_name(name) is None and check_file_name(name) == name


@pytest.mark.parametrize("name,detected,matches,served", [
    ("a.jpg", "image/jpeg", True, ("image/jpeg", True)),
    ("A.JPEG", "image/jpeg", True, ("image/jpeg", True)),
    ("a.jpg", "image/png", False, ("application/octet-stream", False)),
    ("a.jpg", "application/octet-stream", False, ("application/octet-stream", False)),  # HTML, SVG, anything
    ("a.pdf", "application/pdf", True, ("application/pdf", False)),
    ("audit.csv", "application/octet-stream", True, ("application/octet-stream", False)),
    ("audit.csv", "image/jpeg", False, ("application/octet-stream", False)),
    ("noext", "image/jpeg", False, ("application/octet-stream", False)),
    ("clip.3gp", "video/mp4", True, ("video/mp4", True)),
    ("voice.amr", "audio/amr", True, ("audio/amr", True)),
])
def test_files_are_served_only_as_what_they_are(name, detected, matches, served):
    assert type_matches_name(name, detected) is matches
    assert served_type(name, detected) == served


def test_amr_recordings_are_recognised():
    assert sniff_content_type(b"#!AMR\n\x3c") == "audio/amr"


def _image(kind: str, size=(64, 48)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize("data,check", [
    (_image("JPEG"), ImageCheck.OK),
    (_image("PNG"), ImageCheck.OK),
    (noisy_jpeg()[: len(noisy_jpeg()) // 2], ImageCheck.UNREADABLE),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, ImageCheck.UNREADABLE),
    (b"<html></html>", ImageCheck.UNREADABLE),
    (png_bomb(9_000), ImageCheck.TOO_LARGE),    # over the limit: Pillow's warning (an error in tests)
    (png_bomb(20_000), ImageCheck.TOO_LARGE),   # over twice the limit: Pillow's error
])
def test_images_are_checked_without_decoding_past_the_pixel_limit(data, check):
    assert check_image(BytesIO(data)) == check


@pytest.mark.parametrize("side", [9_000, 20_000])
def test_no_thumbnail_is_made_of_a_decompression_bomb(side):
    assert make_thumbnail(BytesIO(png_bomb(side)), 240) is None


def test_an_unknown_encoding_is_a_bad_request_not_a_crash():
    with pytest.raises(BadRequest):
        parse_xml(b'<?xml version="1.0" encoding="x-no-such"?><data/>')


def test_nesting_deeper_than_any_form_is_refused_before_recursion():
    xml = b'<data id="visit" version="1">' + b"<g>" * 100_000 + b"</g>" * 100_000 + b"</data>"
    with pytest.raises(BadRequest) as refused:
        read_envelope(xml)
    assert "nests deeper" in refused.value.message("en")


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1"])
def test_formula_triggers_are_neutralised(text):
    assert neutralise(text) == "'" + text
