"""Record layouts for the PDFs: the repair order with its service voucher, and the printable pass card.

Both start from the core's generic layout (every field, bilingual labels, values escaped) and add
what a person handles on paper: the voucher the customer signs, the card that goes behind the
windscreen. The HTML is in ``templates/repair.html.j2`` and ``templates/pass.html.j2``; this module
only gathers the values, and the templates escape every value typed by a user.
"""

from __future__ import annotations

import copy
from typing import Any

from markupsafe import Markup

from qms import api
from qms.api import generic_record_html

from qms_property.due import due_at, limits_of
from qms_property.forms import PASS, REPAIR, SERVICE_CLASSES, YELLOW, deposit_held

CARD_COLOURS = {YELLOW: "#ffe066", "浅绿色": "#c9f2c7"}
#: Pass states in which the card is no longer valid, and why.
VOID = {"renewed": "已换新证 renewed", "refunded": "已交回 returned", "closed": "已交回 returned",
        "returned": "已交回 returned", "lost": "已挂失 reported lost"}
_BOX = "border:1.2pt solid #1f3b63; padding:3mm 4mm; margin:4mm 0; page-break-inside:avoid;"


def _generic_without(record: dict[str, Any], form: dict[str, Any], names: set[str]) -> Markup:
    """The generic layout with ``names`` left out (they get their own layout below), and no empty sections."""
    trimmed = copy.deepcopy(form)
    trimmed["sections"] = [{**s, "fields": [f for f in s.get("fields", []) if f not in names]}
                           for s in form.get("sections") or []]
    trimmed["sections"] = [s for s in trimmed["sections"] if s["fields"]]
    shown = {**record, "data": {k: v for k, v in record.get("data", {}).items() if k not in names}}
    return Markup(generic_record_html(shown, trimmed))


def materials_total(data: dict[str, Any]) -> float:
    """The value of the materials used (quantity × unit price, where priced)."""
    return round(sum(float(m.get("qty", 0)) * float(m.get("unit_price", 0) or 0) for m in data.get("materials") or []), 2)


def repair_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The repair order: its fields, time limits against actual times, materials, and the service voucher."""
    data = record.get("data", {})
    limits = limits_of(data)
    charge = data.get("charge")
    cls = str(data.get("service_class", ""))
    return str(api.templates("qms_property").render(
        "repair.html.j2",
        body=_generic_without(record, form, {"materials", "limits", "response_due", "arrival_due", "visit_due"}),
        times=[("首次响应 First response", limits["response"], due_at(data, "response"), data.get("responded_at")),
               ("到场 Arrival", limits["arrival"], due_at(data, "arrival"), data.get("arrived_at")),
               ("回访 Return visit", limits["visit"], due_at(data, "visit"), data.get("visited_at"))],
        materials=[(m.get("name", ""), f"{m.get('qty', '')}", m.get("unit", ""),
                    f"{m['unit_price']:.2f}" if isinstance(m.get("unit_price"), (int, float)) else "—")
                   for m in data.get("materials") or []],
        materials_total=f"{materials_total(data):.2f}", box=_BOX,
        voucher=[("派工单号 Repair order", record.get("number", "")),
                 ("客户 Customer", f"{data.get('customer_name', '')}　{data.get('building', '')} {data.get('unit', '')}"),
                 ("报修类别 Service class", SERVICE_CLASSES.get(cls, cls)),
                 ("维修内容 Work done", data.get("work_done") or "—"),
                 ("维修人员 Technician", data.get("technician") or "—"),
                 ("到场 / 完工 Arrived / completed",
                  f"{api.show_time(data.get('arrived_at'))} / {api.show_time(data.get('completed_at'))}"),
                 ("材料合计 Materials", f"{materials_total(data):.2f} 元"),
                 ("应收费用 Charge", f"{charge:.2f} 元" if isinstance(charge, (int, float)) else "—")],
        signed_by=data.get("voucher_signed_by"), signed_at=data.get("voucher_signed_at"),
        refused=data.get("voucher_refused"), refusal_reason=data.get("voucher_refusal_reason", "")))


def pass_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The printable pass card, a cut line, then the register entry with the deposit account."""
    data = record.get("data", {})
    colour = str(data.get("colour", ""))
    background = CARD_COLOURS.get(colour, "#ffffff")
    return str(api.templates("qms_property").render(
        "pass.html.j2",
        style=(f"width:120mm; min-height:72mm; border:1.5pt dashed #333; background:{background}; padding:5mm 6mm; "
               f"margin:3mm auto 6mm; text-align:center; page-break-inside:avoid;"),
        plate=data.get("plate", ""), category=data.get("vehicle_category", ""), colour=colour,
        validity=f"有效期至 Valid until {data['valid_until']}" if data.get("valid_until") else "长期有效 No expiry",
        dept=data.get("handling_dept") or "—", issued=str(data.get("issued_at", ""))[:10] or "—",
        number=record.get("number", ""), void=VOID.get(str(record.get("state"))),
        body=Markup(generic_record_html(record, form)),
        deposit=[("收取 Paid on this pass", f"{float(data.get('deposit') or 0):.2f} 元"),
                 ("转入 Carried over", f"{float(data.get('deposit_carried') or 0):.2f} 元"),
                 ("转出 Moved to the new pass", f"{float(data.get('deposit_transferred') or 0):.2f} 元"),
                 ("已退 Refunded", f"{float(data.get('refund_amount') or 0):.2f} 元"),
                 ("尚存 Still held", f"{deposit_held(data):.2f} 元")]))


def render(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """This plugin's layout for a record, or ``None`` for forms it leaves to the generic layout."""
    if record.get("form") == REPAIR:
        return repair_html(record, form)
    if record.get("form") == PASS:
        return pass_html(record, form)
    return None
