"""The inputs of a management review (ISO 9001 9.3.2) and how the system's figures are sorted under them.

Every heading the standard requires is always present in a review, in the standard's order. Its
content comes from the system, never typed: the other procedures' dashboard figures (each plugin's
``qms_figures``, gathered through ``qms.api.figures_by_plugin``) are placed under a heading by the
start of their id (``RULES``, first match wins; a figure no rule names goes under 9.3.2 c) 3)
process performance, so a new procedure's figures are never lost), the quality objectives are
measured against their targets (``OBJECTIVES``, or ``[review] objectives`` in ``qms.toml``) and the
status of the previous review's outputs is read from that review's record. A heading the system
has nothing for says so (本期无数据) instead of failing: that is how a review looks before the
nonconformity or audit procedure is installed.

Everything here is plain data in, plain data out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

#: What a heading the system has no figures for says.
NO_DATA = "本期无数据 No data from the system for this period"
#: The review's own figures are about reviews, not inputs to one.
OWN_PREFIX = "review."


@dataclass(frozen=True)
class Heading:
    """One input ISO 9001 9.3.2 requires a management review to consider."""

    key: str
    clause: str
    title: str
    title_en: str


HEADINGS: tuple[Heading, ...] = (
    Heading("previous_actions", "9.3.2 a)", "以往管理评审所采取措施的情况",
            "Status of actions from previous management reviews"),
    Heading("issues", "9.3.2 b)", "与质量管理体系相关的内外部因素的变化",
            "Changes in external and internal issues relevant to the QMS"),
    Heading("customer", "9.3.2 c) 1)", "顾客满意和有关相关方的反馈",
            "Customer satisfaction and feedback from relevant interested parties"),
    Heading("objectives", "9.3.2 c) 2)", "质量目标的实现程度", "Extent to which quality objectives have been met"),
    Heading("performance", "9.3.2 c) 3)", "过程绩效以及产品和服务的合格情况",
            "Process performance and conformity of products and services"),
    Heading("nonconformities", "9.3.2 c) 4)", "不合格以及纠正措施", "Nonconformities and corrective actions"),
    Heading("monitoring", "9.3.2 c) 5)", "监视和测量结果", "Monitoring and measurement results"),
    Heading("audits", "9.3.2 c) 6)", "审核结果", "Audit results"),
    Heading("providers", "9.3.2 c) 7)", "外部供方的绩效", "Performance of external providers"),
    Heading("resources", "9.3.2 d)", "资源的充分性", "Adequacy of resources"),
    Heading("risks", "9.3.2 e)", "应对风险和机遇所采取措施的有效性",
            "Effectiveness of actions taken to address risks and opportunities"),
    Heading("improvement", "9.3.2 f)", "改进的机会", "Opportunities for improvement"),
)
KEYS = tuple(h.key for h in HEADINGS)

#: (start of a figure id, heading): the first rule whose prefix starts the id places the figure.
RULES: tuple[tuple[str, str], ...] = (
    ("complaints.recurring_causes", "improvement"),
    ("complaints.", "customer"),
    ("property.visit_satisfaction", "customer"),
    ("property.line_answer_rate", "customer"),
    ("ncr", "nonconformities"),
    ("capa", "nonconformities"),
    ("audit", "audits"),
    ("equipment.calibration_on_time", "monitoring"),
    ("equipment.overdue", "monitoring"),
    ("equipment.", "resources"),
    ("supplier", "providers"),
    ("provider", "providers"),
    ("risk", "risks"),
    ("improvement", "improvement"),
)
#: Where a figure no rule names goes.
FALLBACK = "performance"
#: The kinds of figure ``qms_figures`` gives (``qms.hookspecs``).
KINDS = ("bar", "number", "table")

#: The quality objectives measured when ``[review] objectives`` does not list the workspace's own:
#: a figure, its target (``min`` or ``max``) and the factor turning its value into the unit shown.
OBJECTIVES: tuple[dict[str, Any], ...] = (
    {"figure": "equipment.intact_rate", "title": "设备完好率 Equipment intact rate", "min": 95, "unit": "%"},
    {"figure": "equipment.calibration_on_time", "title": "计量器具按期校准率 On-time calibration rate", "min": 95,
     "unit": "%"},
    {"figure": "complaints.handoff_30min", "title": "投诉 30 分钟内登记并分派 Complaint hand-offs within 30 min",
     "min": 90, "unit": "%"},
    {"figure": "property.line_answer_rate", "title": "服务热线接通率 Service-line answer rate", "min": 95, "unit": "%"},
    {"figure": "projects-gate-pass-rate", "title": "关口通过率 Gate pass rate", "min": 90, "unit": "%", "scale": 100},
)


def heading_of(figure_id: str) -> str:
    """The key of the heading a figure with this id is placed under."""
    return next((key for prefix, key in RULES if figure_id.startswith(prefix)), FALLBACK)


def plain(value: Any) -> Any:
    """``value`` as JSON values only (a plugin may hand dates or tuples), so it can be filed."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def figure_value(figure: dict[str, Any]) -> float | None:
    """The number a ``number`` figure shows (``data`` itself or ``data["value"]``), or ``None``."""
    data = figure.get("data")
    value = data.get("value") if isinstance(data, dict) else data
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def objectives(found: dict[str, dict[str, Any]], wanted: list[dict[str, Any]]) -> dict[str, Any]:
    """The objectives table: each objective's target, the value measured and whether it was met."""
    rows = []
    for goal in wanted:
        fig = found.get(str(goal.get("figure", "")))
        value = figure_value(fig) if fig else None
        if value is not None:
            value = round(value * float(goal.get("scale", 1)), 1)
        unit = str(goal.get("unit", ""))
        low, high = goal.get("min"), goal.get("max")
        target = (f"≥ {low}{unit}" if low is not None else "") + (" " if low is not None and high is not None else "") \
            + (f"≤ {high}{unit}" if high is not None else "")
        if value is None:
            verdict = "无数据 No data"
        elif (low is None or value >= float(low)) and (high is None or value <= float(high)):
            verdict = "达成 Met"
        else:
            verdict = "未达成 Not met"
        rows.append([str(goal.get("title") or goal.get("figure")), target or "—",
                     "—" if value is None else f"{value:g}{unit}", verdict])
    return {"id": "review.objectives", "title": "质量目标达成情况 Quality objectives against their targets",
            "kind": "table", "plugin": "review", "procedures": [],
            "data": {"columns": ["目标 Objective", "目标值 Target", "实际 Actual", "结论 Verdict"], "rows": rows}}


