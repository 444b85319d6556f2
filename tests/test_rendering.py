"""Tests for rendering.py: the PDF keeps page 1's segment map on page 1."""

from __future__ import annotations

import base64
import io

import numpy as np
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
