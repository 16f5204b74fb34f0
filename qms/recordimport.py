"""Bulk import of records from CSV, JSON Lines or Excel: every row valid and filed, or nothing filed.

CSV files have a header row of field names (UTF-8, a BOM is accepted; GBK as saved by Excel and WPS
on Chinese Windows is read too); cells are converted to the types the form's schema asks for
(numbers, true/false or 是/否, JSON for lists and groups). Excel workbooks (.xlsx, read through
openpyxl) are read like a CSV file from their first sheet, with date cells as ISO dates. JSONL
files hold one JSON object per line. Every row is validated against the form in force (schema and
plugins) before anything is written; if any row fails, every bad row is reported with its line
number and the store is untouched. Rows are read and validated one at a time without the write
lock; a valid file is then built and staged in batches and filed in one short, all-or-nothing
commit (``records.file_many``), so a large import does not lock other writers out while it runs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import forms, records, validation
from qms.datafile import decode_text
from qms.errors import UsageError, ValidationFailed

if TYPE_CHECKING:
    from qms.app import App

#: Bad rows listed in the error; the rest are counted, so one broken file gives a readable message.
MAX_REPORTED = 50


def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (a BOM is accepted), else GBK/GB18030 as Excel and WPS save CSV on Chinese Windows."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"no file {path}; give the CSV, JSONL or XLSX file to import") from exc
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}); give a readable CSV, JSONL or XLSX file") from exc
    return decode_text(raw, path.name)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a record can hold")


def _csv_rows(form: dict[str, Any], path: Path, text: str) -> Iterator[tuple[int, Any, str | None]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise UsageError(f"{path.name} line 1 is not CSV ({exc}); save it again as CSV") from exc
    _check_header(form, path, header)
    start = 2
    while True:
        line = start
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UsageError(f"{path.name} line {line} is not CSV ({exc}); fix the row and import again") from exc
        # DictReader.line_num is the physical line the row ended on; a row starts after the previous one.
        start = reader.line_num + 1
        if None in row:
            yield line, None, "has more cells than the header has columns"
            continue
        yield line, validation.coerce_row(form, row), None


def _check_header(form: dict[str, Any], path: Path, header: list[str]) -> None:
    known = set(forms.field_schema(form["schema"], []).get("properties", {}))
    unknown = [h for h in header if h not in known]
    if not header:
        raise UsageError(f"{path.name} is empty; the first row must name the fields")
    if unknown:
        raise UsageError(f"{path.name} line 1: unknown column(s) {', '.join(unknown)}; "
                         f"columns must be field names of {form['number']} ({', '.join(sorted(known))})")


def _jsonl_rows(text: str) -> Iterator[tuple[int, Any, str | None]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield line, json.loads(raw, parse_constant=_no_constant), None
        except json.JSONDecodeError as exc:
            yield line, None, f"is not valid JSON ({exc.msg} at column {exc.colno})"
        except ValueError as exc:
            yield line, None, str(exc)
        except RecursionError:
            yield line, None, "is nested too deeply to be record data"


def _cell(form: dict[str, Any], name: str, value: Any) -> Any:
    """An Excel cell as a typed value: dates as ISO text, numbers kept where the field is a number."""
    from datetime import date, datetime, time

    if value is None:
        return None
    if isinstance(value, datetime):
        fmt = forms.field_schema(form["schema"], [name]).get("format")
        if fmt == "date" and value.time() == time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        types = forms.field_schema(form["schema"], [name]).get("type", "string")
        kinds = types if isinstance(types, list) else [types]
        if "number" in kinds or "integer" in kinds:
            # Excel keeps every number as a float; 3.0 in a whole-number field is 3.
            return int(value) if isinstance(value, float) and value.is_integer() and "integer" in kinds else value
        value = int(value) if isinstance(value, float) and value.is_integer() else value
    return validation.coerce_text(form, name, str(value))


def _xlsx_rows(form: dict[str, Any], path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Rows of the workbook's first sheet; the first row names the fields (as in a CSV file)."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise UsageError(f"no file {path}; give the CSV, JSONL or XLSX file to import") from exc
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UsageError(f"{path.name} is not an Excel workbook (.xlsx); save it again as .xlsx or CSV UTF-8") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        cells_1 = list(first or [])
        while cells_1 and (cells_1[-1] is None or not str(cells_1[-1]).strip()):
            cells_1.pop()
        header = ["" if h is None else str(h).strip() for h in cells_1]
        _check_header(form, path, header)
        for line, cells in enumerate(rows, start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            if any(c is not None for c in cells[len(header):]):
                yield line, None, "has more cells than the header has columns"
                continue
            data = {}
            for name, cell in zip(header, cells):
                value = _cell(form, name, cell)
                if value is not None:
                    data[name] = value
            yield line, data, None
    finally:
        book.close()


def read_rows(form: dict[str, Any], path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """``(line number, data, problem)`` for every row of a CSV, JSONL or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx_rows(form, path)
    elif suffix == ".csv":
        yield from _csv_rows(form, path, _read_text(path))
    elif suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_rows(_read_text(path))
    elif suffix in (".xls", ".et"):
        raise UsageError(f"{path.name}: import reads .xlsx workbooks, not the old .xls format; "
                         "save it as .xlsx (Excel Workbook) or CSV UTF-8")
    else:
        raise UsageError(f"{path.name}: import reads .csv, .jsonl or .xlsx files only")


def import_file(app: App, form_number: str, path: Path,
                progress: Callable[[int], None] = lambda _: None) -> list[str]:
    """Validate every row, then file them all; returns the new record numbers.

    ``progress(n)`` is called as rows are checked (for a progress bar). Raises ``ValidationFailed``
    listing each bad row as ``line N: problem`` and files nothing if any row is bad.
    """
    app.actor("record.file", f"import {form_number} records")
    form = forms.current_form(app, form_number)
    workflow = records.workflow_for(app, form_number)
    good: list[dict[str, Any]] = []
    bad: list[str] = []
    bad_rows = 0
    for line, data, problem in read_rows(form, path):
        found = [problem] if problem else validation.problems(app, form, data, None)
        if not found and isinstance(data, dict):
            found = records._initial_missing(workflow, form, data)
        if found:
            bad_rows += 1
            if len(bad) < MAX_REPORTED:
                bad.append(f"line {line}: " + "; ".join(found))
        else:
            good.append(data)
        progress(1)
    if bad_rows:
        more = [f"… and {bad_rows - len(bad)} more bad row(s)"] if bad_rows > len(bad) else []
        raise ValidationFailed(bad + more, what=f"{path.name} ({bad_rows} bad row(s); nothing was imported)")
    if not good:
        raise UsageError(f"{path.name} holds no rows to import")
    return records.file_many(app, form_number, good, note=f"imported from {path.name}")


def count_rows(path: Path) -> int:
    """About how many rows a file holds (for the progress bar's length)."""
    if path.suffix.lower() == ".xlsx":
        # A workbook is a zip: its lines mean nothing, and the sheet's size is read when the rows are.
        return 0
    with path.open("rb") as f:
        lines = sum(1 for raw in f if raw.strip())
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)


__all__ = ["MAX_REPORTED", "count_rows", "import_file", "read_rows"]
