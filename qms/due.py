"""The one due-items engine: every open deadline of records, plugins and document reviews.

Three sources, one item shape ``{"kind", "ref", "title", "due" (ISO date-time), "owner", "dept",
"overdue"}``:

* the deadlines workflows declare (``Deadline``: a limit such as ``"30min"`` or ``"7wd"`` counted
  from a field or from entering a state, open until the record reaches one of ``until`` or closes);
* whatever plugins add through ``qms_due_items`` (calibration due dates, pass expiry);
* periodic reviews of controlled documents (``qms.document_reviews.review_due_items``).

Working days come from ``qms.dates``; ``DueList.notes`` says when a year had no official
holiday data. The record scan reads the store's cached buckets without copying and skips closed
records first, so it stays well under two seconds at a hundred thousand records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import clock, forms, records
from qms.audit import digest
from qms.errors import PluginError, UsageError
from qms.registry import Deadline, Workflow
from qms.dates import Limit, WorkCalendar, parse_limit, parse_time

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


def _entered(record: dict[str, Any]) -> dict[str, str]:
    """When the record first entered each state it has been in (the projection carries it ready)."""
    ready = record.get("entered")
    if ready is not None:
        return ready  # type: ignore[no-any-return]
    entered: dict[str, str] = {}
    for entry in record.get("history", []):
        if entry.get("to") and entry["to"] not in entered:
            entered[entry["to"]] = entry.get("at", "")
    return entered


_Plan = tuple[tuple[Deadline, str, str, Limit, frozenset[str]], ...]
# Keyed by identity: hashing a frozen Workflow walks all its states on every call.
_PLANS: dict[int, tuple[Workflow, _Plan]] = {}


def _plan(workflow: Workflow) -> _Plan:
    """Each deadline of a workflow parsed once: (deadline, start kind, start name, limit, until)."""
    known = _PLANS.get(id(workflow))
    if known is not None and known[0] is workflow:
        return known[1]
    plan = []
    for deadline in workflow.deadlines:
        kind, _, name = deadline.start.partition(":")
        if kind not in ("field", "state") or not name:
            raise PluginError(f"deadline {deadline.id} of {workflow.form} starts at {deadline.start!r}; "
                              f"write 'field:NAME' or 'state:NAME'")
        plan.append((deadline, kind, name, parse_limit(deadline.limit), frozenset(deadline.until)))
    _PLANS[id(workflow)] = (workflow, tuple(plan))
    return tuple(plan)


def record_deadlines(record: dict[str, Any], workflow: Workflow, calendar: WorkCalendar, now: datetime,
                     title: str = "") -> list[dict[str, Any]]:
    """The open deadlines of one record as due items (none once it is closed).

    A deadline is open from its start (a field's time, or first entering a state) until the record
    has reached one of its ``until`` states; ``when`` names a field that must be truthy.
    """
    if record.get("closed"):
        return []
    items = []
    entered = _entered(record)
    data = record["data"]
    state = record["state"]
    for deadline, kind, name, limit, until in _plan(workflow):
        if deadline.when and not data.get(deadline.when):
            continue
        if until and (state in until or not until.isdisjoint(entered)):
            continue
        start = parse_time(data.get(name) if kind == "field" else entered.get(name))
        if start is None:
            continue
        due = calendar.due(start, limit)
        items.append({
            "kind": "record", "ref": record["number"], "title": f"{deadline.label} — {title or record['form']}",
            "due": due.isoformat(), "owner": deadline.owner or record.get("created_by", ""),
            "dept": record.get("dept", ""), "overdue": now > due, "deadline": deadline.id,
            "limit": deadline.limit, "form": record["form"], "state": state,
        })
    return items


def _form_titles(app: App, numbers: list[str]) -> dict[str, str]:
    titles = {}
    for number in numbers:
        try:
            titles[number] = str(forms.current_form(app, number).get("title", ""))
        except UsageError:  # a missing or broken form file is reported by `qms check`
            titles[number] = number
    return titles


def _plugin_items(app: App, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    def query(form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        return records.list_records(app, form, state) if not fields else [
            r for r in records.list_records(app, form, state) if all(r.get(k) == v for k, v in fields.items())]

    try:
        found = app.host.due_items(query, now, calendar, app.workspace.config.raw)
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
    from qms.document_reviews import review_due_items

    return review_due_items(app, now)


def _open_records(app: App, workflows: dict[str, Workflow]) -> list[dict[str, Any]]:
    """The open records of forms with deadlines, reduced to what deadlines read.

    Goes through ``Store.project``, whose on-disk cache keeps these few fields per bucket, so a new
    process does not parse every record to find the open ones.
    """
    needs: dict[str, list[str]] = {}
    for form, workflow in workflows.items():
        names = {d.start.partition(":")[2] for d in workflow.deadlines if d.start.startswith("field:")}
        names |= {d.when for d in workflow.deadlines if d.when}
        needs[form] = sorted(names)
    # The projection format is part of the version, so a changed reduce() never reads old rows.
    version = digest({"format": 2,
                      "deadlines": {form: [repr(d) for d in wf.deadlines] for form, wf in sorted(workflows.items())}})

    def reduce(number: str, record: dict[str, Any]) -> dict[str, Any] | None:
        fields = needs.get(record.get("form", ""))
        if fields is None or record.get("closed"):
            return None
        return {"number": number, "form": record["form"], "state": record["state"], "closed": False,
                "dept": record.get("dept", ""), "created_by": record.get("created_by", ""),
                "data": {f: record["data"][f] for f in fields if f in record.get("data", {})},
                "entered": _entered(record)}

    # Only the buckets that hold records of these forms are visited (the bucket index says which).
    return app.store.project(records.COLLECTION, "open-deadlines", version, reduce, form=frozenset(workflows))


def due_items(app: App, now: datetime | None = None, dept: str | None = None,
              calendar: WorkCalendar | None = None) -> DueList:
    """Every open due item, soonest first; ``dept`` keeps those of one department (or owner)."""
    at = now or clock.now()
    cal = calendar or app.calendar
    registry = app.host.registry
    with_deadlines = {form: wf for form, wf in registry.workflows.items() if wf.deadlines}
    items: list[dict[str, Any]] = []
    if with_deadlines:
        titles = _form_titles(app, list(with_deadlines))
        for record in _open_records(app, with_deadlines):
            workflow = with_deadlines[record["form"]]
            items.extend(record_deadlines(record, workflow, cal, at, titles.get(record["form"], "")))
    items.extend(_plugin_items(app, at, cal))
    items.extend(_document_items(app, at))
    if dept:
        items = [i for i in items if dept in (i.get("dept"), i.get("owner"))]
    items.sort(key=lambda i: (i["due"], str(i["ref"])))
    return DueList(now=at, items=items, notes=cal.notes())


def overdue_numbers(app: App, now: datetime | None = None) -> set[str]:
    """Numbers of records with at least one overdue deadline."""
    return {i["ref"] for i in due_items(app, now).items if i["kind"] == "record" and i["overdue"]}


__all__ = ["DueList", "due_items", "overdue_numbers", "record_deadlines"]
