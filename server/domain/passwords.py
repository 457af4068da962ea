"""The password policy: which passwords an account may have, and why not (Chinese first, then English).

Pure: no Flask, no database, no hashing (``services/accounts.py`` hashes with scrypt).
A refused password is never part of the message.
"""
from __future__ import annotations

MIN_LENGTH = 8
# Long enough for any passphrase; bounded so a sign-in form cannot feed the KDF megabytes.
MAX_LENGTH = 128

# Passwords at the top of published leak lists (including Chinese ones) that would otherwise pass the rules
# below; compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword1", "abc12345", "abc123456", "abcd1234",
    "a1234567", "a12345678", "a123456789", "aa123456", "aa12345678", "qq123456", "qq12345678", "qwer1234",
    "qwerty123", "qwerty12", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4", "zxcvbnm1", "asdf1234",
    "woaini1314", "woaini520", "5201314a", "iloveyou1", "admin123", "admin1234", "admin888", "root1234",
    "test1234", "welcome1", "letmein1", "1234qwer", "12345abc", "123456abc", "123456aa", "123qwe123",
    "huawei123", "lastmeter1", "lastmeter2026", "worker123",
})


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """Why this password may not be used, as (zh, en), or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字", "use both letters and digits"
    if password.casefold() in COMMON_PASSWORDS:
        return "这是常见密码，很容易被猜中，请换一个", "this is a common password, easily guessed; choose another"
    if username and _only_username(password, username):
        return "密码不能是用户名（或用户名加数字、符号）", "the password must not be the username (plus digits or symbols)"
    return None


def _only_username(password: str, username: str) -> bool:
    """The username, maybe reversed, with nothing but digits or symbols added (``worker1``, ``worker1!2026``)."""
    folded, name = password.casefold(), username.strip().casefold()
    for variant in (name, name[::-1]):
        if variant and variant in folded and not any(c.isalpha() for c in folded.replace(variant, "")):
            return True
    return False
