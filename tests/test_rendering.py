"""Tests for rendering.py: the PDF keeps page 1's segment map on page 1."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from pypdf import PdfReader

from reportgen.rendering import HEADLINE_ID, render_pdf


def _png() -> str:
    figure = Figure(figsize=(6, 4), dpi=150)
    figure.add_subplot().imshow(np.arange(12).reshape(3, 4))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _page(text_height_mm: int) -> str:
    return (
        "<html><head><style>@page { size: A4; margin: 15mm }"
        "figure img { width: auto; max-width: 100%; max-height: 92mm }</style></head><body>"
        f'<section><div style="height: {text_height_mm}mm">Segments and what to do.</div>'
        f'<figure id="{HEADLINE_ID}"><img src="data:image/png;base64,{_png()}">'
        "<figcaption>Customers by segment.</figcaption></figure></section>"
        "<h2>Data quality</h2></body></html>"
    )


def test_headline_map_shrinks_to_stay_on_page_one_when_text_above_grows() -> None:
    pdf = PdfReader(io.BytesIO(render_pdf(_page(text_height_mm=190))))

    # (pypdf lists every image on every page of a WeasyPrint PDF: look for the caption.)
    assert "Customers by segment." in pdf.pages[0].extract_text(), "the map left page 1"


@pytest.mark.parametrize("parallel", [False, True])
def test_the_largest_map_that_fits_is_found_in_at_most_two_trials(
    parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same choice whether the first two trials run in turn or in two processes."""
    from types import SimpleNamespace

    from reportgen import render_pool
    from reportgen.rendering import HEADLINE_HEIGHTS_MM, HEADLINE_ID, _fit_headline

    monkeypatch.setattr(render_pool, "PARALLEL", parallel)

    html = (
        "<html><head></head><body><section><figure id='headline'></figure></section>"
        "<section>rest</section></body></html>"
    )

    for largest_fitting in (*HEADLINE_HEIGHTS_MM, None):
        trials: list[str] = []

        def parse(
            text: str, fits_at: int | None = largest_fitting, trials: list[str] = trials
        ) -> SimpleNamespace:
            trials.append(text)
            heights = [h for h in HEADLINE_HEIGHTS_MM if f"max-height: {h}mm" in text]
            fits = bool(heights) and fits_at is not None and heights[0] <= fits_at
            pages = (
                [SimpleNamespace(anchors={HEADLINE_ID})]
                if fits
                else [SimpleNamespace(anchors=set()), SimpleNamespace(anchors={HEADLINE_ID})]
            )
            return SimpleNamespace(render=lambda pages=pages: SimpleNamespace(pages=pages))

        fitted = _fit_headline(html, parse)
        assert "rest" in fitted
        assert len(trials) <= 3  # as it is, then at most two heights
        if largest_fitting is None:
            # Nothing fits: full height on page 2, and the next section follows it there.
            assert "max-height" not in fitted
            assert "section#summary + section { break-before: auto; }" in fitted
        else:
            assert f"max-height: {largest_fitting}mm" in fitted
            assert "break-before: auto" not in fitted
