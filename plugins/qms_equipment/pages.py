"""The controlled PDF pages of the plugin: an equipment card with its history, and the label sheet.

Both go through the core's ``qms.render.report.report_page`` (header, stamp, page N of M, the data
embedded as JSON); the plugin supplies only the escaped HTML body.
"""

from __future__ import annotations

from typing import Any


from qms import api
from qms.api import App, organisation, Page, report_page

from qms_equipment import layout, register


def card_page(app: App, history: dict[str, Any]) -> Page:
    """The equipment card (设备卡片) of one piece of equipment with its whole history."""
    rec = history["card"]
    form = api.load_form(app, rec["form"], rec["form_edition"])
    no = rec["data"]["equipment_no"]
    return report_page(
        layout.card_html(history, form), ref=no, title=f"设备卡片 {no} {rec['data'].get('name', '')}", title_en=f"Equipment Card {rec['number']}", organisation=organisation(app),
        generated_at=api.stamp(), generated_by=app.actor_name or "", procedure=f"QP-7.1-01 / {register.FORM_CARD}",
        period=f"截至 as of {api.now().date()}", data={"row": history["row"], "card": rec, "records": history["records"]},
    )


def labels_page(app: App, rows: list[dict[str, Any]]) -> Page:
    """An A4 sheet of calibration status labels."""
    today = api.now().date().isoformat()
    return report_page(
        layout.labels_html(rows), ref=f"LABELS-{today}", title="计量器具状态标签", title_en="Status labels",
        organisation=organisation(app), generated_at=api.stamp(), generated_by=app.actor_name or "",
        procedure="QP-7.1-01 5.8.4", period=f"{len(rows)} 张 labels, {today}",
        data=[{k: r[k] for k in ("equipment_no", "card", "name", "label", "last_calibration", "next_due", "dept")} for r in rows],
    )


__all__ = ["card_page", "labels_page"]
