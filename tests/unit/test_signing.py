"""Signed, time-limited tokens: the resident page's form protection, which needs no cookie."""
from server.adapters.signing import sign, unsign


def test_a_signed_token_is_refused_when_too_old_forged_or_for_another_purpose():
    token = sign("a-secret-key-0123456789", "resident-feedback-form", "abcdefgh23")
    assert unsign("a-secret-key-0123456789", "resident-feedback-form", token, 60) == "abcdefgh23"
    assert unsign("a-secret-key-0123456789", "resident-feedback-form", token, -1) is None  # expired
    assert unsign("another-secret-key-0000", "resident-feedback-form", token, 60) is None
    assert unsign("a-secret-key-0123456789", "web-session", token, 60) is None
    assert unsign("a-secret-key-0123456789", "resident-feedback-form", "", 60) is None
