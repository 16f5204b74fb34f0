"""The project dossier (项目档案): register entry, every gate with its signatures, acceptance results,
rectifications, accidents, changes with every baseline version, and the close-out — as one HTML body.

The body is rendered to a controlled PDF by the core's ``qms.render.report.report_page``. Every value
a user typed passes through ``markupsafe.escape``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from qms_projects import forms as f
from qms_projects import gates
from qms_projects import posts as posts_mod
from qms_projects import progress as pg
from qms_projects import templates as tpl


def _when(value: Any) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ") if text else "—"


def _table(head: Iterable[str], rows: Iterable[Iterable[Any]], cls: str = "small") -> Markup:
    th = Markup("").join(Markup("<th>{}</th>").format(h) for h in head)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c if c not in (None, "") else "—") for c in row))
        for row in rows)
    if not body:
        body = Markup('<tr><td class="empty" colspan="{}">无 None</td></tr>').format(len(list(head)) or 1)
    return Markup('<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(cls, th, body)


def _h(zh: str, en: str) -> Markup:
    return Markup('<h2>{} <span class="en">{}</span></h2>').format(zh, en)


def _sigs(record: dict[str, Any]) -> Markup:
    items = [Markup("{}：<b>{}</b>（{}）{}").format(s.get("meaning"), s.get("full_name") or s.get("name"), s.get("role"),
                                                    _when(s.get("at"))) for s in record.get("signatures") or []]
    return Markup("<br>").join(items) if items else Markup('<span class="empty">—</span>')


def register_section(facts: pg.Facts) -> Markup:
    d = facts.data
    template = facts.template
    team = [(tpl.post_label(template, m.get("post", "")), m.get("user") or m.get("name"), m.get("qualification"))
            for m in d.get("team") or []]
    base = d.get("baseline") or {}
    fields = [
        ("项目编号 Project No.", facts.number), ("项目名称 Name", d.get("name")), ("客户 Customer", d.get("customer")),
        ("项目模板 Template", f"{template.get('title')} {template.get('title_en')} ({d.get('template')} {d.get('template_edition')})"),
        ("项目经理/负责人 Manager", d.get("manager")), ("登记 Registered", f"{_when(facts.project.get('created_at'))} {facts.project.get('created_by')}"),
        ("状态 Status", pg.status_label(facts)), ("合同金额 Contract amount", d.get("contract_amount")),
        ("商务编号 Business No.", d.get("business_no")), ("项目流水号 Serial No.", d.get("serial_no")),
        ("业务来源 Source", d.get("business_source")), ("接到业务 Received", _when(d.get("received_at")) if d.get("received_at") else None),
        ("技术交底 Briefing", _when(d.get("briefing_at")) if d.get("briefing_at") else None),
        ("大修 Major overhaul", "是 Yes" if d.get("major_overhaul") else None),
        ("现行基线 Current baseline", f"{base.get('scope', '—')} · {base.get('start', '—')} → {base.get('finish', '—')} · "
                                     f"{base.get('budget', '—')} 元" if base else None),
    ]
    rows = Markup("").join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, v) for k, v in fields if v not in (None, ""))
    return (_h("项目登记 ", "Register entry (QR-8.3-01)") + Markup('<table class="fields">{}</table>').format(rows)
            + Markup("<h3>项目小组 Team</h3>") + _table(["岗位 Post", "人员 Person", "资质 Qualification"], team)
            + Markup("<p>登记表签署 Signatures: {}</p>").format(_sigs(facts.project)))


def stages_section(facts: pg.Facts, query: pg.Query) -> Markup:
    template = facts.template
    prog = pg.progress(facts)
    by_stage: dict[str, list[dict[str, Any]]] = {}
    for g in facts.of(f.GATE):
        by_stage.setdefault(str(g["data"].get("stage")), []).append(g)
    handovers = {h.get("gate"): h for h in facts.data.get("handovers") or []}
    parts = [_h("阶段与关口 ", "Stages and gates (QR-8.3-02)")]
    for i, stage in enumerate(template["stages"]):
        state = "已通过 passed" if i < prog.index else ("当前 current" if i == prog.index else "未开始 not started")
        limit = tpl.stage_limit(stage, facts.data)
        parts.append(Markup("<h3>{}. {} <span class=\"en\">{} · 牵头 lead {} · 时限 limit {} · {}</span></h3>").format(
            i + 1, stage["title"], stage["title_en"], tpl.post_label(template, stage["lead"]), limit or "—", state))
        for g in by_stage.get(stage["id"], []):
            d = g["data"]
            rows = [(x.get("title") or x.get("id"), "是 Yes" if x.get("provided") else "否 No", x.get("ref")) for x in d.get("deliverables") or []]
            parts.append(Markup("<p><b>{}</b> · {} · 结论 Decision: <b>{}</b> · {}</p>").format(
                g["number"], g.get("state"), d.get("decision") or "—", _when(pg.entered_at(g, "decided"))))
            parts.append(_table(["交付物 Deliverable", "已提交 Provided", "文件 Reference"], rows))
            if d.get("opinion"):
                parts.append(Markup("<p>评审意见 Opinion: {}</p>").format(d["opinion"]))
            conditions = [(c.get("text"), c.get("owner"), c.get("due")) for c in d.get("conditions") or []]
            if conditions:
                parts.append(Markup("<p>条件 Conditions:</p>") + _table(["条件 Condition", "负责人 Owner", "期限 Due"], conditions))
            for key, label in (("resume_condition", "恢复条件 Resume when"), ("termination_reason", "终止原因 Why stopped")):
                if d.get(key):
                    parts.append(Markup("<p>{}: {}</p>").format(label, d[key]))
            # Every post that may have signed (the consent post too: whether it was needed depended on that day).
            posts = [*stage.get("signatures", []), *([stage["consent_if_lead_busy"]] if stage.get("consent_if_lead_busy") else [])]
            internal = [p for p in posts if not posts_mod.is_external(template, p)]
            filled = {name: post for post, name in posts_mod.assign(template, facts.data.get("team") or [], internal,
                                                                     d.get("signoffs") or []).items()}
            sigs = [(s.get("full_name") or s.get("name"),
                     tpl.post_label(template, filled[s["name"]]) if s.get("name") in filled else s.get("role"),
                     s.get("dept"), _when(s.get("at"))) for s in d.get("signoffs") or []]
            sigs += [(e.get("name"), tpl.post_label(template, e.get("post", "")), "纸面签字 on paper", _when(e.get("signed_on")))
                     for e in d.get("external_signoffs") or []]
            parts.append(_table(["签署人 Signed by", "角色/岗位 Role / post", "部门 Dept", "时间 At"], sigs))
            core = [(s.get("meaning"), s.get("full_name") or s.get("name"), _when(s.get("at")), s.get("sha256", "")[:16])
                    for s in g.get("signatures") or []]
            parts.append(_table(["签名含义 Meaning", "签署人 Signer", "时间 At", "内容 sha256"], core))
            h = handovers.get(g["number"])
            if h and h.get("from") != h.get("to"):
                parts.append(Markup("<p>牵头人交接 Lead hand-over: {} → {} ({})</p>").format(h.get("from"), h.get("to"), _when(h.get("at"))))
        if i == prog.index and i < len(template["stages"]):
            posts, why = gates.required_posts(query, facts, stage)
            parts.append(Markup('<p class="note">必需签名 Required signatures: {}{}</p>').format(
                ", ".join(tpl.post_label(template, p) for p in posts), f" — {why}" if why else ""))
    all_conditions = [(c.get("gate"), c.get("text"), c.get("owner"), c.get("due"), c.get("closed_on"), c.get("closed_note"))
                      for c in facts.data.get("conditions") or []]
    parts.append(Markup("<h3>关口条件跟踪 Gate conditions</h3>") + _table(
        ["关口 Gate", "条件 Condition", "负责人 Owner", "期限 Due", "关闭 Closed", "说明 How met"], all_conditions))
    return Markup("").join(parts)


def acceptance_section(facts: pg.Facts) -> Markup:
    rolls = [(r["title"], r["total"], *(r["counts"][g] for g in f.GRADES),
              f"{r['pass_rate'] * 100:.1f}%" if r["pass_rate"] is not None else None,
              f"{r['excellent_rate'] * 100:.1f}%" if r["excellent_rate"] is not None else None) for r in pg.stage_rollups(facts)]
    steps = [(a["number"], a["data"].get("stage"), a["data"].get("step"), a["data"].get("grade"), a["data"].get("inspector"),
              _when(a["data"].get("inspected_at")), a.get("state")) for a in facts.of(f.ACCEPTANCE)]
    orders = [(z["number"], z["data"].get("acceptance"), z["data"].get("problem"), z["data"].get("responsible"),
               _when(z["data"].get("deadline")), z.get("state"), z["data"].get("reinspection_grade")) for z in facts.of(f.RECTIFICATION)]
    accidents = [(a["number"], _when(a["data"].get("occurred_at")), a["data"].get("severity"), a["data"].get("description"),
                  a.get("state"), _when(pg.entered_at(a, "reported"))) for a in facts.of(f.ACCIDENT)]
    grade = pg.final_grade(facts)
    return Markup("").join([
        _h("质量验收 ", "Quality acceptance (QR-8.3-03)"),
        _table(["阶段 Stage", "工序数 Steps", "不合格", "合格", "良好", "优等", "合格率 Pass rate", "优良率 Good rate"], rolls),
        Markup("<p>项目最终等级 Final grade: <b>{}</b></p>").format(grade or "未定 not yet determined"),
        _table(["编号 No.", "阶段 Stage", "工序 Step", "等级 Grade", "验收人 Inspector", "时间 At", "状态 State"], steps),
        _h("整改通知单 ", "Rectification orders (QR-8.3-04)"),
        _table(["编号 No.", "验收 Acceptance", "问题 Problem", "责任人 Responsible", "期限 Rectify by", "状态 State", "复验 Re-inspection"], orders),
        _h("质量事故 ", "Quality accidents (QR-8.3-05)"),
        _table(["编号 No.", "发生 Occurred", "等级 Severity", "经过 What happened", "状态 State", "报告 Reported"], accidents),
    ])


def changes_section(facts: pg.Facts) -> Markup:
    changes = [(c["number"], c["data"].get("reason"), c["data"].get("description"),
                f"{(c['data'].get('proposed') or {}).get('start')} → {(c['data'].get('proposed') or {}).get('finish')} · "
                f"{(c['data'].get('proposed') or {}).get('budget')} 元", c.get("state"), _sigs(c)) for c in facts.of(f.CHANGE)]
    baselines = [(b.get("version"), b.get("scope"), f"{b.get('start')} → {b.get('finish')}", b.get("budget"), b.get("approved_by"),
                  _when(b.get("approved_at")), b.get("change") or "—") for b in facts.data.get("baselines") or []]
    return Markup("").join([
        _h("变更 ", "Changes (QR-8.3-06)"),
        _table(["编号 No.", "原因 Reason", "内容 What changes", "变更后 Proposed", "状态 State", "签署 Signatures"], changes),
        Markup("<h3>基线历史 Baseline history</h3>"),
        _table(["版本 Ver.", "范围 Scope", "进度 Schedule", "预算 Budget", "批准 Approved by", "时间 At", "变更 Change"], baselines),
    ])


def closeout_section(facts: pg.Facts) -> Markup:
    parts = [_h("结项 ", "Close-out (QR-8.3-07)")]
    rows = facts.of(f.CLOSEOUT)
    if not rows:
        parts.append(Markup('<p class="empty">尚未结项 Not closed out yet</p>'))
    for jx in rows:
        d = jx["data"]
        scope = d.get("scope_confirmation") or {}
        accounts = d.get("final_accounts") or {}
        parts.append(Markup("<p><b>{}</b> · {} · {} · 最终等级 Final grade {}</p><p>{}</p>").format(
            jx["number"], jx.get("state"), d.get("outcome"), d.get("final_grade") or "—", d.get("summary")))
        if d.get("termination_reason"):
            parts.append(Markup("<p>终止原因 Why stopped: {}</p>").format(d["termination_reason"]))
        if scope:
            parts.append(Markup("<p>范围确认 Scope confirmed by {} on {}</p>").format(scope.get("signed_by"), scope.get("signed_on")))
            conds = [(c.get("text"), c.get("owner"), c.get("due"), c.get("closed_on")) for c in scope.get("conditions") or []]
            if conds:
                parts.append(_table(["条件 Condition", "负责人 Owner", "期限 Due", "关闭 Closed"], conds))
        if accounts:
            parts.append(Markup("<p>项目决算书 Final accounts: {} 元 — {}</p>").format(accounts.get("total_cost"), accounts.get("narrative")))
            parts.append(_table(["参与方 Party", "签字人 Signed by", "日期 On"],
                                [(s.get("party"), s.get("name"), s.get("signed_on")) for s in accounts.get("signatories") or []]))
        if d.get("technical_documents"):
            parts.append(Markup("<p>项目技术资料 Technical documentation: {}</p>").format("; ".join(d["technical_documents"])))
        parts.append(Markup("<p>签署 Signatures: {}</p>").format(_sigs(jx)))
    return Markup("").join(parts)


def body(facts: pg.Facts, query: pg.Query) -> str:
    """The dossier's HTML body."""
    return str(Markup("").join([register_section(facts), stages_section(facts, query), acceptance_section(facts),
                                changes_section(facts), closeout_section(facts)]))


__all__ = ["body"]
