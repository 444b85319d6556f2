"""Stage 9: the report object rendered to self-contained HTML, and that HTML to PDF."""

from __future__ import annotations

import logging
from datetime import datetime

import jinja2

from reportgen.config import TEMPLATES_DIR
from reportgen.model import Report

log = logging.getLogger(__name__)

# Every image and style is embedded in the HTML, so the PDF renderer may read data:
# URIs and nothing else: no file, no network, whatever the customer data contains.
ALLOWED_PROTOCOLS = frozenset({"data"})


def render_html(report: Report) -> str:
    """Render the report to one self-contained HTML document."""
    return _environment().get_template("report.html").render(report=report)


def render_pdf(html: str) -> bytes:
    """Render the report's HTML to an A4 PDF, fetching nothing but embedded data.

    WeasyPrint reports problems (an image it could not load, say) only through its
    logger; they are passed on as warnings so that they are never silent.
    """
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    problems = _Collector()
    weasyprint_log = logging.getLogger("weasyprint")
    weasyprint_log.addHandler(problems)
    try:
        fetcher = URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, allow_redirects=False)
        pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    finally:
        weasyprint_log.removeHandler(problems)
    for message in problems.messages:
        log.warning("PDF rendering: %s", message)
    return bytes(pdf)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        number=format_number,
        percent=format_percent,
        signed=format_signed,
        bar_width=bar_width,
        long_date=format_long_date,
    )
    return environment


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """Format a number for people: thousands separated, sensible decimals."""
    if value is None:
        return "–"
    if digits is None:
        digits = (
            0 if float(value).is_integer() or abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
        )
    return f"{value:,.{digits}f}"


def format_percent(value: float, digits: int = 0) -> str:
    """Format a share between 0 and 1 as a percentage."""
    return f"{value:.{digits}%}"


def format_signed(value: float, digits: int = 1) -> str:
    """Format a number with an explicit sign, as in '+1.2' or '−0.4'."""
    return f"{value:+.{digits}f}".replace("-", "−")


def bar_width(z: float, full_scale: float = 2.0) -> str:
    """Return a CSS width for half of a diverging bar: |z| of ``full_scale`` fills it."""
    return f"{min(abs(z), full_scale) / full_scale * 100:.1f}%"


def format_long_date(value: datetime) -> str:
    """Format a date as '27 November 2026'."""
    return f"{value.day} {value:%B %Y}"
