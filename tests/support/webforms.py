"""Filling ODK Web Forms (the browser forms, server/web/fill.py) from Playwright as a worker would: by the
labels shown, never by field names."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import Locator, Page, expect


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


def send(page: Page) -> None:
    page.locator(".footer button").last.click()
