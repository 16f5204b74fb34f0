"""Record layouts for the PDFs: the repair order with its service voucher, and the printable pass card.

Both start from the core's generic layout (every field, bilingual labels, values escaped) and add
what a person handles on paper: the voucher the customer signs, the card that goes behind the
windscreen. Every value typed by a user passes through ``markupsafe.escape``.
"""

from __future__ import annotations

import copy
from typing import Any

from markupsafe import Markup

from qms.api import generic_record_html

from qms_property import timing
from qms_property.forms import PASS, REPAIR, SERVICE_CLASSES, YELLOW, deposit_held

CARD_COLOURS = {YELLOW: "#ffe066", "浅绿色": "#c9f2c7"}
#: Pass states in which the card is no longer valid, and why.
VOID = {"renewed": "已换新证 renewed", "refunded": "已交回 returned", "closed": "已交回 returned",
        "returned": "已交回 returned", "lost": "已挂失 reported lost"}
_BOX = "border:1.2pt solid #1f3b63; padding:3mm 4mm; margin:4mm 0; page-break-inside:avoid;"


def _when(value: Any) -> str:
    text = str(value or "")
    return f"{text[:10]} {text[11:16]}" if len(text) >= 16 and text[10] == "T" else (text or "—")


def _generic_without(record: dict[str, Any], form: dict[str, Any], names: set[str]) -> Markup:
    """The generic layout with ``names`` left out (they get their own layout below), and no empty sections."""
    trimmed = copy.deepcopy(form)
    trimmed["sections"] = [{**s, "fields": [f for f in s.get("fields", []) if f not in names]}
                           for s in form.get("sections") or []]
    trimmed["sections"] = [s for s in trimmed["sections"] if s["fields"]]
    shown = {**record, "data": {k: v for k, v in record.get("data", {}).items() if k not in names}}
    return Markup(generic_record_html(shown, trimmed))


def _rows(rows: list[tuple[str, Any]]) -> Markup:
    return Markup("").join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, v) for k, v in rows)


def materials_total(data: dict[str, Any]) -> float:
    """The value of the materials used (quantity × unit price, where priced)."""
    return round(sum(float(m.get("qty", 0)) * float(m.get("unit_price", 0) or 0) for m in data.get("materials") or []), 2)


