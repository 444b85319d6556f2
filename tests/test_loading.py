from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reportgen.errors import DataError
from reportgen.loading import (
    DELIMITER_NAMES,
    load_table,
    read_formatted_money,
    sniff_delimiter,
    title_lines,
)

from .conftest import write_csv

FRAME = pd.DataFrame(
    {"CustomerID": [1, 2, 3], "Income": [10.5, 20.0, 30.0], "City": ["a", "b", "c"]}
)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_reads_each_delimiter(tmp_path: Path, sep: str) -> None:
    table = load_table(write_csv(tmp_path / "t.csv", FRAME, sep))
    assert table.description == f"{DELIMITER_NAMES[sep]}-separated text, UTF-8"
    assert list(table.frame.columns) == ["CustomerID", "Income", "City"]
    assert table.frame["Income"].tolist() == [10.5, 20.0, 30.0]


def test_commas_inside_quotes_do_not_fool_the_sniffer() -> None:
    text = 'id;name;amount\n1;"Smith, J";3\n2;"Doe, A";4\n'
    assert sniff_delimiter(text) == ";"


def test_hash_is_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write_csv(tmp_path / "t.csv", FRAME)
    assert load_table(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf8_bom_and_latin1_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("\ufeffid,Ville\n1,Zürich\n2,Genève\n".encode())
    (tmp_path / "latin.csv").write_bytes("id,Ville\n1,Zürich\n2,Genève\n".encode("cp1252"))
    bom = load_table(tmp_path / "bom.csv")
    latin = load_table(tmp_path / "latin.csv")
    assert list(bom.frame.columns) == ["id", "Ville"]
    assert latin.frame["Ville"].tolist() == ["Zürich", "Genève"]
    assert bom.description.endswith("UTF-8")
    assert latin.description.endswith("Windows-1252")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"CustomerID,Income\n", "no customer rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"CustomerID,Income,Income\n1,2,3\n", "appears more than once"),
        (b"justone\n1\n2\n", "only one column"),
        # A fixed-width printout (values with spaces inside) and a list of baskets: no
        # separator to add by hand, so the remedy is an export as CSV.
        (
            b"InvoiceNo StockCode         Description Quantity\n"
            b"   536365    85123A  WHITE HANGING HEART        6\n"
            b"   536365     71053  WHITE METAL LANTERN        6\n",
            "values separated by spaces, like a fixed-width printout .* Export the table",
        ),
        (b"\n0 1 2 3 4\n30 31 32\n33 34 35 36\n", "a list of items per basket"),
    ],
)
def test_bad_files_are_refused_with_the_reason(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as error:
        load_table(path)
    assert str(path) in str(error.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_table(tmp_path)


def test_excel_first_sheet_or_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1], "y": [2]}).to_excel(writer, sheet_name="Notes", index=False)
        FRAME.to_excel(writer, sheet_name="Customers", index=False)
    assert list(load_table(path).frame.columns) == ["x", "y"]
    table = load_table(path, sheet="Customers")
    assert table.frame["Income"].tolist() == [10.5, 20.0, 30.0]
    assert pd.api.types.is_numeric_dtype(table.frame["CustomerID"])
    assert table.description == "Excel workbook, sheet 'Customers'"
    with pytest.raises(DataError, match="no sheet 'Sales'; its sheets are: Notes, Customers"):
        load_table(path, sheet="Sales")


