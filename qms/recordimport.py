"""Bulk import of records from CSV or JSON Lines: every row valid and filed, or nothing filed.

CSV files have a header row of field names (UTF-8, a BOM is accepted); cells are converted to the
types the form's schema asks for (numbers, true/false or 是/否, JSON for lists and groups). JSONL
files hold one JSON object per line. Every row is validated against the form in force (schema and
plugins) before anything is written; if any row fails, every bad row is reported with its line
number and the store is untouched. Valid files are filed in one transaction with the store's bulk
write, so ten thousand rows take seconds, not the minutes of one write per row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import forms, records, validation
from qms.errors import UsageError, ValidationFailed

if TYPE_CHECKING:
    from qms.app import App

#: Bad rows listed in the error; the rest are counted, so one broken file gives a readable message.
MAX_REPORTED = 50


def read_rows(form: dict[str, Any], path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """``(line number, data, problem)`` for every row of a CSV or JSONL file."""
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UsageError(f"no file {path}; give the CSV or JSONL file to import") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)") from exc
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        known = set(forms.field_schema(form["schema"], []).get("properties", {}))
        unknown = [h for h in header if h not in known]
        if not header:
            raise UsageError(f"{path.name} is empty; the first row must name the fields")
        if unknown:
            raise UsageError(f"{path.name} line 1: unknown column(s) {', '.join(unknown)}; "
                             f"columns must be field names of {form['number']} ({', '.join(sorted(known))})")
        start = 2
        for row in reader:
            # DictReader.line_num is the physical line the row ended on; a row starts after the previous one.
            line = start
            start = reader.line_num + 1
            if None in row:
                yield line, None, "has more cells than the header has columns"
                continue
            yield line, validation.coerce_row(form, row), None
    elif suffix in (".jsonl", ".ndjson"):
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                yield line, json.loads(raw), None
            except json.JSONDecodeError as exc:
                yield line, None, f"is not valid JSON ({exc.msg} at column {exc.colno})"
    else:
        raise UsageError(f"{path.name}: import reads .csv or .jsonl files only")


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
    with path.open("rb") as f:
        lines = sum(1 for raw in f if raw.strip())
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)


__all__ = ["MAX_REPORTED", "count_rows", "import_file", "read_rows"]
