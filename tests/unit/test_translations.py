"""Every string the pages show has a Chinese translation, and the compiled catalogues match their sources."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "server" / "translations"
METHOD_MAP = [("server/**.py", "python"), ("server/templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = extract_from_dir(str(ROOT), METHOD_MAP, keywords={"_": None, "gettext": None},
                             options_map={"server/templates/**.html": {}})
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def test_every_page_string_has_a_chinese_translation():
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    messages = source_messages()
    assert "Return to the worker for a revisit" in messages and "Wrong username or password." in messages  # templates and code read
    missing = sorted(m for m in messages if not (catalog.get(m) and catalog.get(m).string))
    assert missing == [], "add these to server/translations/zh/LC_MESSAGES/messages.po"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compiled_catalogue_matches_its_source(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    with open(folder / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id and m.string}
    assert compiled == source, "run scripts/i18n compile"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_guessed_translation_is_left(lang):
    """`pybabel update` guesses a new string's translation from a similar one and marks it fuzzy ("Male" as
    "Failed"); `scripts/i18n compile` would ship the guess, so none may be left."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        guessed = sorted(m.id for m in read_po(handle) if m.id and m.fuzzy)
    assert guessed == [], f"check and unmark these in server/translations/{lang}/LC_MESSAGES/messages.po"
