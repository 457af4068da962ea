from server.domain.places import station_official_name
from server.domain.plaque import HEIGHT_MM, WIDTH_MM, pixels, plaque_layout


def test_the_plaque_text_is_exactly_the_official_name():
    layout = plaque_layout("昆明市", "禄劝彝族苗族自治县", "撒营盘镇", "ssw.km.gov.cn/f/abcdefghij")
    assert layout.official_name == station_official_name("昆明市", "禄劝彝族苗族自治县", "撒营盘镇")


def test_the_longest_name_fits_within_the_margins_and_above_the_qr_code():
    layout = plaque_layout("昆明市", "禄劝彝族苗族自治县", "撒营盘镇", "ssw.km.gov.cn/f/abcdefghij")
    for line in layout.name:
        assert len(line.text) * line.size <= WIDTH_MM - 80
    assert layout.name[-1].baseline_y < layout.qr.y
    assert layout.url.baseline_y < HEIGHT_MM - 12


def test_print_size_in_pixels():
    assert (pixels(WIDTH_MM, 150), pixels(HEIGHT_MM, 150)) == (2953, 4134)
