"""HTML bodies: the equipment card with its history, the A4 sheet of status labels, the calibration record.

Every value that comes from a record passes through ``markupsafe.escape`` (``Markup.format``
escapes its arguments). The bodies are handed to the core's ``report_page`` for the controlled PDF.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape


from qms import api
from qms.api import generic_record_html

from qms_equipment import calibration, register, status

LABEL_CSS = Markup("""
<style>
table.labels { table-layout: fixed; border-collapse: separate; border-spacing: 3mm; margin: 0 -3mm; }
table.labels td { border: 1.2pt solid #333; border-radius: 2mm; height: 27mm; padding: 1.5mm 2.5mm; vertical-align: top; }
table.labels td.blank { border: none; }
.lab-head { font-size: 13pt; font-weight: bold; letter-spacing: 2pt; }
.lab-head .en { font-size: 7pt; letter-spacing: 0; font-weight: normal; }
.lab-合格 { background: #e3f4e3; border-color: #1d7a1d !important; } .lab-合格 .lab-head { color: #1d7a1d; }
.lab-准用 { background: #fff6d6; border-color: #a07800 !important; } .lab-准用 .lab-head { color: #8a6800; }
.lab-停用 { background: #fde3e3; border-color: #b00000 !important; } .lab-停用 .lab-head { color: #b00000; }
.lab-no { font-size: 11pt; font-weight: bold; font-family: "Noto Sans Mono CJK SC", monospace; }
.lab-line { font-size: 7.5pt; line-height: 1.35; }
</style>
""")


def _cell(value: Any) -> Markup:
    return escape("—" if value in (None, "", []) else (", ".join(map(str, value)) if isinstance(value, list) else value))


def _table(head: list[str], rows: list[list[Any]], empty: str = "无 None") -> Markup:
    th = Markup("").join(Markup("<th>{}</th>").format(h) for h in head)
    if not rows:
        body = Markup('<tr><td colspan="{}" class="empty">{}</td></tr>').format(len(head), empty)
    else:
        body = Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(_cell(c)) for c in r))
                               for r in rows)
    return Markup('<table class="small"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(th, body)


def _due_text(record: dict[str, Any]) -> str:
    """The computed next due date of a calibration, or why there is none."""
    if (record.get("data") or {}).get("result") == "不合格":
        return "— 不合格，停用 failed: out of use"
    due = calibration.due_of(record)
    return due.isoformat() if due else "—"


def card_html(history: dict[str, Any], form: dict[str, Any]) -> str:
    """The card (its fields as the form lays them out), status in effect, and its whole history."""
    card, row, recs = history["card"], history["row"], history["records"]
    parts: list[Markup] = []
    state_line = Markup("<b>{}</b>").format(status.STATES.get(row["state"], row["state"]))
    if row["differs"]:
        state_line += Markup("　（台账登记 stored: {}；{}）").format(status.STATES.get(row["stored_state"], ""), row["status_reason"])
    elif row["status_reason"]:
        state_line += Markup("　{}").format(row["status_reason"])
    summary_rows = [["设备编号 Equipment No.", Markup("<b>{}</b>").format(row["equipment_no"])],
                    ["卡片记录号 Card record", row["card"]], ["当前状态 Status in effect", state_line]]
    if history["calibration"] is not None:
        cal = history["calibration"]
        summary_rows += [["上次校准 Last calibration", f"{cal['last_date'] or '—'} {cal['last_result'] or ''}".strip()],
                         ["下次校准 Next due (actual date + cycle)", cal["next_due"] or "—"],
                         ["状态标签 Label", row["label"] or "—"]]
    parts.append(Markup('<table class="fields">{}</table>').format(Markup("").join(
        Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, v if isinstance(v, Markup) else _cell(v)) for k, v in summary_rows)))
    parts.append(Markup(generic_record_html(card, form)))
    if history["attachments"]:
        parts.append(Markup("<h2>附属设备 <span class=\"en\">Attachments (same number)</span></h2>"))
        parts.append(_table(["卡片 Card", "名称 Name", "型号 Model", "出厂编号 Serial", "状态 Status"],
                            [[a["number"], a["data"].get("name"), a["data"].get("model"), a["data"].get("serial_no"),
                              status.STATES.get(a["state"], a["state"])] for a in history["attachments"]]))
    parts.append(Markup("<h2>状态变化 <span class=\"en\">Status changes</span></h2>"))
    parts.append(_table(["时间 Time", "操作人 By", "状态 From → to", "理由 Reason"],
                        [[str(h.get("at", ""))[:16].replace("T", " "), h.get("actor"),
                          f"{status.zh(str(h.get('from'))) if h.get('from') else '—'} → {status.zh(str(h.get('to')))}", h.get("note")]
                         for h in card.get("history", []) if h.get("action") in ("file", "move")]))
    parts.append(Markup("<h2>保养记录 <span class=\"en\">Maintenance</span></h2>"))
    parts.append(_table(["记录 Record", "级别 Level", "计划 Planned", "实施 Done", "执行人 By", "结论 Result", "状态 State"],
                        [[r["number"], r["data"].get("level"), r["data"].get("replanned_date") or r["data"].get("planned_date"),
                          r["data"].get("performed_date"), r["data"].get("performer"), r["data"].get("result"), r["state"]]
                         for r in recs[register.FORM_MAINTENANCE]]))
    parts.append(Markup("<h2>维修记录 <span class=\"en\">Repairs</span></h2>"))
    parts.append(_table(["记录 Record", "类别 Kind", "停机 Stopped", "修复 Restored", "故障 Fault", "原因/内容 Cause / work", "状态 State"],
                        [[r["number"], r["data"].get("kind"), str(r["data"].get("stopped_at", ""))[:16].replace("T", " "),
                          str(r["data"].get("restored_at", "") or "")[:16].replace("T", " "), r["data"].get("fault"),
                          " / ".join(x for x in (r["data"].get("cause"), r["data"].get("work_done")) if x), r["state"]]
                         for r in recs[register.FORM_REPAIR]]))
    if card["data"].get("measuring"):
        parts.append(Markup("<h2>校准记录 <span class=\"en\">Calibrations</span></h2>"))
        parts.append(_table(["记录 Record", "方式 Mode", "校准日期 Date", "周期 Cycle", "下次 Next due", "证书 Certificate",
                             "机构 Provider", "结论 Result", "状态 State"],
                            [[r["number"], r["data"].get("cal_mode"), r["data"].get("calibration_date"),
                              f"{r['data'].get('cycle_months')} 月", _due_text(r), r["data"].get("certificate_no"),
                              r["data"].get("provider"), r["data"].get("result"), r["state"]]
                             for r in recs[register.FORM_CALIBRATION]]))
    if recs[register.FORM_ACCIDENT]:
        parts.append(Markup("<h2>机械事故 <span class=\"en\">Accidents</span></h2>"))
        parts.append(_table(["记录 Record", "时间 When", "等级 Severity", "经过 What happened", "状态 State"],
                            [[r["number"], str(r["data"].get("occurred_at", ""))[:16].replace("T", " "), r["data"].get("severity"),
                              r["data"].get("description"), r["state"]] for r in recs[register.FORM_ACCIDENT]]))
    if recs[register.FORM_SCRAP]:
        parts.append(Markup("<h2>报废 <span class=\"en\">Scrapping</span></h2>"))
        parts.append(_table(["记录 Record", "鉴定 Appraisal", "替换 Replacement", "处置 Disposal", "状态 State"],
                            [[r["number"], r["data"].get("appraisal_opinion"),
                              r["data"].get("replacement_no") or f"不更新 none: {r['data'].get('no_replacement_reason', '')}",
                              " ".join(str(x) for x in (r["data"].get("disposal_method"), r["data"].get("disposal_date")) if x),
                              r["state"]] for r in recs[register.FORM_SCRAP]]))
    return str(Markup("").join(parts))


def labels_html(rows: list[dict[str, Any]], columns: int = 3) -> str:
    """An A4 sheet of status labels: 合格 / 准用 / 停用, number, name, last and next calibration date."""
    cells = []
    for r in rows:
        label = r["label"] or "停用"
        en = {"合格": "PASS", "准用": "LIMITED USE", "停用": "DO NOT USE"}[label]
        cells.append(Markup(
            '<td class="lab-{}"><div class="lab-head">{} <span class="en">{}</span></div>'
            '<div class="lab-no">{}</div><div class="lab-line">{}</div>'
            '<div class="lab-line">校准 Calibrated: {}</div><div class="lab-line">有效期至 Next due: {}</div>'
            '<div class="lab-line">{}</div></td>').format(
            label, label, en, r["equipment_no"], r["name"], r["last_calibration"] or "—", r["next_due"] or "—",
            r["dept"]))
    while len(cells) % columns:
        cells.append(Markup('<td class="blank"></td>'))
    body = Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(cells[i:i + columns]))
                           for i in range(0, len(cells), columns))
    return str(LABEL_CSS + Markup('<table class="labels">{}</table>').format(body))


def calibration_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """A calibration record: the generic layout plus its next due date, computed (never typed)."""
    if record.get("form") != register.FORM_CALIBRATION:
        return None
    # The head is a template; the generic layout is already safe markup, so it goes in as Markup.
    return str(api.templates("qms_equipment").render("calibration_record.html.j2", due=_due_text(record),
                                                 body=Markup(generic_record_html(record, form))))


__all__ = ["calibration_record_html", "card_html", "labels_html"]
