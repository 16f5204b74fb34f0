"""The management review's services over a workspace: gather the inputs, file a review, add and finish outputs.

The inputs are a snapshot: every plugin's figures as of the end of the review period (or now,
while the period runs), sorted under the 9.3.2 headings by ``inputs.sort``, with the status of the
previous review's outputs. Filing and changing go through the core's record services, so the
form's schema, the rules of ``rules`` and the audit log apply as to any record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from qms import api

from qms_review import inputs
from qms_review.workflow import FORM, TRACKED

if TYPE_CHECKING:
    from qms.api import App

KINDS = ("改进机会", "体系变更", "资源需求")


def as_of(period_end: date, now: datetime) -> datetime:
    """The moment the figures are taken at: the end of the period's last day, or now while it runs."""
    return min(api.end_of_day(period_end), now)


def previous_review(app: App, before: date, exclude: str | None = None) -> dict[str, Any] | None:
    """The latest approved or closed review whose period ended before ``before`` (not ``exclude``)."""
    found = [r for r in api.find_records(app, form=FORM)
             if r["number"] != exclude and r["state"] in ("approved", "closed")
             and (api.parse_date(r["data"].get("period_end")) or before) < before]
    return max(found, key=lambda r: (r["data"]["period_end"], r["number"]), default=None)


def objectives_wanted(app: App) -> list[dict[str, Any]]:
    """The workspace's quality objectives (``[review] objectives``), else the plugin's defaults."""
    own = api.settings(app, "review").get("objectives")
    return [dict(o) for o in own] if isinstance(own, list) else [dict(o) for o in inputs.OBJECTIVES]


def gather(app: App, start: date, end: date, exclude: str | None = None) -> dict[str, Any]:
    """The fields of a review that come from the system, for the period ``start``–``end``."""
    now = api.now()
    if end < start:
        raise api.UsageError(f"the period ends ({end}) before it starts ({start}); give --from before --to")
    if start > now.date():
        raise api.UsageError(f"the period starts on {start}, after today ({now.date()}); review a period that has begun")
    moment = as_of(end, now)
    gathered = api.figures_by_plugin(app, moment)
    previous = previous_review(app, start, exclude)
    data: dict[str, Any] = {
        "period_start": start.isoformat(), "period_end": end.isoformat(), "gathered_at": api.stamp(),
        "sources": inputs.sources(gathered),
        "inputs": inputs.sort(gathered, objectives_wanted=objectives_wanted(app), previous=previous, today=moment.date()),
    }
    if previous is not None:
        data["previous_review"] = previous["number"]
    return data


def new_review(app: App, start: date, end: date, planned_at: str | None = None) -> dict[str, Any]:
    """File a review (draft) for the period, its inputs gathered now."""
    data = gather(app, start, end)
    if planned_at:
        data["planned_at"] = api.require_time(planned_at, "--planned").isoformat(timespec="seconds")
    return api.file_record(app, FORM, data, note="评审输入由系统采集 inputs gathered from the system")


def review(app: App, number: str) -> dict[str, Any]:
    """The review ``number``, refused when it is another form's record."""
    record = api.get_record(app, number)
    if record["form"] != FORM:
        raise api.UsageError(f"{number} is a {record['form']} record, not a management review ({FORM})")
    return record


def regather(app: App, number: str) -> dict[str, Any]:
    """Gather a draft review's inputs again (figures change until the meeting); refused once it was held."""
    record = review(app, number)
    if record["state"] != "draft":
        raise api.Refused(f"{number} is {record['state']}: its inputs are kept as the meeting saw them; "
                          f"gather again only before the meeting (draft)")
    start = api.require_date(record["data"]["period_start"], "period_start")
    end = api.require_date(record["data"]["period_end"], "period_end")
    fresh = gather(app, start, end, exclude=number)
    changes: dict[str, Any] = {**fresh, "previous_review": fresh.get("previous_review")}
    return api.update_record(app, number, changes, note="评审输入重新采集 inputs gathered again")


def due_date(app: App, record: dict[str, Any], due: str | None, within: str | None) -> str:
    """An output's due date: ``due`` (a working day), or ``within`` working days of the meeting."""
    if bool(due) == bool(within):
        raise api.UsageError("give the output's due date with either --due YYYY-MM-DD or --within 20wd, not both")
    calendar = app.calendar
    if within:
        held = api.parse_time(record["data"].get("held_at")) or api.now()
        limit = api.parse_limit(within)
        return calendar.due(held, limit).date().isoformat()
    day = api.require_date(due, "--due")
    if not calendar.is_workday(day):
        following = calendar.add_workdays(datetime.combine(day, datetime.min.time()), 1).date()
        raise api.UsageError(f"--due {day} is not a working day; give a working day such as {following}")
    return day.isoformat()


def add_output(app: App, number: str, kind: str, action: str, owner: str, dept: str, due: str) -> dict[str, Any]:
    """Add an output (decision or action) to a held review, numbered after the last.

    ``owner`` must be an active workspace user; the department defaults to theirs.
    """
    record = review(app, number)
    if record["state"] != "held":
        raise api.Refused(f"{number} is {record['state']}: outputs are decided at the meeting and added while the "
                          f"review is held, before the 总经理 approves it")
    user = app.users.get(owner)  # NotFound names the user and how to list them
    if not user.get("active", True):
        raise api.UsageError(f"owner {owner!r} is deactivated; give an active user from `qms user list`")
    outputs = list(record["data"].get("outputs") or [])
    item = {"no": len(outputs) + 1, "kind": kind, "action": action, "owner": owner, "due": due,
            "dept": dept or str(user.get("dept") or "")}
    return api.update_record(app, number, {"outputs": [*outputs, item]}, note=f"评审输出 {item['no']} output added")


def complete_output(app: App, number: str, no: int, result: str, on: str | None) -> dict[str, Any]:
    """Record output ``no`` of a review as done on ``on`` (default today) with what was done."""
    record = review(app, number)
    if record["state"] not in TRACKED:
        raise api.Refused(f"{number} is {record['state']}: outputs are tracked while a review is held or approved")
    outputs = [dict(o) for o in record["data"].get("outputs") or []]
    if not 1 <= no <= len(outputs):
        raise api.UsageError(f"{number} has no output {no}; it has {len(outputs)} (see `qms review show {number}`)")
    if outputs[no - 1].get("done_at"):
        raise api.Refused(f"output {no} of {number} was already done on {outputs[no - 1]['done_at']}")
    day = api.require_date(on, "--on") if on else api.now().date()
    outputs[no - 1].update({"done_at": day.isoformat(), "result": result})
    return api.update_record(app, number, {"outputs": outputs}, note=f"评审输出 {no} 已完成 output done")


def open_outputs(record: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The outputs of a review not yet done, with their status."""
    return [{**o, "status": inputs.output_status(o, today)} for o in record["data"].get("outputs") or []
            if not o.get("done_at")]


__all__ = ["KINDS", "add_output", "as_of", "complete_output", "due_date", "gather", "new_review", "objectives_wanted",
           "open_outputs", "previous_review", "regather", "review"]
