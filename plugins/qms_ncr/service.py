"""What a user does with a nonconformity report, as services over ``qms.api``: raise, contain, analyse, act, check.

Each service is one unit of work (``api.transaction``), so a refused step stores nothing. Action
due dates are counted on the workspace's working-day calendar (``app.calendar``): ``--within 10wd``
is ten working days on the Chinese calendar from today, holidays and adjusted weekends included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import NotFound, Refused, UsageError

from qms_ncr import rules
from qms_ncr.workflow import FORM, SEVERITIES, SOURCES

if TYPE_CHECKING:
    from qms.api import App


def get(app: App, number: str) -> dict[str, Any]:
    """The nonconformity report ``number``, refused when it is a record of another form."""
    record = api.get_record(app, number)
    if record.get("form") != FORM:
        raise NotFound(f"{number} is a {record.get('form')} record, not a nonconformity report ({FORM}); "
                       f"see `qms ncr list`")
    return record


def actor(app: App) -> str:
    """The acting user's name (the raiser or verifier), refused when nobody acts."""
    if not app.actor_name:
        raise UsageError("say who acts: --as NAME (or `qms login NAME`)")
    return str(app.actor_name)


def raise_report(app: App, description: str, *, source: str = "internal", source_ref: str = "", dept: str = "",
                 severity: str = "", found_on: str | None = None) -> dict[str, Any]:
    """File a nonconformity report by hand (an internal observation, or one found elsewhere); the actor raises it."""
    if source not in SOURCES:
        raise UsageError(f"source {source!r} is not one of {', '.join(SOURCES)}")
    if severity and severity not in SEVERITIES:
        raise UsageError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    if source_ref:
        already = reported(api.record_query(app), source, source_ref)
        if already:
            raise Refused(f"{source_ref} already has nonconformity report {already}; continue that one "
                          f"(`qms ncr show {already}`)")
    data: dict[str, Any] = {"source": source, "found_on": found_on or api.now().date().isoformat(),
                            "raised_by": actor(app), "description": description}
    data.update({k: v for k, v in (("source_ref", source_ref), ("dept", dept), ("severity", severity)) if v})
    return api.file_record(app, FORM, data, note="不合格报告 nonconformity raised")


def reported(query: api.RecordQuery, source: str, ref: str) -> str | None:
    """The number of the report already filed for ``ref`` from ``source`` (its first version), or ``None``."""
    for record in sorted(query(form=FORM), key=lambda r: r["number"]):
        data = record.get("data") or {}
        if data.get("source") == source and data.get("source_ref") == ref:
            return str(record.get("amends_root") or record["number"])
    return None


def contain(app: App, number: str, containment: str, contained_on: str | None = None) -> dict[str, Any]:
    """Record the containment (围堵/纠正) and move the report to cause analysis."""
    get(app, number)
    with api.transaction(app):
        api.update_record(app, number, {"containment": containment,
                                        "contained_on": contained_on or api.now().date().isoformat()},
                          note="围堵及纠正 contained")
        api.move_record(app, number, "analysis", note="已围堵，原因分析 contained")
    return api.get_record(app, number)


def parse_whys(pairs: tuple[str, ...]) -> list[dict[str, str]]:
    """``WHY=ANSWER`` pairs as the report's 5-why rows (at most five)."""
    rows = []
    for pair in pairs:
        why, sep, answer = pair.partition("=")
        if not sep or not why.strip() or not answer.strip():
            raise UsageError(f"--why {pair!r}: write it as 'WHY=ANSWER', e.g. --why '为何超差=未按期校准'")
        rows.append({"why": why.strip(), "answer": answer.strip()})
    if len(rows) > 5:
        raise UsageError(f"a 5-why analysis has at most five rows; {len(rows)} given")
    return rows


def parse_causes(pairs: tuple[str, ...]) -> list[dict[str, str]]:
    """``CATEGORY:TEXT`` pairs (人机料法环测) as fishbone causes."""
    from qms_ncr.workflow import CAUSE_CATEGORIES

    rows = []
    for pair in pairs:
        category, sep, text = pair.partition(":")
        if not sep or category.strip() not in CAUSE_CATEGORIES or not text.strip():
            raise UsageError(f"--cause {pair!r}: write it as 'CATEGORY:TEXT' with a category of "
                             f"{'/'.join(CAUSE_CATEGORIES)}, e.g. --cause '法:校准周期未按使用频次调整'")
        rows.append({"category": category.strip(), "text": text.strip()})
    return rows


