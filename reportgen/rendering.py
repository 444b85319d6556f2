"""Stage 9: the report object rendered to self-contained HTML, and that HTML to PDF."""

from __future__ import annotations

import logging

from reportgen.model import Report
from reportgen.templating import environment

log = logging.getLogger(__name__)

# Every image and style is embedded in the HTML, so the PDF renderer may read data:
# URIs and nothing else: no file, no network, whatever the customer data contains.
ALLOWED_PROTOCOLS = frozenset({"data"})


def render_html(report: Report) -> str:
    """Render the report to one self-contained HTML document."""
    return environment().get_template("report.html").render(report=report)


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
