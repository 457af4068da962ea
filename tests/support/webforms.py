"""Filling ODK Web Forms (the browser forms, server/web/fill.py) from Playwright as a worker would: by the
labels shown, never by field names."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

FORMS = Path(__file__).parents[2] / "forms"


def seed_stations(make_user) -> None:
    """华山街道 with the real home visit form, two of its cases, a worker (worker1 / Worker-pass-1) and a station
    head (head1); 拓东街道 with a case and a worker (worker_b / Worker-pass-2); a county supervisor (wuhua)."""
    from server.extensions import db
    from server.services.forms import publish_form
    from tests.integration.test_cases_api import add_case

    publish_form((FORMS / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    db.session.commit()
    add_case("case-a", "530102001", "530102001001", label="张桂英 · 团结社区")
    add_case("case-a2", "530102001", "530102001001", label="李强 · 团结社区")
    add_case("case-b", "530103001", "530103001001", label="赵外站 · 拓东社区")
    make_user("worker1", "worker", "530102001", "Worker-pass-1")
    make_user("head1", "station", "530102001", "Head-pass-1")
    make_user("worker_b", "worker", "530103001", "Worker-pass-2")
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")


def question(page: Page, label: str) -> Locator:
    """The question whose label reads ``label`` (the whole label text)."""
    return page.locator(".question-container").filter(
        has=page.locator("label", has_text=label)).first


def choose(page: Page, label: str, *options: str) -> None:
    """Tick the options (radio or checkboxes) of a question."""
    box = question(page, label)
    for option in options:
        box.locator(".value-option").filter(has=page.get_by_text(option, exact=True)).first.click()


def pick_from_list(page: Page, label: str, option: str) -> None:
    """Choose in a drop-down list (select_one_from_file: the case, the village)."""
    box = question(page, label)
    box.locator(".p-select").click()
    page.locator("li[role=option]").filter(has_text=option).first.click()


def type_text(page: Page, label: str, text: str) -> None:
    question(page, label).locator("input, textarea").first.fill(text)


def set_today(page: Page, label: str) -> None:
    """Pick today in a date question's calendar (the browser's day: tests run it in Beijing time)."""
    question(page, label).locator("input").first.click()
    page.locator(".p-datepicker-panel button", has_text="Today").click()
    page.keyboard.press("Escape")


def get_location(page: Page, label: str) -> None:
    """Ask for the device's location and keep it (the page was given a location and the permission)."""
    question(page, label).get_by_role("button").first.click()
    page.locator(".p-dialog button", has_text="Save location").click()


def attach_photo(page: Page, label: str, path) -> None:
    """Choose a photo for an image question; done when its (downscaled) preview shows."""
    box = question(page, label)
    box.locator("input[type=file]").set_input_files(path)
    expect(box.locator(".preview-captured-image img")).to_be_visible(timeout=20000)


def send(page: Page) -> None:
    page.locator(".footer button").last.click()
