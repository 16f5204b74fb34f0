"""The management review's rules beyond the form's schema, and its vetoes.

* the inputs hold every 9.3.2 heading, in the standard's order (they are gathered, not typed);
* the period runs forwards, the meeting is not before the period starts;
* outputs are numbered 1, 2, 3 … and are not done before the meeting;
* the figures of a draft change only by being gathered again (``qms review gather``), never by hand;
* what the meeting saw and decided does not change afterwards: the inputs (and the period they
  were gathered for) are frozen once the meeting is held, the conclusion and the outputs' decisions
  once the 总经理 has signed; then only an output's done date and result may be filled in;
* a review closes only when every output is done.
"""

from __future__ import annotations

from typing import Any

from qms import api

from qms_review import inputs
from qms_review.workflow import FORM

#: Fields fixed once the meeting was held (the snapshot and what it was gathered for).
FROZEN_WHEN_HELD = ("period_start", "period_end", "gathered_at", "sources", "previous_review")
#: Fields fixed once the report is approved (signed).
FROZEN_WHEN_APPROVED = ("held_at", "venue", "chair", "attendees", "conclusion")
#: What may still change on an output after approval: its progress.
PROGRESS = ("done_at", "result")


def problems(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every problem with a review's data, one per line."""
    if form != FORM:
        return []
    out: list[dict[str, str]] = []
    missing = inputs.missing_headings(data.get("inputs"))
    if missing:
        out.append({"path": "inputs", "message": "must hold every ISO 9001 9.3.2 input in order, gathered with "
                    "`qms review gather`; missing: " + "; ".join(missing)})
    start, end = api.parse_date(data.get("period_start")), api.parse_date(data.get("period_end"))
    if start and end and end < start:
        out.append({"path": "period_end", "message": f"must not be earlier than the period start {start}"})
    held = api.parse_time(data.get("held_at"))
    if held and start and held.date() < start:
        out.append({"path": "held_at", "message": f"must not be earlier than the period start {start}"})
    outputs = data.get("outputs") or []
    numbers = [o.get("no") for o in outputs]
    if numbers != list(range(1, len(outputs) + 1)):
        out.append({"path": "outputs", "message": "must be numbered 1, 2, 3 … in order (`qms review output` numbers them)"})
    for i, o in enumerate(outputs):
        done = api.parse_date(o.get("done_at"))
        if done and held and done < held.date():
            out.append({"path": f"outputs[{i}].done_at", "message": f"must not be earlier than the meeting on {held.date()}"})
        if done and not str(o.get("result") or "").strip():
            out.append({"path": f"outputs[{i}].result", "message": "say what was done when giving the done date"})
    if record is not None:
        out.extend(_frozen(record, data))
    return out


def _frozen(record: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """Changes to what the meeting saw (after it was held) or decided (after approval)."""
    state, before = record.get("state"), record.get("data") or {}
    out = []
    # Figures come from `qms review gather`, which stamps a new gathered_at; a change without one was typed.
    if state == "draft" and before.get("gathered_at") == data.get("gathered_at") and \
            _without_assessments(before.get("inputs")) != _without_assessments(data.get("inputs")):
        out.append({"path": "inputs", "message": "are gathered from the system, not typed; gather them again "
                    "with `qms review gather`"})
    if state != "draft":
        for key in ("inputs", *FROZEN_WHEN_HELD):
            # Assessments typed at the meeting may still be written until approval; the figures may not change.
            if key == "inputs" and state == "held":
                if _without_assessments(before.get(key)) != _without_assessments(data.get(key)):
                    out.append({"path": key, "message": "the figures the meeting saw are kept as gathered; "
                                "only each input's assessment may still be written"})
            elif before.get(key) != data.get(key):
                out.append({"path": key, "message": f"is kept as the meeting saw it once the review is {state}"})
    if state in ("approved", "closed"):
        for key in FROZEN_WHEN_APPROVED:
            if before.get(key) != data.get(key):
                out.append({"path": key, "message": "was approved by the 总经理 and cannot change; "
                            "decide anew in the next review"})
        if before.get("inputs") != data.get("inputs"):
            out.append({"path": "inputs", "message": "were approved by the 总经理 and cannot change"})
        old, new = before.get("outputs") or [], data.get("outputs") or []
        decided = [{k: v for k, v in o.items() if k not in PROGRESS} for o in old]
        if len(old) != len(new) or decided != [{k: v for k, v in o.items() if k not in PROGRESS} for o in new]:
            out.append({"path": "outputs", "message": "the approved decisions cannot change; only an output's done "
                        "date and result may be filled in (`qms review done`)"})
    return out


def _without_assessments(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{k: v for k, v in i.items() if k != "assessment"} if isinstance(i, dict) else i for i in value]


def vetoes(record: dict[str, Any], target: str) -> list[str]:
    """A review closes only when every output is done."""
    if record.get("form") != FORM or target != "closed":
        return []
    open_ = [f"{o.get('no')} {o.get('action', '')[:30]}" for o in record.get("data", {}).get("outputs") or []
             if not o.get("done_at")]
    if open_:
        return [f"outputs not yet done: {'; '.join(open_)}; record each with `qms review done {record['number']} NO`"]
    return []


__all__ = ["problems", "vetoes"]
