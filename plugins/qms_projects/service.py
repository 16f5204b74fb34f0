"""Project operations on top of the core's records service (the CLI and the demo call these).

Every write goes through ``qms.records`` (file, update, move), so validation, the workflow, the
plugin's own rules, signatures and the audit trail apply exactly as for ``qms record …``. This
module only fills in what a person should not have to type: the template snapshot, the stage a
gate review is for and its deliverable checklist, the rectification order a failed step opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import NotFound, record_query, UsageError

from qms_projects import forms as f
from qms_projects import progress as pg
from qms_projects import project_templates as tpl

if TYPE_CHECKING:
    from qms.api import App



def facts(app: App, number: str) -> pg.Facts:
    """The facts of project ``number``; ``NotFound`` when there is none."""
    found = pg.gather(record_query(app), number)
    if found is None:
        raise NotFound(f"no project {number!r}; list projects with `qms projects status`")
    return found


def register(app: App, template_id: str, *, name: str, customer: str, manager: str,
             team: list[dict[str, Any]] | None = None, baseline: dict[str, Any] | None = None,
             fields: dict[str, Any] | None = None, note: str = "") -> dict[str, Any]:
    """Register a project (项目登记表) on a template; the template is snapshotted into the record."""
    template = tpl.load(app.workspace.root, template_id)
    data: dict[str, Any] = {"name": name, "customer": customer, "template": template["id"],
                            "template_edition": template["edition"], "template_snapshot": template, "manager": manager,
                            "team": list(team or []), **(fields or {})}
    if baseline:
        data["baseline"] = dict(baseline)
    return api.file_record(app, f.PROJECT, data, note=note)


def parse_team(template: dict[str, Any], items: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """``POST=USER`` (or ``POST=Name`` for an external post, ``POST=USER:qualification``) as team entries."""
    out = []
    for item in items:
        post, sep, who = item.partition("=")
        if not sep or not who:
            raise UsageError(f"--team {item!r}: write POST=USER, e.g. --team pm=wu (posts: "
                             f"{', '.join(p['id'] for p in template['posts'])})")
        who, _, qualification = who.partition(":")
        external = any(p["id"] == post and p.get("external") for p in template["posts"])
        entry: dict[str, Any] = {"post": post, ("name" if external else "user"): who}
        if qualification:
            entry["qualification"] = qualification
        out.append(entry)
    return out


def open_gate(app: App, project: str, *, provided: dict[str, str] | None = None, decision: str | None = None,
              opinion: str = "", conditions: list[dict[str, Any]] | None = None,
              external: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """File the gate review of the project's current stage with its deliverable checklist.

    ``provided`` maps deliverable ids to a document reference; the others are listed as not provided.
    """
    pf = facts(app, project)
    prog = pg.progress(pf)
    stage = pg.current_stage(pf, prog)
    if stage is None:
        raise UsageError(f"every gate of {project} has passed; close it out with `qms record new {f.CLOSEOUT}`")
    given = provided or {}
    unknown = sorted(set(given) - {d["id"] for d in stage["deliverables"]})
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not deliverables of stage {tpl.stage_label(stage)} "
                         f"({', '.join(d['id'] for d in stage['deliverables'])})")
    deliverables = [{"id": d["id"], "title": d["title"], "provided": d["id"] in given, **({"ref": given[d["id"]]} if given.get(d["id"]) else {})}
                    for d in stage["deliverables"] if not d.get("project_field") and not d.get("post")]
    data: dict[str, Any] = {"project": project, "stage": stage["id"], "stage_title": tpl.stage_label(stage),
                            "deliverables": deliverables}
    if decision:
        data["decision"] = decision
    if opinion:
        data["opinion"] = opinion
    if conditions:
        data["conditions"] = conditions
    if external:
        data["external_signoffs"] = external
    data.update(extra or {})
    return api.file_record(app, f.GATE, data)


def accept(app: App, project: str, *, step: str, grade: str, inspector: str, password: str,
           standard: str = "", findings: str = "", treatment: str = "", inspected_at: str | None = None,
           responsible: str = "", rectify_by: str | None = None) -> dict[str, Any]:
    """Record and sign a work step's acceptance in the current stage; a failure opens a rectification order.

    Returns ``{"acceptance": YS envelope, "rectification": ZG envelope or None}``.
    """
    pf = facts(app, project)
    stage = pg.current_stage(pf)
    if stage is None:
        raise UsageError(f"every gate of {project} has passed; there is no stage to accept work in")
    step = tpl.step_title(stage, step)
    data = {"project": project, "stage": stage["id"], "step": step, "grade": grade, "inspector": inspector,
            "inspected_at": inspected_at or api.stamp()}
    data.update({k: v for k, v in (("standard", standard), ("findings", findings), ("treatment", treatment)) if v})
    if grade == "不合格" and (not responsible or not rectify_by):
        raise UsageError("a failed step (不合格) opens a rectification order: give --responsible NAME and --rectify-by DATETIME")
    # One unit of work: a refused signature or rectification order leaves no unsigned acceptance behind.
    with api.transaction(app):
        ys = api.file_record(app, f.ACCEPTANCE, data)
        ys = api.move_record(app, ys["number"], "signed", password=password)["record"]
        zg = None
        if grade == "不合格":
            zg = api.file_record(app, f.RECTIFICATION, {
                "project": project, "stage": stage["id"], "acceptance": ys["number"],
                "problem": f"{step}: {findings}", "responsible": responsible, "deadline": rectify_by})
    return {"acceptance": ys, "rectification": zg}


def check_step(app: App, project: str, step: str) -> None:
    """Refuse ``step`` unless it is an acceptance step of the project's current stage."""
    pf = facts(app, project)
    stage = pg.current_stage(pf)
    why = tpl.step_problem(pf.template, stage, step) if stage and stage.get("acceptance") != "none" else None
    if why:
        raise api.Refused(f"{project}: {why}")


def record_payment(app: App, project: str, payment: str, amount: float, received_on: str, note: str = "") -> dict[str, Any]:
    """Add a received payment (中期款, 尾款 …) to the project."""
    record = api.get_record(app, project)
    entry: dict[str, Any] = {"payment": payment, "amount": amount, "received_on": received_on}
    if note:
        entry["note"] = note
    return api.update_record(app, project, {"payments": [*(record["data"].get("payments") or []), entry]},
                          note=f"收款 payment {payment}")


def close_condition(app: App, project: str, index: int, how: str, closed_on: str | None = None) -> dict[str, Any]:
    """Close condition ``index`` (1-based) of the project's gate conditions."""
    record = api.get_record(app, project)
    conditions = [dict(c) for c in record["data"].get("conditions") or []]
    if not 1 <= index <= len(conditions):
        raise UsageError(f"{project} has {len(conditions)} condition(s); give a number from 1 to {len(conditions)}")
    conditions[index - 1].update({"closed_on": closed_on or api.now().date().isoformat(), "closed_note": how})
    return api.update_record(app, project, {"conditions": conditions}, note=f"关口条件 {index} 关闭 condition closed")


__all__ = ["accept", "check_step", "close_condition", "facts", "open_gate", "parse_team", "record_payment", "register"]