def output_status(output: dict[str, Any], today: date) -> str:
    """完成 done, 逾期 overdue or 进行中 open, for an output of a review."""
    if output.get("done_at"):
        return "已完成 Done"
    due = str(output.get("due") or "")
    return "逾期 Overdue" if due and due < today.isoformat() else "进行中 Open"


def previous_actions(previous: dict[str, Any] | None, today: date) -> dict[str, Any] | None:
    """The previous review's outputs with their status today, as a table figure; ``None`` without one."""
    if previous is None:
        return None
    outputs = previous.get("data", {}).get("outputs") or []
    rows = [[str(o.get("no", i)), str(o.get("kind", "")), str(o.get("action", "")), str(o.get("owner", "")),
             str(o.get("due", "")), str(o.get("done_at") or "—"), output_status(o, today), str(o.get("result") or "")]
            for i, o in enumerate(outputs, 1)]
    done = sum(1 for o in outputs if o.get("done_at"))
    return {"id": "review.previous_actions",
            "title": f"上次管理评审 {previous['number']} 的输出 Outputs of the previous review ({done}/{len(outputs)} 已完成 done)",
            "kind": "table", "plugin": "review", "procedures": [], "source": previous["number"],
            "data": {"columns": ["序号 No.", "类别 Kind", "措施 Action", "负责人 Owner", "期限 Due", "完成 Done on",
                                 "状态 Status", "结果 Result"], "rows": rows}}


def sort(gathered: list[dict[str, Any]], *, objectives_wanted: list[dict[str, Any]],
         previous: dict[str, Any] | None, today: date) -> list[dict[str, Any]]:
    """Every 9.3.2 heading in order, with the figures placed under it (``empty`` and a note when none).

    :param gathered: ``qms.api.figures_by_plugin``'s answer.
    :param objectives_wanted: the objectives to measure (``OBJECTIVES`` or the workspace's own).
    :param previous: the previous management review's record, or ``None`` for the first review.
    """
    placed: dict[str, list[dict[str, Any]]] = {key: [] for key in KEYS}
    by_id: dict[str, dict[str, Any]] = {}
    for source in gathered:
        for fig in source.get("figures") or []:
            fid = str(fig.get("id", ""))
            if fid.startswith(OWN_PREFIX):
                continue
            # A kind the form does not know is kept as a table of what was given, as the dashboard shows it.
            kind = str(fig.get("kind", "")) if fig.get("kind") in KINDS else "table"
            kept = {"id": fid, "title": str(fig.get("title", fid)), "kind": kind,
                    "data": plain(fig.get("data")), "plugin": str(source.get("plugin", "")),
                    "procedures": list(source.get("procedures") or [])}
            by_id.setdefault(fid, kept)
            placed[heading_of(fid)].append(kept)
    prior = previous_actions(previous, today)
    if prior is not None:
        placed["previous_actions"].append(prior)
    if objectives_wanted:
        measured = objectives(by_id, objectives_wanted)
        if measured["data"]["rows"]:
            placed["objectives"].insert(0, measured)
    out = []
    for h in HEADINGS:
        figs = placed[h.key]
        note = NO_DATA if not figs else ""
        if h.key == "previous_actions" and previous is None:
            note = "首次管理评审，无以往措施 First management review: no earlier actions"
        out.append({"key": h.key, "clause": h.clause, "title": h.title, "title_en": h.title_en,
                    "figures": figs, "empty": not figs, "note": note})
    return out


def sources(gathered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which plugins were asked, what each gave and which failed: the provenance of the snapshot."""
    out = []
    for source in gathered:
        entry = {"plugin": str(source.get("plugin", "")), "procedures": list(source.get("procedures") or []),
                 "figures": len(source.get("figures") or [])}
        if source.get("error"):
            entry["error"] = str(source["error"])
        out.append(entry)
    return out


def missing_headings(inputs: Any) -> list[str]:
    """The 9.3.2 headings a record's inputs lack or hold out of order (empty when complete)."""
    keys = [i.get("key") for i in inputs] if isinstance(inputs, list) and all(isinstance(i, dict) for i in inputs) else []
    if keys == list(KEYS):
        return []
    return [f"{h.clause} {h.title}" for h in HEADINGS if h.key not in keys] or ["the headings are out of the 9.3.2 order"]


__all__ = ["FALLBACK", "HEADINGS", "KEYS", "KINDS", "NO_DATA", "OBJECTIVES", "RULES", "Heading", "heading_of",
           "missing_headings", "objectives", "output_status", "previous_actions", "plain", "sort", "sources"]
