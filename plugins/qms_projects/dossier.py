"""The project dossier (项目档案): the register entry, every stage with its gates and signatures, acceptance
results, rectifications, accidents, changes with every baseline version, and the close-out.

This module gathers the values of one project; ``templates/dossier.html.j2`` lays them out and
escapes every value a user typed. ``pdf`` renders the dossier as a controlled PDF with the core's
``report_page``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms import api

from qms_projects import figures
from qms_projects import forms as f
from qms_projects import gates
from qms_projects import posts as posts_mod
from qms_projects import progress as pg
from qms_projects import project_templates as tpl
from qms_projects import service

if TYPE_CHECKING:
    from qms.api import App

Row = tuple[Any, ...]


def _percent(rate: float | None) -> str | None:
    return f"{rate * 100:.1f}%" if rate is not None else None


def register(facts: pg.Facts) -> dict[str, Any]:
    """The register entry (QR-8.3-01): its filled-in fields as label/value pairs, the team and the signatures."""
    d = facts.data
    template = facts.template
    base = d.get("baseline") or {}
    fields = [
        ("项目编号 Project No.", facts.number), ("项目名称 Name", d.get("name")), ("客户 Customer", d.get("customer")),
        ("项目模板 Template", f"{template.get('title')} {template.get('title_en')} ({d.get('template')} {d.get('template_edition')})"),
        ("项目经理/负责人 Manager", d.get("manager")),
        ("登记 Registered", f"{api.show_time(facts.project.get('created_at'))} {facts.project.get('created_by')}"),
        ("状态 Status", pg.status_label(facts)), ("合同金额 Contract amount", d.get("contract_amount")),
        ("商务编号 Business No.", d.get("business_no")), ("项目流水号 Serial No.", d.get("serial_no")),
        ("业务来源 Source", d.get("business_source")),
        ("接到业务 Received", api.show_time(d.get("received_at")) if d.get("received_at") else None),
        ("技术交底 Briefing", api.show_time(d.get("briefing_at")) if d.get("briefing_at") else None),
        ("大修 Major overhaul", "是 Yes" if d.get("major_overhaul") else None),
        ("现行基线 Current baseline", f"{base.get('scope', '—')} · {base.get('start', '—')} → {base.get('finish', '—')} · "
                                     f"{base.get('budget', '—')} 元" if base else None),
    ]
    return {
        "fields": [(label, value) for label, value in fields if value not in (None, "")],
        "team": [(tpl.post_label(template, m.get("post", "")), m.get("user") or m.get("name"), m.get("qualification"))
                 for m in d.get("team") or []],
        "signatures": facts.project.get("signatures") or [],
    }


def gate(facts: pg.Facts, stage: dict[str, Any], review: dict[str, Any],
         handovers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One gate review (QR-8.3-02) of ``stage``: decision, deliverables, conditions, sign-offs and signatures."""
    template = facts.template
    d = review["data"]
    # Every post that may have signed (the consent post too: whether it was needed depended on that day).
    posts = [*stage.get("signatures", []), *([stage["consent_if_lead_busy"]] if stage.get("consent_if_lead_busy") else [])]
    internal = [p for p in posts if not posts_mod.is_external(template, p)]
    filled = {name: post for post, name in posts_mod.assign(template, facts.data.get("team") or [], internal,
                                                             d.get("signoffs") or []).items()}
    signoffs: list[Row] = [(s.get("full_name") or s.get("name"),
                            tpl.post_label(template, filled[s["name"]]) if s.get("name") in filled else api.signer_title(s),
                            s.get("dept"), api.show_time(s.get("at"))) for s in d.get("signoffs") or []]
    signoffs += [(e.get("name"), tpl.post_label(template, e.get("post", "")), "纸面签字 on paper", api.show_time(e.get("signed_on")))
                 for e in d.get("external_signoffs") or []]
    handover = handovers.get(review["number"])
    return {
        "number": review["number"], "state": review.get("state"), "decision": d.get("decision"),
        "decided_at": pg.entered_at(review, "decided"),
        "deliverables": [(x.get("title") or x.get("id"), "是 Yes" if x.get("provided") else "否 No", x.get("ref"))
                         for x in d.get("deliverables") or []],
        "opinion": d.get("opinion"),
        "conditions": [(c.get("text"), c.get("owner"), c.get("due")) for c in d.get("conditions") or []],
        "notes": [(label, d[key]) for key, label in (("resume_condition", "恢复条件 Resume when"),
                                                     ("termination_reason", "终止原因 Why stopped")) if d.get(key)],
        "signoffs": signoffs,
        "signatures": [(s.get("meaning"), s.get("full_name") or s.get("name"), api.show_time(s.get("at")), s.get("sha256", "")[:16])
                       for s in review.get("signatures") or []],
        # A hand-over to the same person is no hand-over worth a line.
        "handover": ({"giver": handover.get("from"), "taker": handover.get("to"), "at": handover.get("at")}
                     if handover and handover.get("from") != handover.get("to") else None),
    }