def test_a_table_split_over_sheets_with_the_same_columns_is_read_whole(tmp_path: Path) -> None:
    # Online Retail II: one sheet per year, because a sheet stops at 1,048,576 rows.
    path = tmp_path / "online_retail_II.xlsx"
    first = FRAME.assign(CustomerID=[1, 2, 3])
    second = FRAME.assign(CustomerID=[4, 5, 6])
    with pd.ExcelWriter(path) as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
    table = load_table(path)
    assert table.frame["CustomerID"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table.description == (
        "Excel workbook, sheets 'Year 2009-2010', 'Year 2010-2011' (the same columns: read "
        "as one table)"
    )
    assert table.notes == (
        "The workbook's other sheets ('Notes') have other columns and were not read; "
        "choose one with --sheet.",
    )
    # A sheet asked for is read alone.
    assert load_table(path, sheet="Year 2010-2011").frame["CustomerID"].tolist() == [4, 5, 6]


def test_parquet_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    FRAME.to_parquet(path)
    table = load_table(path)
    assert table.description == "Parquet"
    assert table.frame.equals(FRAME)


def test_missing_markers_crlf_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'id,Income,Note\r\n1,NA,"a, b"\r\n2,N/A,?\r\n3,5,\r\n4,-,x\r\n')
    frame = load_table(path).frame
    assert frame["Income"].isna().tolist() == [True, True, False, True]
    assert frame["Note"].tolist()[0] == "a, b" and frame["Note"].isna().sum() == 2


def test_undecodable_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"id,name\n1,\x81\x8d\x8f\n")
    with pytest.raises(DataError, match="Cannot decode"):
        load_table(path)


def test_encoding_is_judged_on_the_whole_file_not_its_head(tmp_path: Path) -> None:
    rows = "".join(f"{i};{i * 1.5};Paris\n" for i in range(20_000))  # ~300 kB
    path = tmp_path / "big.csv"
    path.write_bytes(("id;Income;City\n" + rows + "20000;1;Zürich\n").encode("cp1252"))
    table = load_table(path)
    assert table.description == "semicolon-separated text, Windows-1252"
    assert table.frame["City"].iloc[-1] == "Zürich" and len(table.frame) == 20_001


def test_a_utf16_export_with_a_byte_order_mark_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from reportgen.loading import load_table

    path = tmp_path / "u16.csv"
    pd.DataFrame({"id": [1, 2, 3], "Spend": [1.5, 2.5, 3.5]}).to_csv(
        path, index=False, encoding="utf-16"
    )
    table = load_table(path)
    assert table.frame["Spend"].tolist() == [1.5, 2.5, 3.5]
    assert table.description == "comma-separated text, UTF-16"


def test_decimal_commas_are_read_as_numbers_from_the_whole_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from reportgen.loading import load_table

    path = tmp_path / "eu.csv"
    path.write_text(
        "id;Spend;Visits;Code;Mixed\n"
        "1;1,5;3;1,234,567;1,5\n"
        "2;1.234,25;4;2,000,000;x\n"
        "3;-3;5;3,000,000;2,5\n",
        encoding="utf-8",
    )
    table = load_table(path)
    assert table.frame["Spend"].tolist() == [1.5, 1234.25, -3.0]
    assert table.frame["Code"].tolist() == ["1,234,567", "2,000,000", "3,000,000"]
    assert table.frame["Mixed"].tolist() == ["1,5", "x", "2,5"]
    assert table.description.endswith("decimal commas (1,5 = 1.5) read as numbers in 'Spend'")


def test_us_thousands_commas_in_a_tab_separated_file_are_not_read_as_decimals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from reportgen.loading import load_table

    path = tmp_path / "us.tsv"
    path.write_text(
        "id\tRevenue\tRate\tPrice\n1\t1,730\t0,125\t2,500\n2\t999\t0,250\t1,5\n3\t12,400\t1\t3\n",
        encoding="utf-8",
    )
    table = load_table(path)
    assert table.frame["Revenue"].tolist() == [1730, 999, 12400]
    assert table.frame["Rate"].tolist() == [0.125, 0.25, 1.0]
    assert table.frame["Price"].tolist() == [2.5, 1.5, 3.0]
    assert "commas between thousands (1,730 = 1730) read as numbers in 'Revenue'" in (
        table.description
    )


