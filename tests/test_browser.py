"""report.html and the email body as a browser shows them, in Debian's Chromium.

Playwright drives the Chromium that `scripts/system-deps.sh --browser` installs (never
one that Playwright downloads). Every request other than the page itself is refused and
recorded, so these tests also prove that the pages fetch nothing. Screenshots at each
width are kept in pytest's temporary folder for a person to look at.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import SampleRun

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP, PHONE = 1280, 390
EMAIL_WIDTH = 600


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for this module's tests."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "Chromium is not installed: the browser checks of report.html need Debian's "
            "chromium (bash scripts/system-deps.sh --browser, as root)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageLog:
    """What happened while a page loaded."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_page(browser: Any, width: int, *, url: str | None = None, html: str | None = None):
    """Open ``url`` (or ``html``) at ``width`` CSS pixels; return the page and its log."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    log = PageLog()
    page.on("request", lambda request: log.requests.append(request.url))
    page.on("requestfailed", lambda request: log.failed.append(request.url))
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    # Nothing may leave the page: refuse every request but the page's own file.
    page.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())
    if url is not None:
        page.goto(url, wait_until="load")
    else:
        page.set_content(html or "", wait_until="load")
    return page, log


def images_decoded(page: Any) -> list[int]:
    """Every <img>'s natural width (0 = not decoded)."""
    return page.evaluate(
        "Array.from(document.images, image => image.complete ? image.naturalWidth : 0)"
    )


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0 = it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_report_html_loads_cleanly_and_fits(
    browser: Any, sample_run: SampleRun, tmp_path: Path, width: int
) -> None:
    report = sample_run.output_dir / "report.html"
    page, log = open_page(browser, width, url=report.as_uri())

    assert log.requests == [report.as_uri()]
    assert log.failed == []
    assert log.errors == []
    widths = images_decoded(page)
    assert len(widths) >= 6 and all(w > 0 for w in widths), widths
    assert horizontal_overflow(page) == 0
    # Every diverging bar stays inside its track.
    outside = page.evaluate(
        """Array.from(document.querySelectorAll('.diverging')).filter(track => {
             const t = track.getBoundingClientRect();
             const b = track.querySelector('.low, .high').getBoundingClientRect();
             return b.left < t.left - 0.5 || b.right > t.right + 0.5; }).length"""
    )
    assert outside == 0
    shot = tmp_path / f"report-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert png_size(shot)[0] == width
    page.close()


@pytest.mark.parametrize("width", [EMAIL_WIDTH, PHONE, 360])
def test_email_body_fits_600_px_and_a_phone(
    browser: Any, sample_run: SampleRun, tmp_path: Path, width: int
) -> None:
    folder = sample_run.output_dir / "email"
    html = (folder / "message.html").read_text()

    # A browser cannot resolve cid: (the mail client does), so embed the attached images.
    def embedded(match: re.Match[str]) -> str:
        png = (folder / f"{match.group(1)}.png").read_bytes()
        return "data:image/png;base64," + base64.b64encode(png).decode()

    html = re.sub(r"cid:([a-z0-9-]+)@reportgen", embedded, html)
    page, log = open_page(browser, width, html=html)

    assert log.failed == [] and log.errors == []
    assert all(not url.startswith(("http:", "https:")) for url in log.requests)
    widths = images_decoded(page)
    assert widths and all(w > 0 for w in widths)
    assert horizontal_overflow(page) == 0
    sheet_width = page.evaluate("document.querySelector('table.sheet').offsetWidth")
    assert sheet_width <= EMAIL_WIDTH
    page.screenshot(path=str(tmp_path / f"email-{width}.png"), full_page=True)
    page.close()


def test_many_long_column_names_still_fit_a_phone(browser: Any, tmp_path: Path) -> None:
    """Regression: the marketing table's data-quality table was 22 px wider than a phone."""
    from reportgen.pipeline import run
    from reportgen.settings import resolve_settings

    from .conftest import blobs, write_csv

    frame = blobs(3)
    for name in ("NumCatalogPurchases", "MntMeatProducts", "NumWebVisitsMonth", "MntSweetProducts"):
        frame[name] = (frame["Income"] * len(name)).round()
    frame["Dt_Customer"] = [f"{1 + n % 28:02d}-0{1 + n % 9}-2013" for n in range(len(frame))]
    frame["Year_Birth"] = 1950 + frame["CustomerID"] % 40
    settings = resolve_settings(
        write_csv(tmp_path / "wide.csv", frame),
        None,
        {"output_dir": tmp_path / "o", "make_pdf": False},
    )
    run(settings)
    page, _ = open_page(browser, PHONE, url=(tmp_path / "o" / "report.html").as_uri())
    assert horizontal_overflow(page) == 0
    page.close()
