"""A generated report as a controlled PDF page: any plugin's HTML body under the record-style header and stamp.

Plugins that produce an analysis (the monthly complaint report for the management review, an
equipment calibration summary) hand their already-escaped HTML body and its figures as plain data
to ``report_page``; the page carries the organisation, the report's reference and period, the
报告 REPORT stamp, "page N of M", and the figures embedded as ``report.json`` so an auditor can
check the numbers offline. Like every page here it is deterministic: the same input gives the
same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from qms.render.page import Attached, Page, render_template, w3c_date
from qms.render.stamp import Stamp


def report_page(
    body_html: str,
    *,
    ref: str,
    title: str,
    title_en: str,
    organisation: dict[str, str],
    generated_at: str,
    generated_by: str = "",
    period: str = "",
    procedure: str = "",
    data: Any = None,
) -> Page:
    """The PDF page of a generated report.

    :param body_html: the report body; the caller has escaped every user-typed string in it.
    :param ref: the report's reference, e.g. ``QP-8.2-01/2026-11``, shown in the header and stamp.
    :param generated_at: ISO date-time the figures were computed at (fixes the PDF's dates).
    :param data: the figures as plain data, embedded as ``report.json`` when given.
    """
    stamp = Stamp("report", "报告", "REPORT", f"{ref} · 生成 Generated {generated_at[:16].replace('T', ' ')}")
    html = render_template(
        "report.html.j2",
        ref=ref, title=title, title_en=title_en, organisation=organisation, stamp=stamp, body=Markup(body_html),
        period=period, procedure=procedure, generated_at=generated_at, generated_by=generated_by,
        meta={
            "title": f"{title} {ref}", "author": organisation.get("name", ""), "subject": f"{procedure} {ref}".strip(),
            "keywords": ", ".join(x for x in (ref, procedure, period, "报告 report") if x),
            "created": w3c_date(generated_at),
        },
    )
    attachments: tuple[Attached, ...] = ()
    if data is not None:
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, default=str).encode("utf-8")
        attachments = (Attached(name="report.json", data=raw, at=generated_at[:19],
                                description=f"报告 {ref} 的数据 Figures of report {ref} (JSON)"),)
    return Page(html=html, attachments=attachments, title=f"{ref} {title}")


__all__ = ["report_page"]
