"""Masking personal details by role, and photos without their location: pure code and Pillow, plain values."""
from io import BytesIO

import pytest
from PIL import Image

from server.adapters.images import GPS_IFD, make_thumbnail, without_location
from server.domain.access import Role
from server.domain.privacy import HIDDEN, Sensitive, masked_data, masked_properties, sees_in_full, sensitivity_of

ID_NUMBER = "530102194805021234"
VISIT = {
    "visit_date": "2026-11-20",
    "registration": {"reg_name": "张桂英", "reg_id_number": ID_NUMBER, "reg_phone": "13812345678"},
    "situation": {"living_conditions": "poor", "health_status": "poor", "mental_state": "fair"},
    "health": {"chronic_conditions": ["hypertension", "dementia"], "medication": "irregular"},
    "member": [{"member_name": "李强", "member_health": "serious_illness"}],
    "location": {"latitude": 25.04, "longitude": 102.71, "accuracy": 5.0},
    "adl_score": 35,
}


@pytest.mark.parametrize(("role", "id_number", "phone", "health"), [
    (Role.ADMIN, True, True, True), (Role.COUNTY, True, True, True),
    (Role.STATION, False, True, True), (Role.WORKER, False, True, False)])
def test_the_rule_by_role(role, id_number, phone, health):
    assert [sees_in_full(role, k) for k in (Sensitive.ID_NUMBER, Sensitive.PHONE, Sensitive.HEALTH)] == \
        [id_number, phone, health]


def test_fields_are_sensitive_by_path_and_by_group():
    assert sensitivity_of("registration/reg_id_number") == Sensitive.ID_NUMBER
    assert sensitivity_of("health/medication") == Sensitive.HEALTH          # a whole group
    assert sensitivity_of("wellbeing/mental_signs") == Sensitive.HEALTH
    assert sensitivity_of("member/member_health") == Sensitive.HEALTH       # inside a repeat
    assert sensitivity_of("situation/living_conditions") is None
    assert sensitivity_of("healthy") is None and sensitivity_of("registration/reg_name") is None


def test_a_worker_sees_visits_masked_and_a_county_supervisor_in_full():
    worker = masked_data(VISIT, Role.WORKER)
    assert worker["registration"]["reg_id_number"] == "5301**********1234"
    assert worker["registration"]["reg_phone"] == "13812345678"
    assert worker["situation"] == {"living_conditions": "poor", "health_status": HIDDEN, "mental_state": HIDDEN}
    assert worker["health"] == {"chronic_conditions": HIDDEN, "medication": HIDDEN}
    assert worker["member"] == [{"member_name": "李强", "member_health": HIDDEN}]
    assert worker["adl_score"] == HIDDEN and worker["location"] == VISIT["location"]
    assert masked_data(VISIT, Role.STATION)["situation"]["health_status"] == "poor"
    assert masked_data(VISIT, Role.STATION)["registration"]["reg_id_number"] == "5301**********1234"
    assert masked_data(VISIT, Role.COUNTY) == VISIT
    assert VISIT["registration"]["reg_id_number"] == ID_NUMBER  # the stored values are never changed


def test_case_properties_are_masked_by_the_same_rule():
    properties = {"id_number": ID_NUMBER, "phone": "13812345678", "gender": "female", "address": ""}
    assert masked_properties(properties, Role.STATION) == {**properties, "id_number": "5301**********1234"}
    assert masked_properties(properties, Role.ADMIN) == properties
    assert masked_properties(None, Role.WORKER) == {}


def _photo_with_gps(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (800, 600), (120, 150, 110))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (25.0, 2.0, 26.0), 3: "E", 4: (102.0, 42.0, 44.0)})
    out = BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes(), **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _exif(data: bytes) -> Image.Exif:
    with Image.open(BytesIO(data)) as image:
        return image.getexif()


def test_a_thumbnail_carries_no_exif_at_all():
    original = _photo_with_gps()
    assert GPS_IFD in _exif(original)  # the test photo really has a location
    thumbnail = make_thumbnail(BytesIO(original), 240)
    assert not _exif(thumbnail) and b"Exif" not in thumbnail[:4096]
    with Image.open(BytesIO(thumbnail)) as image:
        assert image.size == (180, 240)  # upright: the orientation was applied, then dropped


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_location_is_removed_and_the_rest_kept(fmt):
    cleaned = without_location(_photo_with_gps(fmt))
    exif = _exif(cleaned)
    assert GPS_IFD not in exif and exif[0x0112] == 6 and exif[0x010F] == "PhoneMaker"
    with Image.open(BytesIO(cleaned)) as image:
        assert image.format == fmt and image.size == (800, 600)


def test_files_without_a_location_or_not_images_come_back_unchanged():
    plain = BytesIO()
    Image.new("RGB", (40, 30)).save(plain, format="JPEG")
    assert without_location(plain.getvalue()) == plain.getvalue()
    assert without_location(b"%PDF-1.4 not an image") == b"%PDF-1.4 not an image"


def test_a_plaque_png_carries_no_metadata_of_its_logo(tmp_path):
    from server.adapters.images import render_plaque_png
    from server.adapters.qr import qr_matrix
    from server.domain.plaque import plaque_layout

    logo = tmp_path / "logo.jpg"
    logo.write_bytes(_photo_with_gps())
    layout = plaque_layout("昆明市", "五华区", "华山街道", "ssw.km.gov.cn/f/abcdefghij")
    font = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)
    png = render_plaque_png(layout, qr_matrix("https://ssw.km.gov.cn/f/abcdefghij"), font, str(logo), 20)
    with Image.open(BytesIO(png)) as image:
        assert image.format == "PNG" and not image.getexif() and "exif" not in image.info
