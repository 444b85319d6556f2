from __future__ import annotations

import pytest

from reportgen.templating import bar_pixels, bar_width, environment


@pytest.mark.parametrize(
    ("z", "width", "pixels"),
    [(0, "0.0%", 0), (1, "25.0%", 15), (-2, "50.0%", 30), (5, "50.0%", 30)],
)
def test_diverging_bar_never_overflows_its_half(z: float, width: str, pixels: int) -> None:
    # A bar's width is a share of the whole bar (axis in the middle): one side is 50%.
    # It used to be 100%, so segments more than 1 standard deviation away drew past the track.
    assert bar_width(z) == width
    assert bar_pixels(z, half=30) == pixels


def test_html_is_escaped_and_text_templates_are_not() -> None:
    templates = environment()
    hostile = "<b>Q3 & Q4</b>"
    assert templates.from_string("{{ t }}").render(t=hostile) == "&lt;b&gt;Q3 &amp; Q4&lt;/b&gt;"
    for name, escaped in (("email.html", True), ("report.css", True), ("email.txt", False)):
        assert templates.autoescape(name) is escaped  # type: ignore[operator]


def test_breakable_gives_long_words_places_to_wrap_and_leaves_short_ones() -> None:
    from reportgen.templating import breakable

    assert breakable("Annual Income (k$)") == "Annual Income (k$)"
    wrapped = breakable("X" * 60)
    assert wrapped.replace("\u200b", "") == "X" * 60
    assert max(len(part) for part in wrapped.split("\u200b")) == 24
