"""The password policy (pure): each refusal names its rule in Chinese and English, never the password."""
import pytest

from server.domain.passwords import MAX_LENGTH, password_problem


@pytest.mark.parametrize("password,username,rule", [
    ("Ab3", "", "at least 8 characters"),
    ("a1" * (MAX_LENGTH // 2 + 1), "", f"at most {MAX_LENGTH} characters"),
    ("12345678", "", "letters and digits"),
    ("abcdefgh", "", "letters and digits"),
    ("Password1", "", "common password"),
    ("WOAINI1314", "", "common password"),
    ("worker17", "worker17", "must not be the username"),
    ("Worker17!2026", "worker17", "must not be the username"),
    ("71rekrow#", "worker17", "must not be the username"),
])
def test_weak_passwords_are_refused_with_the_rule(password, username, rule):
    problem = password_problem(password, username)
    assert problem is not None and rule in problem[1]
    assert problem[0] and all(ord(c) < 128 for c in problem[1])  # a Chinese message first, then English
    assert password not in problem[0] + problem[1]


@pytest.mark.parametrize("password,username", [
    ("Huashan-2026", "worker1"), ("wuhua-county-2026", "wuhua"), ("Wuhua-2026-x", "wuhua"),
    ("长城-Great-Wall-9", ""), ("x" * 60 + "1", ""),
])
def test_reasonable_passwords_pass(password, username):
    assert password_problem(password, username) is None