def _spreadsheet_export(tmp_path: Path, notes_rows: int, rows: int = 100) -> Path:
    """A table followed by three empty unnamed columns and a fourth with a few notes."""
    lines = ["Channel,Fresh,Milk,,,,"]
    for row in range(rows):
        note = f"{row + 1}) FRESH: annual spending" if row < notes_rows else ""
        lines.append(f"{row % 2 + 1},{1000 + row},{2000 + 3 * row},,,,{note}")
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_empty_unnamed_columns_of_a_spreadsheet_export_are_dropped_with_a_note(
    tmp_path: Path,
) -> None:
    """The UCI Wholesale table as found on GitHub was refused: 4 empty unnamed columns."""
    table = load_table(_spreadsheet_export(tmp_path, notes_rows=3))
    assert list(table.frame.columns) == ["Channel", "Fresh", "Milk"]
    assert len(table.frame) == 100
    (note,) = table.notes
    assert "Columns 4, 5, 6 and 7" in note and "no header" in note
    assert "column 7 holds 3 notes such as '1) FRESH: annual spending'" in note


def test_an_unnamed_column_that_holds_data_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"Column 7 of .* has no name but holds values in 40 of"):
        load_table(_spreadsheet_export(tmp_path, notes_rows=40))


def test_a_spreadsheet_export_with_empty_unnamed_columns_is_not_taken_for_order_lines(
    tmp_path: Path,
) -> None:
    """Order-line detection reads the file first: it must neither refuse nor claim it."""
    from reportgen.transactions import OrderOptions, plan_orders

    assert plan_orders(_spreadsheet_export(tmp_path, notes_rows=3), OrderOptions()) is None


def test_empty_unnamed_columns_of_a_workbook_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    notes = ["checked by Ana", *[None] * 39]
    frame = pd.DataFrame({"id": range(1, 41), "": notes, "spend": range(40)})
    frame.to_excel(path, index=False)
    table = load_table(path)
    assert list(table.frame.columns) == ["id", "spend"]
    assert table.notes == (
        "Column 2 of the file has no header and is almost empty (1 note such as 'checked by "
        "Ana'): left out, as what a spreadsheet leaves beside a table rather "
        "than data.",
    )


def test_money_as_spreadsheets_format_it_is_read_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "CustomerID,Income,Balance,Zip,Note\n"
        '1,"$38,188.59","(1,000.00)",02134,a\n'
        '2,"$34,446.34",-€12.00,02135,b\n'
        '3,"$1,000",1234.50 USD,02136,$ off\n',
        encoding="utf-8",
    )
    table = load_table(path)
    assert table.frame["Income"].tolist() == [38188.59, 34446.34, 1000.0]
    assert table.frame["Balance"].tolist() == [-1000.0, -12.0, 1234.5]
    assert "read as numbers in 'Income', 'Balance'" in table.description
    # Income is all dollars: its unit; Balance mixes currencies: none.
    assert table.units == {"Income": "$"}
    # Codes with leading zeros and text with a sign in it stay as they are.
    assert table.frame["Note"].tolist() == ["a", "b", "$ off"]
    frame, read = read_formatted_money(pd.DataFrame({"plain": ["1", "2"], "ids": ["A-1", "B-2"]}))
    assert not read and frame["plain"].tolist() == ["1", "2"]
    # Beside semicolons, money is written the European way.
    euro = pd.DataFrame({"Betrag": ["1.234,56 €", "-12,00 €", "€ 5,50"]})
    frame, read = read_formatted_money(euro, with_currency_only=True)
    assert read == {"Betrag": "€"} and frame["Betrag"].tolist() == [1234.56, -12.0, 5.5]
    # In a file where commas may be decimal commas, only values with a currency sign.
    text = pd.DataFrame({"Code": ["1,234,567", "2,000,000"], "Spend": ["$1,234.50", "$5"]})
    frame, read = read_formatted_money(text, with_currency_only=True)
    assert read == {"Spend": "$"} and frame["Code"].tolist() == ["1,234,567", "2,000,000"]


