"""Property-based: whatever table arrives, a report is made or a clean error is given."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reportgen.cli import main

NAME_CHARACTERS = st.characters(
    codec="utf-8", categories=["L", "N", "Zs", "P", "S"], exclude_characters="\n\r\x00"
)
CATEGORIES = ["a", "b", "Other", "<b>x</b>", "=cmd()", "é", "{{ x }}"]


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, str, str]:
    rows = draw(st.integers(min_value=0, max_value=40))
    names = draw(
        st.lists(
            st.text(NAME_CHARACTERS, min_size=1, max_size=12), min_size=1, max_size=5, unique=True
        )
    )
    columns = {}
    for name in names:
        if draw(st.booleans()):
            values = draw(
                st.lists(
                    st.one_of(
                        st.none(),
                        st.floats(-1e6, 1e6, allow_nan=False, width=32),
                        st.integers(-5, 5),
                    ),
                    min_size=rows,
                    max_size=rows,
                )
            )
        else:
            values = draw(
                st.lists(
                    st.one_of(st.none(), st.sampled_from(CATEGORIES)), min_size=rows, max_size=rows
                )
            )
        columns[name] = values
    if draw(st.booleans()):
        columns = {"CustomerID": list(range(1, rows + 1)), **columns}
    separator = draw(st.sampled_from([",", ";", "\t"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return pd.DataFrame(columns), separator, encoding


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_any_table_gives_a_report_or_one_clean_error(table) -> None:
    frame, separator, encoding = table
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = root / "customers.csv"
        try:
            path.write_bytes(frame.to_csv(index=False, sep=separator).encode(encoding))
        except UnicodeEncodeError:
            assume(False)
        out = root / "out"
        out.mkdir()
        (out / "report.html").write_text("the earlier report")

        result = CliRunner().invoke(
            main, ["run", str(path), "-o", str(out), "--no-pdf", "-q", "--k-max", "4"]
        )

        assert "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), repr(result.exception)
        if result.exit_code == 0:
            written = sorted(p.name for p in out.iterdir())
            assert written == ["email", "model.json", "report.html", "segments.csv", "summary.json"]
            segments = pd.read_csv(out / "segments.csv")
            assert len(segments) >= 1 and segments["segment"].min() >= 1
        else:
            assert result.exit_code in (1, 2), result.output
            assert "Error" in result.output and "Unexpected internal error" not in result.output
            assert [p.name for p in out.iterdir()] == ["report.html"]
            assert (out / "report.html").read_text() == "the earlier report"
