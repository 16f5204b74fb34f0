"""Layouts of the internal audit: the audit record's body (checklist and findings as tables) and the
内部审核报告 internal audit report, rendered from ``templates/``; the templates escape every value."""

from __future__ import annotations

import copy
from typing import Any

from markupsafe import Markup

from qms import api

from qms_audit import grades
from qms_audit.workflow import AUDIT

#: Fields laid out as tables of their own rather than by the generic layout.
OWN = {"checklist", "findings"}


def _generic_without(record: dict[str, Any], form: dict[str, Any], names: set[str]) -> Markup:
    """The core's generic layout with ``names`` left out, and no empty sections."""
    trimmed = copy.deepcopy(form)
    trimmed["sections"] = [{**s, "fields": [f for f in s.get("fields", []) if f not in names]}
                           for s in form.get("sections") or []]
    trimmed["sections"] = [s for s in trimmed["sections"] if s["fields"]]
    shown = {**record, "data": {k: v for k, v in (record.get("data") or {}).items() if k not in names}}
    return Markup(api.generic_record_html(shown, trimmed))


def checklist_rows(data: dict[str, Any]) -> list[list[Any]]:
    """Rows of the checklist table: no., clause, question, documents, result, evidence."""
    return [[i, item.get("clause"), item.get("question"), item.get("documents") or [], item.get("result") or "",
             item.get("evidence") or ""] for i, item in enumerate(data.get("checklist") or [], 1)]


def finding_rows(data: dict[str, Any], reports: dict[str, str] | None = None, number: str = "") -> list[list[Any]]:
    """Rows of the findings table: no., grade, clause, description, evidence, response.

    With ``reports`` (``api.nonconformity_reports`` of audit ``number``) a last column names the
    nonconformity report each nonconformity opened.
    """
    rows = []
    for f in grades.findings(data):
        row = [f.get("no"), grades.LABELS.get(f.get("grade", ""), f.get("grade")), f.get("clause"), f.get("description"),
               f.get("evidence") or "", f"{f.get('response')}（{f.get('responded_on')}）" if f.get("response")
               else ("待回复 awaiting response" if grades.is_nonconformity(f) else "—")]
        if reports is not None:
            opened = reports.get(grades.finding_ref(number, f.get("no")))
            row.append(opened or ("未开具 none filed" if grades.is_nonconformity(f) else "—"))
        rows.append(row)
    return rows


def record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The audit record: the generic fields, then the checklist and the findings."""
    if record.get("form") != AUDIT:
        return None
    data = record.get("data") or {}
    return str(api.templates("qms_audit").render(
        "record.html.j2", generic=_generic_without(record, form, OWN),
        checklist=checklist_rows(data), findings=finding_rows(data)))


def report_html(report: dict[str, Any]) -> str:
    """The body of the internal audit report (``service.report_data``)."""
    return str(api.templates("qms_audit").render("report.html.j2", **report))