def test_a_title_above_the_header_is_skipped_and_said(tmp_path: Path) -> None:
    table = "Customer ID;Income;Spend\n" + "".join(f"C{n};{n},5;{n * 2}\n" for n in range(30))
    path = tmp_path / "report.csv"
    path.write_text("Kundenbericht\n\nStand: 01.05.2024;;\n" + table, encoding="utf-8")
    loaded = load_table(path)
    assert list(loaded.frame.columns) == ["Customer ID", "Income", "Spend"]
    assert len(loaded.frame) == 30 and loaded.frame["Income"].iloc[1] == 1.5
    assert loaded.notes[0] == (
        "The first 3 lines (Kundenbericht; Stand: 01.05.2024) are a title above the header, "
        "not data: skipped."
    )
    # Decimal commas split the rows on commas but not the header: still semicolons, and
    # the header is no title.
    two = tmp_path / "two.csv"
    two.write_text("Kundennummer;Umsatz\n" + "".join(f"K{n};{n},50\n" for n in range(40)))
    loaded = load_table(two)
    assert list(loaded.frame.columns) == ["Kundennummer", "Umsatz"] and not loaded.notes
    # A plain table, and one whose first rows have gaps, have no title.
    rows = [["id", "a", "b"], ["1", "", ""], ["2", "5", ""], ["3", "6", "7"], ["4", "8", "9"]]
    assert title_lines(rows) == 0
    assert title_lines([["Report", "", ""], [], *rows]) == 2


def test_a_title_above_a_workbooks_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    table = pd.DataFrame({"Customer ID": [f"C{n}" for n in range(30)], "Spend": range(30)})
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Customer report"]]).to_excel(writer, index=False, header=False)
        table.to_excel(writer, index=False, startrow=2)
    loaded = load_table(path)
    assert list(loaded.frame.columns) == ["Customer ID", "Spend"] and len(loaded.frame) == 30
    assert loaded.notes[0].startswith("The first 2 lines (Customer report) are a title")
    # A second sheet with the same header and no title is the rest of the table.
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Customer report"]]).to_excel(writer, index=False, header=False)
        table.to_excel(writer, index=False, startrow=2)
        table.to_excel(writer, sheet_name="2024", index=False)
    assert len(load_table(path).frame) == 60


def test_header_lines_repeated_inside_the_data_are_dropped_and_said(tmp_path: Path) -> None:
    # Exports print the header again at each page break: those rows are not customers,
    # and they must not turn the number columns into text.
    header = "Guest ID,Stays,Total Revenue\n"
    rows = [f"G{n},{n % 4 + 1},{n * 10}.5\n" for n in range(40)]
    path = tmp_path / "guests.csv"
    path.write_text(
        header + "".join(rows[:15]) + header + "".join(rows[15:30]) + header + "".join(rows[30:])
    )
    loaded = load_table(path)
    assert len(loaded.frame) == 40
    assert pd.api.types.is_numeric_dtype(loaded.frame["Stays"])
    assert loaded.frame["Total Revenue"].iloc[-1] == 390.5
    assert loaded.notes == (
        "2 rows inside the table repeat the header (Guest ID, Stays, Total Revenue), as "
        "exports do at page breaks: not data, left out.",
    )
    # The same in a workbook, with a blank cell in one repeat.
    table = pd.DataFrame(
        {"Guest ID": [f"G{n}" for n in range(30)], "Stays": range(30), "Nights": range(30)}
    ).astype(object)
    table.loc[10] = ["Guest ID", "Stays", "Nights"]
    table.loc[20] = ["Guest ID", "Stays", None]
    book = tmp_path / "guests.xlsx"
    table.to_excel(book, index=False)
    loaded = load_table(book)
    assert len(loaded.frame) == 28 and pd.api.types.is_numeric_dtype(loaded.frame["Stays"])
    assert loaded.notes[0].startswith("2 rows inside the table repeat the header")
    # A row that only shares some values with the names is data.
    shared = pd.DataFrame(
        {"Name": ["Name", "Bo", "Al"], "Plan": ["Basic", "Plan", "Pro"], "Spend": [1, 2, 3]}
    )
    assert len(load_table(write_csv(tmp_path / "s.csv", shared)).frame) == 3