def analyse(app: App, number: str, root_cause: str, *, whys: list[dict[str, str]] | None = None,
            causes: list[dict[str, str]] | None = None, similar: str = "") -> dict[str, Any]:
    """Record the root cause as a 5-why chain or a fishbone (人机料法环测), whichever is given."""
    if bool(whys) == bool(causes):
        raise UsageError("give the analysis as --why 'WHY=ANSWER' rows (5-why) or as --cause 'CATEGORY:TEXT' "
                         "rows (fishbone), one of the two")
    record = get(app, number)
    if record["state"] != "analysis":
        raise Refused(f"{number} is {record['state']}; causes are analysed in state analysis")
    changes: dict[str, Any] = {"root_cause": root_cause, "cause_method": "5why" if whys else "fishbone",
                               "whys": whys or None, "causes": causes or None}
    if similar:
        changes["similar"] = similar
    return api.update_record(app, number, changes, note="原因分析 root cause recorded")


def add_action(app: App, number: str, action: str, owner: str, within: str, *, kind: str = "纠正措施",
               dept: str = "") -> dict[str, Any]:
    """Add an action with its owner, due ``within`` a limit from today on the working-day calendar (``10wd``)."""
    record = get(app, number)
    if record["state"] not in ("analysis", "implementing"):
        raise Refused(f"{number} is {record['state']}; actions are planned in state analysis or implementing")
    try:
        due = app.calendar.due(api.now(), within).date().isoformat()
    except (ValueError, api.UsageError) as exc:
        raise UsageError(f"--within {within!r}: give a limit such as 10wd (working days), 5d or 1mo ({exc})") from exc
    act: dict[str, Any] = {"type": kind, "action": action, "owner": owner, "due": due}
    if dept:
        act["dept"] = dept
    actions = [*(record["data"].get("actions") or []), act]
    return api.update_record(app, number, {"actions": actions}, note=f"措施 {len(actions)} action added, due {due}")


def plan(app: App, number: str) -> dict[str, Any]:
    """Move the analysed report with its actions to 措施实施."""
    get(app, number)
    return api.move_record(app, number, "implementing", note="措施已定 actions planned")["record"]


def complete_action(app: App, number: str, index: int, result: str, done_on: str | None = None) -> dict[str, Any]:
    """Record action ``index`` (1-based) as done; when every action is done the report goes to 效果验证."""
    record = get(app, number)
    actions = [dict(a) for a in record["data"].get("actions") or []]
    if not 1 <= index <= len(actions):
        raise UsageError(f"{number} has {len(actions)} action(s); give --action 1 … {len(actions)}" if actions
                         else f"{number} has no actions yet; add one with `qms ncr action {number} …`")
    if record["state"] != "implementing":
        raise Refused(f"{number} is {record['state']}; actions are recorded done in state implementing")
    actions[index - 1].update({"done_on": done_on or api.now().date().isoformat(), "result": result})
    with api.transaction(app):
        api.update_record(app, number, {"actions": actions}, note=f"措施 {index} 完成 action {index} done")
        if all(a.get("done_on") for a in actions):
            api.move_record(app, number, "verifying", note="措施完成，提交验证 actions done")
    return api.get_record(app, number)


def verify(app: App, number: str, result: str, password: str, *, effective: bool = True) -> dict[str, Any]:
    """The effectiveness check by the acting user: signed and closed when effective, back to analysis when not.

    The verifier must be independent: someone who neither raised the report nor owns an action.
    """
    record = get(app, number)
    verifier = actor(app)
    why = rules.independence_problem(record["data"], verifier)
    if why:
        raise Refused(f"{number}: {why}")
    if record["state"] != "verifying":
        raise Refused(f"{number} is {record['state']}; its effectiveness is checked once every action is done "
                      f"(state verifying)")
    changes = {"verification_result": result, "effective": "有效" if effective else "无效",
               "verified_by": verifier, "verified_on": api.now().date().isoformat()}
    with api.transaction(app):
        api.update_record(app, number, changes, note="有效性验证 effectiveness checked")
        if effective:
            api.move_record(app, number, "closed", note="有效性验证，关闭 verified effective", password=password)
        else:
            api.move_record(app, number, "analysis", note="验证无效，重新分析 not effective")
    return api.get_record(app, number)


__all__ = ["actor", "add_action", "analyse", "complete_action", "contain", "get", "parse_causes", "parse_whys", "plan",
           "raise_report", "reported", "verify"]
