"""The JSON columns' reader (``adapters/json_codec.py``) reads what the standard library wrote, whatever it is."""
import json

import pytest

from server.adapters.json_codec import loads


@pytest.mark.parametrize("value", [
    {"registration": {"reg_name": "张桂英", "reg_id_number": "530102194805021234"}, "needs": ["care", "money"]},
    {"location": {"latitude": 25.040612345678, "longitude": 102.7123, "altitude": 1891.5, "accuracy": 4.8}},
    {"count": 12, "income": 1250.5, "tiny": 1e-300, "huge": 1.7976931348623157e308, "empty": None, "flag": True},
    {"big": 123456789012345678901234567890},      # past 64 bits: orjson refuses, json reads it
    {"nan": float("inf"), "neg": float("-inf")},  # json.dumps writes Infinity, which orjson refuses
    ["\u2028", "\ud7ff", "emoji 😀", ""],
    {"lone surrogate": "\ud800"},                 # escaped by json.dumps; orjson refuses it
])
def test_reads_back_what_the_standard_library_wrote(value):
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert type(loads(text)) is type(json.loads(text))


def test_not_a_number_reads_as_python_reads_it():
    read = loads(json.dumps({"x": float("nan")}))["x"]
    assert read != read  # NaN


def test_broken_json_is_still_an_error():
    with pytest.raises(ValueError):
        loads('{"unterminated": ')


@pytest.mark.parametrize("number", [2**63 - 1, 2**63, 2**64 + 1, -(2**63) - 1, 10**19, 10**40])
def test_integers_past_64_bits_keep_every_digit(number):
    assert loads(json.dumps({"n": number})) == {"n": number}
    assert loads(json.dumps({"n": number}).encode()) == {"n": number}
