"""Nonconformities raised by the other procedures through the core's ``nonconformity`` effect.

``qms_raise_nonconformity`` hands over what another procedure found (a 特殊重大 complaint, an audit
nonconformity, a failed calibration with its impact list, a failed acceptance); this module turns
it into the data of a nonconformity report, raised by the user whose save or move found it, or
names the report already filed for the same source record, so each source record has one report.
"""

from __future__ import annotations

from typing import Any

from qms import api
from qms.api import RecordQuery

from qms_ncr.service import reported
from qms_ncr.workflow import FORM, SEVERITIES, SOURCES


def report_for(raised: dict[str, Any], query: RecordQuery) -> dict[str, Any]:
    """``{"form", "data"}`` of the report to file for ``raised``, or ``{"existing": NUMBER}`` when it has one."""
    source, ref = str(raised.get("source")), str(raised.get("ref"))
    already = reported(query, source, ref)
    if already:
        return {"existing": already}
    summary = str(raised.get("summary") or "").strip()
    reason = str(raised.get("reason") or "").strip()
    description = summary if not reason or reason in summary else f"{summary}\n{reason}"
    data: dict[str, Any] = {"source": source if source in SOURCES else "internal", "source_ref": ref,
                            "found_on": api.now().date().isoformat(), "raised_by": str(raised.get("raised_by") or ""),
                            "description": description}
    dept = str(raised.get("dept") or "").strip()
    if dept:
        data["dept"] = dept
    if raised.get("severity") in SEVERITIES:
        data["severity"] = raised["severity"]
    return {"form": FORM, "data": data}


__all__ = ["report_for"]
