"""Every template works under the pages' Content-Security-Policy (``script-src 'self'; style-src 'self'``, no
``unsafe-inline``): no inline script body, no ``on…=`` handler, no ``style=`` attribute and no ``<style>`` element —
the browser would refuse each of them. Scripts and styles live in ``server/static/``."""
import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).parents[2] / "server" / "templates").rglob("*.html"))
INLINE = {
    "inline <script> body": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "on…= event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(html: str) -> list[str]:
    return [what for what, pattern in INLINE.items() if pattern.search(html)]


def test_the_scan_sees_each_kind_of_inline_code():
    assert inline_code('<script>alert(1)</script>') == ["inline <script> body"]
    assert inline_code('<button onclick="go()">') == ["on…= event handler"]
    assert inline_code('<div class="x"\n     style="color:red">') == ["style= attribute"]
    assert inline_code("<style>p{}</style>") == ["<style> element"]
    assert inline_code('<script src="/static/js/map.js"></script><a data-online="1">') == []


def test_there_are_templates_to_scan():
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_has_no_inline_code(template):
    assert inline_code(template.read_text(encoding="utf-8")) == []
