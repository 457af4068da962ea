"""Signing in to the web pages in tests, with the CSRF token a browser would carry."""
from __future__ import annotations

import re


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post_form(client, page: str, action: str, data: dict):
    """POST a form found on ``page`` the way the browser would (with that page's CSRF token)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})
