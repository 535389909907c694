"""Every CSV the server writes opens in a spreadsheet as plain text and plain values."""

from __future__ import annotations

import csv
import io

import pytest

from server.protocol.csvsafe import cell, table


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_could_run_as_a_formula_is_quoted(typed: str, written: str) -> None:
    assert cell(typed) == written


def test_values_read_the_way_people_expect() -> None:
    assert [cell(True), cell(False), cell(None), cell(3), cell(-2), cell(4.5)] == [
        "yes", "no", "", 3, -2, 4.5,
    ]  # fmt: skip


def test_a_table_has_one_header_and_one_row_per_record() -> None:
    text = table(["name", "ok"], [["=x", True], ["Bo", None]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "ok"], ["'=x", "yes"], ["Bo", ""]]
