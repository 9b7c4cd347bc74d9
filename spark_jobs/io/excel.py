"""Excel workbooks (.xlsx) as the platform converts them on import: one sheet -> rows of text.

No spark-excel release matches the pinned Spark lines (4.0.1 and 3.5.9), so the workbook is read
on the driver with openpyxl and the rows handed to Spark. Limits (docs/import.md): the sheet must
fit in the driver's memory; ``.xls`` (the older binary format) is not read.

Cells are the text the platform shows for them:

* a formula cell is its cached value (the value Excel computed and saved; no formula is
  evaluated here);
* a date cell is ``M/d/yyyy`` whatever its display format (``mmm-yy`` showing ``Jan-20`` becomes
  ``1/1/2020``), with `` H:mm:ss`` after it when it has a time of day;
* a number is written without a trailing ``.0`` (``968``, ``0.25``), a boolean ``TRUE`` /
  ``FALSE``, an empty cell empty;
* trailing empty rows are not part of the sheet.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Any

from spark_jobs.errors import InputDataError


def cell_text(value: Any) -> str:
    """One cell's value as the platform's converted file holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        text = f"{value.month}/{value.day}/{value.year}"
        if value.time() != time(0, 0):
            text += f" {value.hour}:{value.minute:02d}:{value.second:02d}"
        return text
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def sheet_rows(data: bytes, sheet: str | None, *, name: str) -> list[list[str]]:
    """The rows of ``sheet`` (default: the first) of the workbook in ``data``, as text."""
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputDataError(
            f"imported dataset {name!r} is an Excel workbook: reading it needs openpyxl"
        ) from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise InputDataError(
            f"imported dataset {name!r} is not a readable Excel workbook (.xlsx): {exc}"
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise InputDataError(
                f"imported dataset {name!r}: the workbook has no sheet {sheet!r} "
                f"(sheets: {', '.join(workbook.sheetnames)})"
            )
        rows = [[cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def csv_line(row: list[str]) -> str:
    """One row as a line of the converted csv file (``"`` quoting, doubled inside a value)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()