def repair_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The repair order: its fields, time limits against actual times, materials, and the service voucher."""
    data = record.get("data", {})
    body = _generic_without(record, form, {"materials", "limits", "response_due", "arrival_due", "visit_due"})
    limits = timing.limits_of(data)
    arrival_due = timing.due(data, "arrival")
    response_due = timing.due(data, "response")
    visit_due = timing.due(data, "visit")
    timing_rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(zh, limit, _when(due.isoformat() if due else ""),
                                                                            _when(actual))
        for zh, limit, due, actual in (
            ("首次响应 First response", limits["response"], response_due, data.get("responded_at")),
            ("到场 Arrival", limits["arrival"], arrival_due, data.get("arrived_at")),
            ("回访 Return visit", limits["visit"], visit_due, data.get("visited_at")),
        ))
    times = Markup('<section class="form-section"><h3>时限与实际 Time limits and actual times</h3><table style="margin-top:0">'
                   '<thead><tr><th>事项 Item</th><th>时限 Limit</th><th>应于 Due</th><th>实际 Actual</th></tr></thead>{}</table></section>'
                   ).format(timing_rows)
    items = data.get("materials") or []
    mat_rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            m.get("name", ""), f"{m.get('qty', '')}", m.get("unit", ""),
            f"{m['unit_price']:.2f}" if isinstance(m.get("unit_price"), (int, float)) else "—") for m in items)
    materials = Markup('<section class="form-section"><h3>所用材料 Materials</h3><table style="margin-top:0">'
                       '<thead><tr><th>名称 Item</th><th>数量 Qty</th><th>单位 Unit</th><th>单价（元） Unit price</th></tr></thead>{}'
                       '<tr><th colspan="3">材料合计 Materials total</th><td>{}</td></tr></table></section>'
                       ).format(mat_rows or Markup('<tr><td colspan="4" class="empty">—</td></tr>'), f"{materials_total(data):.2f}")
    charge = data.get("charge")
    cls = str(data.get("service_class", ""))
    if data.get("voucher_signed_by"):
        sign = Markup("<b>{}</b>　{}").format(data["voucher_signed_by"], _when(data.get("voucher_signed_at")))
    elif data.get("voucher_refused"):
        sign = Markup("客户拒签 Refused to sign：{}").format(data.get("voucher_refusal_reason", ""))
    else:
        sign = Markup('<span class="empty">（待客户签字 awaiting the customer\'s signature）</span>')
    voucher = Markup('<section style="{}"><h3 style="margin-top:0">服务凭证 <span class="en">Service voucher</span></h3>'
                     '<table class="fields">{}</table>'
                     '<p class="note">客户签字确认维修已完成；对服务有意见请致电 7×24 服务热线。The customer signs to confirm the work; '
                     'comments to the 7×24 service line.</p></section>').format(Markup(_BOX), _rows([
                         ("派工单号 Repair order", record.get("number", "")),
                         ("客户 Customer", f"{data.get('customer_name', '')}　{data.get('building', '')} {data.get('unit', '')}"),
                         ("报修类别 Service class", SERVICE_CLASSES.get(cls, cls)),
                         ("维修内容 Work done", data.get("work_done") or "—"),
                         ("维修人员 Technician", data.get("technician") or "—"),
                         ("到场 / 完工 Arrived / completed", f"{_when(data.get('arrived_at'))} / {_when(data.get('completed_at'))}"),
                         ("材料合计 Materials", f"{materials_total(data):.2f} 元"),
                         ("应收费用 Charge", f"{charge:.2f} 元" if isinstance(charge, (int, float)) else "—"),
                         ("客户签字 Customer signature", sign),
                     ]))
    return str(body + times + materials + voucher)


def pass_card_html(record: dict[str, Any]) -> Markup:
    """The card itself: number, plate, colour, category, validity, handling department."""
    data = record.get("data", {})
    colour = str(data.get("colour", ""))
    background = CARD_COLOURS.get(colour, "#ffffff")
    validity = f"有效期至 Valid until {data['valid_until']}" if data.get("valid_until") else "长期有效 No expiry"
    style = (f"width:120mm; min-height:72mm; border:1.5pt dashed #333; background:{background}; padding:5mm 6mm; "
             f"margin:3mm auto 6mm; text-align:center; page-break-inside:avoid;")
    return Markup(
        '<div class="pass-card" style="{style}">'
        '<div style="font-size:15pt; font-weight:bold; letter-spacing:3pt">园区车辆通行证</div>'
        '<div class="en" style="font-size:9pt">PARK VEHICLE PASS</div>'
        '<div style="font-size:26pt; font-weight:bold; margin:4mm 0 2mm; letter-spacing:2pt">{plate}</div>'
        '<div style="font-size:11pt">{category}　·　{colour}</div>'
        '<div style="font-size:12pt; font-weight:bold; margin:2mm 0">{validity}</div>'
        '<div style="font-size:9pt">承办部门 Handling dept: {dept}　发证 Issued: {issued}</div>'
        '<div style="font-size:10pt; margin-top:2mm">No. {number}</div>{void}'
        '</div>'
    ).format(void=Markup('<div style="font-size:14pt; font-weight:bold; color:#b00000; margin-top:2mm">'
                         '已作废 VOID — {}</div>').format(VOID[record["state"]]) if record.get("state") in VOID else "",
             style=Markup(style), plate=data.get("plate", ""), category=data.get("vehicle_category", ""),
             colour=colour, validity=validity, dept=data.get("handling_dept") or "—",
             issued=str(data.get("issued_at", ""))[:10] or "—", number=record.get("number", ""))


def pass_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The printable pass card, a cut line, then the register entry with the deposit account."""
    data = record.get("data", {})
    cut = Markup('<p class="note" style="text-align:center">✂ ─ ─ ─ 沿虚线剪下 Cut along the dashed line ─ ─ ─</p>')
    deposit = Markup('<section class="form-section"><h3>押金 Deposit account</h3><table class="fields">{}</table></section>').format(
        _rows([("收取 Paid on this pass", f"{float(data.get('deposit') or 0):.2f} 元"),
               ("转入 Carried over", f"{float(data.get('deposit_carried') or 0):.2f} 元"),
               ("转出 Moved to the new pass", f"{float(data.get('deposit_transferred') or 0):.2f} 元"),
               ("已退 Refunded", f"{float(data.get('refund_amount') or 0):.2f} 元"),
               ("尚存 Still held", f"{deposit_held(data):.2f} 元")]))
    return str(pass_card_html(record) + cut + Markup(generic_record_html(record, form)) + deposit)


def render(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """This plugin's layout for a record, or ``None`` for forms it leaves to the generic layout."""
    if record.get("form") == REPAIR:
        return repair_html(record, form)
    if record.get("form") == PASS:
        return pass_html(record, form)
    return None
