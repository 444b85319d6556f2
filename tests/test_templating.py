from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from reportgen.contract import FeatureLevel, Report
from reportgen.templating import (
    GROUPED_BY_SHOWN,
    bar_pixels,
    bar_width,
    environment,
    grouped_by,
    segments_found,
)


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


def test_k_marks_say_a_k_outside_the_range_was_scored_for_comparison() -> None:
    from reportgen.contract import KChoice, KScore
    from reportgen.templating import k_marks

    scores = tuple(
        KScore(k=k, inertia=10.0 / k, silhouette=None, stability=None) for k in (2, 3, 4)
    )
    choice = KChoice(
        scores=scores,
        elbow_k=3,
        silhouette_k=2,
        chosen_k=3,
        reason="",
        methods_agree=False,
        forced=False,
        sample_size=100,
        resamples=0,
        k_min=3,
        k_max=4,
    )
    assert k_marks(scores[0], choice) == "best silhouette · for comparison (range 3–4)"
    assert k_marks(scores[1], choice) == "elbow · chosen"
    assert k_marks(scores[2], choice) == ""
    forced = dataclasses.replace(choice, chosen_k=2)
    assert k_marks(scores[0], forced) == "best silhouette · chosen · outside the range 3–4"


def test_an_unstable_segments_action_comes_with_a_caution() -> None:
    from reportgen.contract import Recommendation, SegmentProfile
    from reportgen.templating import caution

    segment = SegmentProfile(
        number=1,
        name="Group 1",
        size=10,
        share=0.5,
        description="",
        color="#000000",
        features=(),
        demographics=(),
        recommendation=Recommendation("", "", "", "", ""),
        stability=0.56,
        untrusted=True,
    )
    assert caution(segment) == (
        "Unstable segment (stability 0.56): test on a sample before a full campaign."
    )
    assert caution(dataclasses.replace(segment, stability=0.7, untrusted=False)) == ""


def test_page_one_names_a_few_features_and_counts_the_rest() -> None:
    def report(count: int) -> SimpleNamespace:
        columns = [f"Mnt{n}" for n in range(count)]
        # The later a column, the more it separates the segments.
        return SimpleNamespace(
            rfm=None,
            feature_columns=columns,
            features_by_separation=columns[::-1],
            display=lambda c: c.lower(),
        )

    shown = grouped_by(report(GROUPED_BY_SHOWN + 1))  # type: ignore[arg-type]
    assert shown.endswith(f"mnt{GROUPED_BY_SHOWN}")  # one more is named, not counted
    many = grouped_by(report(15))  # type: ignore[arg-type]
    assert many == (
        f"15 measures, most of all mnt14, mnt13, mnt12, mnt11, mnt10, mnt9 "
        f"(and {15 - GROUPED_BY_SHOWN} more)"
    )


def test_page_one_says_plainly_when_one_measure_was_segmented_on() -> None:
    report = SimpleNamespace(
        rfm=None,
        feature_columns=["MOSTYPE"],
        features_by_separation=["MOSTYPE"],
        display=lambda c: c,
        k_choice=SimpleNamespace(sharp=True),
    )
    assert grouped_by(report).startswith("one measure only, MOSTYPE: each segment is a range")  # type: ignore[arg-type]
    assert segments_found(report) == "ranges of MOSTYPE alone"  # type: ignore[arg-type]


def test_features_by_separation_puts_the_measures_that_split_segments_first() -> None:
    def level(column: str, z: float) -> FeatureLevel:
        return FeatureLevel(column, column, 0.0, 0.0, z, "average")

    def segment(share: float, **zs: float) -> SimpleNamespace:
        return SimpleNamespace(share=share, features=[level(c, z) for c, z in zs.items()])

    report = SimpleNamespace(
        feature_columns=("age", "children", "limit", "channel"),
        categorical_features=(SimpleNamespace(column="channel"),),
        segments=(
            segment(0.5, age=0.1, children=0.3, limit=1.0),
            segment(0.5, age=-0.1, children=-0.3, limit=-1.0),
        ),
    )
    ordered = Report.features_by_separation.fget(report)  # type: ignore[attr-defined]
    assert ordered == ("channel", "limit", "children", "age")


def test_coverage_says_what_the_money_leaves_out_or_mixes() -> None:
    from reportgen.templating import coverage

    def report(mixed: bool, anonymous: float, once: bool = False) -> SimpleNamespace:
        orders = SimpleNamespace(mixed_currencies=mixed, currencies=("Currency", "USD", "EUR"))
        rfm = SimpleNamespace(orders=orders, anonymous_share=anonymous, one_order_each=once)
        return SimpleNamespace(rfm=rfm, customers=1_250)

    assert coverage(report(False, 0.05)) == ""  # type: ignore[arg-type]
    assert coverage(report(True, 0.78)) == (  # type: ignore[arg-type]
        "The money is in USD, EUR added up as it is. Lines without a customer (anonymous or "
        "guest purchases) hold 78% of the money: these segments describe the other 22%."
    )
    assert coverage(SimpleNamespace(rfm=None)) == ""  # type: ignore[arg-type]
    # Nobody with a second order (Olist's per-order customer_id) is said first.
    assert coverage(report(False, 0.05, once=True)).startswith(  # type: ignore[arg-type]
        "No customer repeats: each of the 1,250 customers has one order in this file"
    )


def test_never_bought_says_whether_it_was_a_0_or_a_blank() -> None:
    """HubSpot leaves non-buyers' Total Revenue blank: "(Total Revenue 0)" was untrue."""
    from reportgen.templating import never_bought_condition

    def quality(blank: tuple[str, ...]) -> SimpleNamespace:
        return SimpleNamespace(
            never_bought_columns=("Total Revenue", "Deals"), never_bought_blank=blank
        )

    assert never_bought_condition(quality(())) == "Total Revenue, Deals 0"
    assert never_bought_condition(quality(("Total Revenue",))) == "Total Revenue, Deals 0 or blank"
    assert (
        never_bought_condition(quality(("Deals", "Total Revenue"))) == "Total Revenue, Deals blank"
    )
