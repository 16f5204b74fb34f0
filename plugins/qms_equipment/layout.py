"""HTML bodies: the equipment card with its history, the A4 sheet of status labels, the calibration record.

The HTML is in ``templates/card.html.j2``, ``templates/labels.html.j2`` and
``templates/calibration_record.html.j2``; this module only gathers the values, and the templates
escape every value that comes from a record. The bodies are handed to the core's ``report_page``
(card, labels) or record renderer (calibration record) for the controlled PDF.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from qms import api
from qms.api import generic_record_html

from qms_equipment import calibration, register, status

#: Status label → its English line on the printed label.
LABEL_EN = {"合格": "PASS", "准用": "LIMITED USE", "停用": "DO NOT USE"}


def _due_text(record: dict[str, Any]) -> str:
    """The computed next due date of a calibration, or why there is none."""
    if (record.get("data") or {}).get("result") == "不合格":
        return "— 不合格，停用 failed: out of use"
    due = calibration.due_of(record)
    return due.isoformat() if due else "—"


def _change(entry: dict[str, Any]) -> list[Any]:
    """One status change of the card's history: when, who, from → to, why."""
    source = status.zh(str(entry.get("from"))) if entry.get("from") else "—"
    return [api.show_time(entry.get("at")), entry.get("actor"), f"{source} → {status.zh(str(entry.get('to')))}",
            entry.get("note")]


def approval_rows(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The purchase approval: the signature (signer, post, time), the wait for it, or an old card's typed approver."""
    from qms_equipment.workflow import PURCHASE_APPROVED

    label = "采购批准 Purchase approval"
    sig = next((s for s in reversed(card.get("signatures") or []) if s.get("meaning") == PURCHASE_APPROVED), None)
    if sig is not None:
        who = f"{sig.get('full_name') or sig['name']}（{sig['name']}）"
        return [(label, f"{who} · {api.signer_title(sig)} · 签字 signed {api.show_time(sig.get('at'))}")]
    if card.get("state") == status.AWAITING:
        return [(label, "待物资管理部签字批准，不得使用 awaiting the signature of 物资管理部; not to be used")]
    data = card.get("data") or {}
    if data.get("purchase_approved_by"):
        return [(label, f"{data['purchase_approved_by']} {data.get('purchase_approved_on') or ''}"
                        f"（登记，无签字 typed at registration, unsigned）")]
    return []


def card_html(history: dict[str, Any], form: dict[str, Any]) -> str:
    """The card (its fields as the form lays them out), status in effect, and its whole history."""
    card, row, recs = history["card"], history["row"], history["records"]
    cal = history["calibration"]
    calibration_rows = [] if cal is None else [
        ("上次校准 Last calibration", f"{cal['last_date'] or '—'} {cal['last_result'] or ''}".strip()),
        ("下次校准 Next due (actual date + cycle)", cal["next_due"] or "—"), ("状态标签 Label", row["label"] or "—")]
    return str(api.templates("qms_equipment").render(
        "card.html.j2", equipment_no=row["equipment_no"], card=row["card"],
        state=status.STATES.get(row["state"], row["state"]), differs=row["differs"],
        stored=status.STATES.get(row["stored_state"], ""), reason=row["status_reason"], calibration=calibration_rows,
        approval=approval_rows(card),
        body=Markup(generic_record_html(card, form)),
        attachments=[[a["number"], a["data"].get("name"), a["data"].get("model"), a["data"].get("serial_no"),
                      status.STATES.get(a["state"], a["state"])] for a in history["attachments"]],
        changes=[_change(h) for h in card.get("history", []) if h.get("action") in ("file", "move")],
        maintenance=[[r["number"], r["data"].get("level"), r["data"].get("replanned_date") or r["data"].get("planned_date"),
                      r["data"].get("performed_date"), r["data"].get("performer"), r["data"].get("result"), r["state"]]
                     for r in recs[register.FORM_MAINTENANCE]],
        repairs=[[r["number"], r["data"].get("kind"), api.show_time(r["data"].get("stopped_at")),
                  api.show_time(r["data"].get("restored_at")), r["data"].get("fault"),
                  " / ".join(x for x in (r["data"].get("cause"), r["data"].get("work_done")) if x), r["state"]]
                 for r in recs[register.FORM_REPAIR]],
        # Only measuring equipment has a calibration section, shown even while it is empty.
        calibrations=[[r["number"], r["data"].get("cal_mode"), r["data"].get("calibration_date"),
                       f"{r['data'].get('cycle_months')} 月", _due_text(r), r["data"].get("certificate_no"),
                       r["data"].get("provider"), r["data"].get("result"), r["state"]]
                      for r in recs[register.FORM_CALIBRATION]] if card["data"].get("measuring") else None,
        accidents=[[r["number"], api.show_time(r["data"].get("occurred_at")), r["data"].get("severity"),
                    r["data"].get("description"), r["state"]] for r in recs[register.FORM_ACCIDENT]],
        scrapping=[[r["number"], r["data"].get("appraisal_opinion"),
                    r["data"].get("replacement_no") or f"不更新 none: {r['data'].get('no_replacement_reason', '')}",
                    " ".join(str(x) for x in (r["data"].get("disposal_method"), r["data"].get("disposal_date")) if x),
                    r["state"]] for r in recs[register.FORM_SCRAP]]))


def labels_html(rows: list[dict[str, Any]], columns: int = 3) -> str:
    """An A4 sheet of status labels: 合格 / 准用 / 停用, number, name, last and next calibration date."""
    labels: list[dict[str, Any] | None] = []
    for r in rows:
        label = r["label"] or "停用"
        labels.append({"label": label, "en": LABEL_EN[label], "equipment_no": r["equipment_no"], "name": r["name"],
                       "calibrated": r["last_calibration"] or "—", "due": r["next_due"] or "—", "dept": r["dept"]})
    labels += [None] * (-len(labels) % columns)  # blank cells fill the last row
    return str(api.templates("qms_equipment").render(
        "labels.html.j2", rows=[labels[i:i + columns] for i in range(0, len(labels), columns)]))


def calibration_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """A calibration record: the generic layout plus its next due date, computed (never typed)."""
    if record.get("form") != register.FORM_CALIBRATION:
        return None
    # The generic layout is already safe markup, so it goes in as Markup.
    return str(api.templates("qms_equipment").render("calibration_record.html.j2", due=_due_text(record),
                                                     body=Markup(generic_record_html(record, form))))


__all__ = ["approval_rows", "calibration_record_html", "card_html", "labels_html"]