def stages(facts: pg.Facts, query: pg.Query) -> list[dict[str, Any]]:
    """Every stage of the template: where the project stands in it, its gate reviews, and for the current
    stage the signatures its gate still requires."""
    template = facts.template
    prog = pg.progress(facts)
    by_stage: dict[str, list[dict[str, Any]]] = {}
    for review in facts.of(f.GATE):
        by_stage.setdefault(str(review["data"].get("stage")), []).append(review)
    handovers = {h.get("gate"): h for h in facts.data.get("handovers") or []}
    out = []
    for i, stage in enumerate(template["stages"]):
        required = None
        if i == prog.index:
            posts, why = gates.required_posts(query, facts, stage)
            required = {"posts": [tpl.post_label(template, p) for p in posts], "why": why}
        out.append({
            "title": stage["title"], "title_en": stage["title_en"], "lead": tpl.post_label(template, stage["lead"]),
            "limit": tpl.stage_limit(stage, facts.data),
            "state": "已通过 passed" if i < prog.index else ("当前 current" if i == prog.index else "未开始 not started"),
            "gates": [gate(facts, stage, review, handovers) for review in by_stage.get(stage["id"], [])],
            "required": required,
        })
    return out


def acceptance(facts: pg.Facts) -> dict[str, Any]:
    """Acceptance roll-ups per stage and every acceptance (QR-8.3-03), rectification order (-04) and accident (-05)."""
    return {
        "rollups": [(r["title"], r["total"], *(r["counts"][g] for g in f.GRADES), _percent(r["pass_rate"]),
                     _percent(r["excellent_rate"])) for r in pg.stage_rollups(facts)],
        "final_grade": pg.final_grade(facts),
        "steps": [(a["number"], a["data"].get("stage"), a["data"].get("step"), a["data"].get("grade"), a["data"].get("inspector"),
                   api.show_time(a["data"].get("inspected_at")), a.get("state")) for a in facts.of(f.ACCEPTANCE)],
        "orders": [(z["number"], z["data"].get("acceptance"), z["data"].get("problem"), z["data"].get("responsible"),
                    api.show_time(z["data"].get("deadline")), z.get("state"), z["data"].get("reinspection_grade"))
                   for z in facts.of(f.RECTIFICATION)],
        "accidents": [(a["number"], api.show_time(a["data"].get("occurred_at")), a["data"].get("severity"),
                       a["data"].get("description"), a.get("state"), api.show_time(pg.entered_at(a, "reported")))
                      for a in facts.of(f.ACCIDENT)],
    }


def changes(facts: pg.Facts) -> dict[str, Any]:
    """Change requests (QR-8.3-06) with their signatures, and every baseline version."""
    rows = []
    for c in facts.of(f.CHANGE):
        proposed = c["data"].get("proposed") or {}
        rows.append({"cells": [c["number"], c["data"].get("reason"), c["data"].get("description"),
                               f"{proposed.get('start')} → {proposed.get('finish')} · {proposed.get('budget')} 元", c.get("state")],
                     "signatures": c.get("signatures") or []})
    return {
        "requests": rows,
        "baselines": [(b.get("version"), b.get("scope"), f"{b.get('start')} → {b.get('finish')}", b.get("budget"),
                       b.get("approved_by"), api.show_time(b.get("approved_at")), b.get("change") or "—")
                      for b in facts.data.get("baselines") or []],
    }


def closeout(facts: pg.Facts) -> list[dict[str, Any]]:
    """The close-out reports (QR-8.3-07): outcome, scope confirmation, final accounts, documents, signatures."""
    out = []
    for jx in facts.of(f.CLOSEOUT):
        d = jx["data"]
        scope = d.get("scope_confirmation") or {}
        accounts = d.get("final_accounts") or {}
        out.append({
            "number": jx["number"], "state": jx.get("state"), "outcome": d.get("outcome"),
            "final_grade": d.get("final_grade"), "summary": d.get("summary"),
            "termination_reason": d.get("termination_reason"),
            "scope": ({"signed_by": scope.get("signed_by"), "signed_on": scope.get("signed_on"),
                       "conditions": [(c.get("text"), c.get("owner"), c.get("due"), c.get("closed_on"))
                                      for c in scope.get("conditions") or []]} if scope else None),
            "accounts": ({"total_cost": accounts.get("total_cost"), "narrative": accounts.get("narrative"),
                          "signatories": [(s.get("party"), s.get("name"), s.get("signed_on"))
                                          for s in accounts.get("signatories") or []]} if accounts else None),
            "technical_documents": d.get("technical_documents") or [],
            "signatures": jx.get("signatures") or [],
        })
    return out


def body(facts: pg.Facts, query: pg.Query) -> str:
    """The dossier's HTML body."""
    return str(api.templates("qms_projects").render(
        "dossier.html.j2", register=register(facts), stages=stages(facts, query),
        conditions=[(c.get("gate"), c.get("text"), c.get("owner"), c.get("due"), c.get("closed_on"), c.get("closed_note"))
                    for c in facts.data.get("conditions") or []],
        acceptance=acceptance(facts), changes=changes(facts), closeouts=closeout(facts)))


def pdf(app: App, number: str) -> tuple[bytes, int, str]:
    """The dossier PDF of project ``number``: bytes, pages and title."""
    query = api.record_query(app)
    facts = service.facts(app, number)
    row = figures.project_row(facts, api.now(), app.calendar)
    page = api.report_page(body(facts, query), ref=number, title=f"项目档案 {facts.data.get('name', '')}",
                           title_en="Project dossier", organisation=api.organisation(app), generated_at=api.stamp(),
                           generated_by=app.actor_name or "", procedure=f.PROCEDURE,
                           data={"status": row, "records": {form: [r["number"] for r in facts.of(form)] for form in f.CHILDREN}})
    result = api.render_pdf(api.with_chain_head(app, page))
    return result.data, result.pages, page.title


__all__ = ["acceptance", "body", "changes", "closeout", "gate", "pdf", "register", "stages"]