def test_money_mixing_numbers_and_formats_is_read_value_by_value(tmp_path: Path) -> None:
    # Excel: real numbers beside amounts pasted as text, each in its own format.
    revenue = [1354.92, "€ 885,28", 643.16, "$1,234.50", "1.234,56", 12, "(€ 5,00)", None]
    book = tmp_path / "guests.xlsx"
    pd.DataFrame({"Guest ID": [f"G{n}" for n in range(8)], "Total Revenue": revenue}).to_excel(
        book, index=False
    )
    table = load_table(book)
    assert table.frame["Total Revenue"].tolist()[:7] == [
        1354.92,
        885.28,
        643.16,
        1234.5,
        1234.56,
        12.0,
        -5.0,
    ]
    assert "'Total Revenue'" in table.description
    # Text only, in a comma-separated file: the dot-decimal and the comma-decimal formats.
    frame, read = read_formatted_money(
        pd.DataFrame({"Spend": ["1354.92", "€ 885,28", "$1,234.50", "1.234,56", "2.000"]})
    )
    assert read == {"Spend": ""}
    # "2.000" says nothing by itself; beside both formats money has no three decimals.
    assert frame["Spend"].tolist() == [1354.92, 885.28, 1234.5, 1234.56, 2000.0]
    # Where the other values write money the European way, "1,250" is 1.25 and "2.000" 2000.
    frame, _ = read_formatted_money(pd.DataFrame({"Betrag": ["€ 885,28", "1,250", "2.000"]}))
    assert frame["Betrag"].tolist() == [885.28, 1.25, 2000.0]
    # A value in no known format leaves the column as it is.
    frame, read = read_formatted_money(pd.DataFrame({"Spend": ["€ 885,28", "$1,234.50", "n.v."]}))
    assert not read and frame["Spend"].tolist() == ["€ 885,28", "$1,234.50", "n.v."]


def test_a_first_line_of_data_is_not_taken_as_the_header(tmp_path: Path) -> None:
    """A headerless CSV with a text column: numbers and dates over columns of numbers and
    dates make the first line data; the columns are then numbered."""
    rows = [
        f"{1000 + k},Plan {'ABC'[k % 3]},{10 + k}.5,2024-01-{1 + k % 28:02d}" for k in range(30)
    ]
    path = tmp_path / "headerless.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = load_table(path)
    assert list(table.frame.columns) == ["column1", "column2", "column3", "column4"]
    assert len(table.frame) == 30 and table.frame["column1"].iloc[0] == 1000
    assert "no header line" in table.description
    # A header of names over the same columns stays the header, as do year names over
    # numbers beside a name over codes.
    path.write_text("Customer,Plan,Spend,Since\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert list(load_table(path).frame.columns) == ["Customer", "Plan", "Spend", "Since"]
    years = [f"C{k},{k}.5,{k + 1}.5" for k in range(30)]
    path.write_text("customer_id,2019,2020\n" + "\n".join(years) + "\n", encoding="utf-8")
    assert list(load_table(path).frame.columns) == ["customer_id", "2019", "2020"]


def _customers(rows: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "CustomerID": range(50_001, 50_001 + rows),
            "Tenure": [row % 13 for row in range(rows)],
            "Spend": [100.0 + 7 * row for row in range(rows)],
        }
    )


def test_a_row_number_column_written_by_pandas_or_r_is_left_out(tmp_path: Path) -> None:
    """Review 9: a table written with DataFrame.to_csv() (its index as an unnamed first
    column 0..n-1) was refused: "give every column a header"."""
    path = tmp_path / "pandas.csv"
    _customers().to_csv(path)  # index=True, pandas' default
    table = load_table(path)
    assert list(table.frame.columns) == ["CustomerID", "Tenure", "Spend"]
    (note,) = table.notes
    assert "Column 1 of the file, without a header, holds row numbers (0, 1, ..., 39)" in note
    # R's write.csv: a quoted empty name and 1..n.
    lines = ['"","CustomerID","Spend"', *(f'"{n}",{50_000 + n},{n * 3.5}' for n in range(1, 41))]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    assert list(load_table(tmp_path / "r.csv").frame.columns) == ["CustomerID", "Spend"]
    # Sorted (a permutation) or filtered (gaps) before writing; or read and written again.
    _customers().sort_values("Tenure").to_csv(tmp_path / "sorted.csv")
    _customers().iloc[::3].to_csv(tmp_path / "filtered.csv")
    _customers().reset_index().to_csv(tmp_path / "index.csv", index=False)
    pd.read_csv(path).to_csv(tmp_path / "again.csv", index=False)  # "Unnamed: 0"
    for name in ("sorted", "filtered", "index", "again"):
        table = load_table(tmp_path / f"{name}.csv")
        assert list(table.frame.columns) == ["CustomerID", "Tenure", "Spend"], name
        assert "holds row numbers" in table.notes[0]
    # A workbook written by pandas with its index, and a trailing empty column numbered
    # as in the file.
    _customers().assign(**{"": ["checked", *[None] * 39]}).to_excel(tmp_path / "book.xlsx")
    table = load_table(tmp_path / "book.xlsx")
    assert list(table.frame.columns) == ["CustomerID", "Tenure", "Spend"]
    assert "Column 5 of the file has no header and is almost empty" in table.notes[1]


