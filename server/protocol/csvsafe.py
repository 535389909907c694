"""CSV that is safe to open in a spreadsheet: every cell a person could have typed is neutralised
so it can never run as a formula, and values read the way people expect (yes/no, blanks).

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (and tab or
carriage return can smuggle one past a naive check), so such text gets a leading single quote,
which spreadsheets show as plain text. Numbers we produce stay numbers. Every CSV the server
writes goes through :func:`table`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None


def cell(value: Cell) -> str | int | float:
    """One value as it should appear: booleans as yes/no, None as blank, risky text quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def table(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV document: one header row, then one row per record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
