"""The one due-items engine: every open deadline of records, plugins and document reviews.

Three sources, one item shape ``{"kind", "ref", "title", "due" (ISO date-time), "owner", "dept",
"overdue"}``:

* the deadlines workflows declare (``Deadline``: a limit such as ``"30min"`` or ``"7wd"`` counted
  from a field or from entering a state, open until the record reaches one of ``until`` or closes);
* whatever plugins add through ``qms_due_items`` (calibration due dates, pass expiry);
* periodic reviews of controlled documents (``qms.documents.review_due_items``).

Working days come from ``qms.workdays``; ``DueList.notes`` says when a year had no official
holiday data. The record scan reads the store's cached buckets without copying and skips closed
records first, so it stays well under two seconds at a hundred thousand records.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import clock, forms, records
from qms.errors import PluginError
from qms.registry import Deadline, Workflow
from qms.workdays import WorkCalendar, parse_limit

if TYPE_CHECKING:
    from qms.app import App


@dataclass
class DueList:
    """The due items at ``now`` and any note about how working days were counted."""

    now: datetime
    items: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the site."""
        return {"now": self.now.isoformat(), "items": self.items, "notes": self.notes}


def _start(deadline: Deadline, record: dict[str, Any]) -> datetime | None:
    """When the deadline's clock started for this record, or ``None`` if it has not."""
    kind, _, name = deadline.start.partition(":")
    if kind == "field":
        return records.parse_time(record["data"].get(name))
    if kind == "state":
        for entry in record.get("history", []):
            if entry.get("to") == name:
                return records.parse_time(entry.get("at"))
        return None
    raise PluginError(f"deadline {deadline.id} of {record['form']} starts at {deadline.start!r}; "
                      f"write 'field:NAME' or 'state:NAME'")


def _reached(deadline: Deadline, record: dict[str, Any]) -> bool:
    """Whether the record has reached one of the states that end the deadline."""
    if not deadline.until:
        return False
    if record["state"] in deadline.until:
        return True
    return any(entry.get("to") in deadline.until for entry in record.get("history", []))


def record_deadlines(record: dict[str, Any], workflow: Workflow, calendar: WorkCalendar, now: datetime,
                     title: str = "") -> list[dict[str, Any]]:
    """The open deadlines of one record as due items (none once it is closed)."""
    if record.get("closed"):
        return []
    items = []
    for deadline in workflow.deadlines:
        if deadline.when and not record["data"].get(deadline.when):
            continue
        if _reached(deadline, record):
            continue
        start = _start(deadline, record)
        if start is None:
            continue
        due = calendar.due(start, parse_limit(deadline.limit))
        items.append({
            "kind": "record", "ref": record["number"], "title": f"{deadline.label} — {title or record['form']}",
            "due": due.isoformat(), "owner": deadline.owner or record.get("created_by", ""),
            "dept": record.get("dept", ""), "overdue": now > due, "deadline": deadline.id,
            "limit": deadline.limit, "form": record["form"], "state": record["state"],
        })
    return items


def _form_titles(app: App) -> dict[str, str]:
    return {str(f["number"]): str(f.get("title", "")) for f in forms.list_forms(app)}


def _plugin_items(app: App, now: datetime) -> list[dict[str, Any]]:
    def query(form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        return records.list_records(app, form, state) if not fields else [
            r for r in records.list_records(app, form, state) if all(r.get(k) == v for k, v in fields.items())]

    try:
        found = app.host.due_items(query, now)
    except Exception as exc:
        raise PluginError(f"a plugin failed while listing due items: {type(exc).__name__}: {exc}") from exc
    items = []
    for item in found:
        if not isinstance(item, dict) or "due" not in item or "ref" not in item:
            raise PluginError(f"a plugin returned {item!r} from qms_due_items; expected kind, ref, title, due, owner, dept")
        due = item["due"]
        moment = datetime.fromisoformat(due) if isinstance(due, str) else due
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, datetime.max.time()).replace(microsecond=0)
        out = {"kind": "plugin", "title": "", "owner": "", "dept": "", **json.loads(json.dumps(item, default=str))}
        out["due"] = moment.isoformat()
        out.setdefault("overdue", now > moment)
        items.append(out)
    return items


def _document_items(app: App, now: datetime) -> list[dict[str, Any]]:
    # Documents are another capability; a workspace without it simply has no review items.
    if importlib.util.find_spec("qms.documents") is None:
        return []
    documents = importlib.import_module("qms.documents")
    review = getattr(documents, "review_due_items", None)
    return list(review(app, now)) if review is not None else []


def due_items(app: App, now: datetime | None = None, dept: str | None = None,
              calendar: WorkCalendar | None = None) -> DueList:
    """Every open due item, soonest first; ``dept`` keeps those of one department (or owner)."""
    at = now or clock.now()
    cal = calendar or WorkCalendar.from_config(app.workspace.config)
    registry = app.host.registry
    with_deadlines = {form: wf for form, wf in registry.workflows.items() if wf.deadlines}
    items: list[dict[str, Any]] = []
    if with_deadlines:
        titles = _form_titles(app)
        for _, record in app.store.iter(records.COLLECTION):
            if record.get("closed"):
                continue
            workflow = with_deadlines.get(record["form"])
            if workflow is not None:
                items.extend(record_deadlines(record, workflow, cal, at, titles.get(record["form"], "")))
    items.extend(_plugin_items(app, at))
    items.extend(_document_items(app, at))
    if dept:
        items = [i for i in items if dept in (i.get("dept"), i.get("owner"))]
    items.sort(key=lambda i: (i["due"], str(i["ref"])))
    return DueList(now=at, items=items, notes=cal.notes())


def overdue_numbers(app: App, now: datetime | None = None) -> set[str]:
    """Numbers of records with at least one overdue deadline."""
    return {i["ref"] for i in due_items(app, now).items if i["kind"] == "record" and i["overdue"]}


__all__ = ["DueList", "due_items", "overdue_numbers", "record_deadlines"]