def test_an_unnamed_first_column_of_other_values_is_still_refused(tmp_path: Path) -> None:
    """Customer numbers without a header are data: the header is asked for."""
    path = tmp_path / "t.csv"
    _customers().set_index("CustomerID").rename_axis(None).to_csv(path)
    with pytest.raises(DataError, match=r"Column 1 of .* has no name but holds values in 40"):
        load_table(path)


def _workbook(path: Path, front: pd.DataFrame | None, *others: tuple[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as writer:
        if front is not None:
            front.to_excel(writer, sheet_name="Data Dict", index=False)
        for name, frame in others:
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


DICTIONARY = pd.DataFrame(
    {
        "Data": ["E Comm"] * 4,
        "Variable": ["CustomerID", "Tenure", "Spend", "Churn"],
        "Description": ["Unique customer ID", "Tenure of customer", "Spend", "Churn flag"],
    }
)


def test_a_workbook_with_a_data_dictionary_in_front_reads_the_table_behind_it(
    tmp_path: Path,
) -> None:
    """Review 9: Kaggle's e-commerce churn workbook ("Data Dict", then "E Comm") was read
    from its first sheet and refused with "check the delimiter"."""
    path = _workbook(tmp_path / "book.xlsx", DICTIONARY, ("Summary", DICTIONARY.head(2)))
    _workbook(path, DICTIONARY, ("Notes", DICTIONARY), ("E Comm", _customers()))
    table = load_table(path)
    assert list(table.frame.columns) == ["CustomerID", "Tenure", "Spend"]
    assert table.description == "Excel workbook, sheet 'E Comm'"
    assert (table.sheet, table.sheets) == ("E Comm", ("Data Dict", "Notes", "E Comm"))
    assert table.notes[0] == (
        "The workbook's first sheet, 'Data Dict', holds no column of numbers (notes or a "
        "data dictionary?), so sheet 'E Comm' was read: of its sheets ('Data Dict', 'Notes', "
        "'E Comm'), the one with the most rows and columns of numbers. Choose another with "
        "--sheet."
    )
    # An empty first sheet too; --sheet still reads the sheet it names.
    _workbook(path, pd.DataFrame(), ("E Comm", _customers()))
    assert load_table(path).sheet == "E Comm"
    with pytest.raises(DataError, match=r"Sheet 'Data Dict' of .* is empty"):
        load_table(path, sheet="Data Dict")


def test_a_workbook_without_a_table_of_numbers_names_its_sheets(tmp_path: Path, make_settings):
    from reportgen.cleaning import clean_table

    path = _workbook(tmp_path / "book.xlsx", DICTIONARY, ("Codes", DICTIONARY))
    table = load_table(path)
    assert table.sheet == "Data Dict"
    with pytest.raises(DataError) as raised:
        clean_table(table, make_settings(path))
    message = str(raised.value)
    assert "no numeric column to segment customers on in sheet 'Data Dict'" in message
    assert "with --sheet (its sheets: 'Data Dict', 'Codes')" in message
    assert "delimiter" not in message
