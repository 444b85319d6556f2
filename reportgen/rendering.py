"""Stage 9: the report object rendered to self-contained HTML, and that HTML to PDF."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from reportgen.contract import Report
from reportgen.templating import environment

log = logging.getLogger(__name__)

# Every image and style is embedded in the HTML, so the PDF renderer may read data:
# URIs and nothing else: no file, no network, whatever the customer data contains.
ALLOWED_PROTOCOLS = frozenset({"data"})
# The element on page 1 that must stay there (the segment map), and the heights tried
# for it, in turn, when the text above it leaves too little room.
HEADLINE_ID = "headline"
HEADLINE_HEIGHTS_MM = (60, 48, 38)


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
        # How much text sits above the segment map depends on the data (outcome columns,
        # long descriptions, many segments, an RFM summary). Page 1 alone lays out in a
        # fraction of the whole report's time: fit the map there first, then render once.
        fitted = _fit_headline(html, lambda text: HTML(string=text, url_fetcher=fetcher))
        problems.messages.clear()
        document = HTML(string=fitted, url_fetcher=fetcher).render()
        pdf = document.write_pdf()
    finally:
        weasyprint_log.removeHandler(problems)
    for message in problems.messages:
        log.warning("PDF rendering: %s", message)
    return bytes(pdf)


def _fit_headline(html: str, parse: Callable[[str], Any]) -> str:
    """Return ``html`` with the largest headline height that keeps the map on page 1.

    The trials render only the document up to the end of the first section (page 1's
    content): first as it is, then HEADLINE_HEIGHTS_MM by bisection (a smaller map fits
    wherever a larger one does), so three heights take at most two trials. When none
    fits, the map opens page 2 at its full height, and the next section follows it on
    that page instead of leaving it four-fifths empty. The first trial and the
    bisection's first height are tried at the same time, by this process and a forked
    copy (render_pool.shared_map): a report whose map is pushed off page 1 waits for two
    trial layouts instead of three, and the choice is the one the trials in turn would make.
    """
    end = html.find("</section>")
    if end < 0 or HEADLINE_ID not in html:
        return html
    page_one = html[: end + len("</section>")] + "</body></html>"

    def styled(text: str, height: int | None) -> str:
        if height is None:
            return text
        style = f"<style>figure#{HEADLINE_ID} img {{ max-height: {height}mm; }}</style>"
        return text.replace("</head>", style + "</head>", 1)

    def fits(height: int | None) -> bool:
        return not _pushed_off_page_one(parse(styled(page_one, height)).render())

    from reportgen.render_pool import shared_map  # matplotlib: not before it is needed

    heights = sorted(HEADLINE_HEIGHTS_MM, reverse=True)
    low, high = 0, len(heights) - 1
    chosen: int | None = None
    first = heights[(low + high) // 2]
    as_it_is, fits_first = shared_map(fits, [None, first])
    if as_it_is:
        return html
    known = {first: fits_first}
    while low <= high:
        middle = (low + high) // 2
        if heights[middle] not in known:
            known[heights[middle]] = fits(heights[middle])
        if known[heights[middle]]:
            chosen, high = heights[middle], middle - 1
        else:
            low = middle + 1
    if chosen is None:
        flow = "<style>section#summary + section { break-before: auto; }</style>"
        return html.replace("</head>", flow + "</head>", 1)
    return styled(html, chosen)


def _pushed_off_page_one(document: Any) -> bool:
    """Whether the page-1 headline chart exists but landed on a later page."""
    pages = document.pages
    return any(HEADLINE_ID in page.anchors for page in pages[1:]) and (
        HEADLINE_ID not in pages[0].anchors
    )


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
