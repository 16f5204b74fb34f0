"""Project deadlines the workflow declarations cannot express, as due items (QP-8.3-01 §6).

* the current stage's node limit of every running project (``24h`` for the fit-out briefing,
  ``1wd``/``3wd``/``10wd`` for the inspection nodes …), counted in working days on the Chinese
  calendar from when the stage started;
* every open condition of a conditional gate (有条件通过), due on its date;
* every open rectification order (整改通知单), due at its deadline;
* every open condition of a conditional scope confirmation at close-out.

The accident report's one-day limit is a workflow ``Deadline`` of QR-8.3-05 and comes from the core.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api
from qms.api import WorkCalendar

from qms_projects import forms as f
from qms_projects import progress as pg
from qms_projects import project_templates as tpl


def project_items(facts: pg.Facts, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The open due items of one project."""
    if facts.project.get("state") == "closed":
        return []
    data = facts.data
    name = data.get("name", "")
    prog = pg.progress(facts)
    items: list[dict[str, Any]] = []
    stage = pg.current_stage(facts, prog)
    due = pg.stage_due(facts, calendar, prog)
    if stage is not None and due is not None and prog.running:
        index = prog.index + 1
        items.append({
            "kind": "project-node", "ref": facts.number, "due": due.isoformat(), "overdue": now > due,
            "title": f"{name}: 节点 {index} {tpl.stage_label(stage)} 时限 {tpl.stage_limit(stage, data)} limit",
            "owner": pg.lead_of(facts, stage) or "", "dept": facts.project.get("dept", ""),
            "stage": stage["id"], "limit": tpl.stage_limit(stage, data), "started": prog.stage_started,
        })
    for c in data.get("conditions") or []:
        # A condition runs to the end of its due date; the form validated that date when it was filed.
        at = api.end_of(c.get("due"))
        if not c.get("closed_on") and at is not None:
            items.append({"kind": "project-condition", "ref": facts.number, "due": at.isoformat(), "overdue": now > at,
                          "title": f"{name}: 关口条件 condition of {c['gate']}: {c['text']}", "owner": c["owner"],
                          "dept": facts.project.get("dept", ""), "gate": c["gate"]})
    for z in facts.of(f.RECTIFICATION):
        deadline = api.parse_time(z["data"].get("deadline"))
        if z.get("state") != "verified" and deadline is not None:
            items.append({"kind": "project-rectification", "ref": z["number"], "due": deadline.isoformat(),
                          "overdue": now > deadline, "title": f"{name}: 整改 rectify {z['data'].get('problem', '')[:60]}",
                          "owner": z["data"].get("responsible", ""), "dept": z.get("dept", ""), "project": facts.number})
    for jx in facts.of(f.CLOSEOUT):
        if jx.get("state") == "approved":
            for c in (jx["data"].get("scope_confirmation") or {}).get("conditions") or []:
                at = api.end_of(c.get("due"))
                if not c.get("closed_on") and at is not None:
                    items.append({"kind": "project-condition", "ref": jx["number"], "due": at.isoformat(),
                                  "overdue": now > at, "title": f"{name}: 范围确认条件 scope condition: {c['text']}",
                                  "owner": c["owner"], "dept": jx.get("dept", ""), "project": facts.number})
    return items


def items(query: pg.Query, now: datetime, calendar: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """Every open project due item."""
    cal = calendar or WorkCalendar()
    return [item for facts in pg.gather_all(query) for item in project_items(facts, now, cal)]


__all__ = ["items", "project_items"]
