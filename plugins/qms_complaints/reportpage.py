"""The monthly complaint analysis as an HTML body (escaped tables and SVG charts) for the core's report renderer."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from qms_complaints.charts import bar_chart, share_gauge


def _table(columns: list[str], rows: list[list[Any]], empty: str = "无 None") -> Markup:
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    if not rows:
        body = Markup('<tr><td colspan="{}" class="empty">{}</td></tr>').format(len(columns), empty)
    else:
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format("—" if v is None else v) for v in row))
            for row in rows)
    return Markup('<table class="small"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(head, body)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def body_html(report: dict[str, Any]) -> str:
    """Sections: summary, counts with charts, times, hand-offs, analyses, open and overdue, recurring causes."""
    t = report["time_to_close"]
    h = report["handoff"]
    a = report["analysis"]
    summary = _table(
        ["收到 Received", "结案 Closed", "未结案 Open", "逾期 Overdue", "平均结案 Mean to close", "90% 分位 P90 to close",
         "30 分钟内交接 Hand-offs ≤ 30 min", "7 工作日内分析 Analyses ≤ 7 wd"],
        [[report["received"], report["closed"], report["open"], report["overdue"],
          "—" if t["mean_days"] is None else f"{t['mean_days']:.2f} 天 days",
          "—" if t["p90_days"] is None else f"{t['p90_days']:.2f} 天 days",
          _pct(h["both"]["share"]), _pct(a["share"])]])
    parts = [
        Markup('<p class="note">统计期间 Period: {} — {}（不含 exclusive）；截至 As of {}。</p>').format(
            report["start"][:10], report["end"][:10], report["as_of"][:16].replace("T", " ")),
        Markup("<h2>1 概况 <span class=\"en\">Summary</span></h2>"), summary,
        Markup("<h2>2 投诉分布 <span class=\"en\">Complaints received, by category, severity and department</span></h2>"),
        bar_chart(report["by_category"], title="按类别 By category"),
        bar_chart(report["by_severity"], title="按严重程度 By severity"),
        bar_chart(report["by_dept"], title="按主办部门 By handling department"),
        bar_chart(report["by_responsible_dept"], title="按责任部门 By responsible department"),
        _table(["类别/子类别 Category / sub-category", "件数 Count"], [[b["label"], b["value"]] for b in report["by_sub_category"]]),
        Markup("<h2>3 结案时间 <span class=\"en\">Time to close</span></h2>"),
        _table(["编号 No.", "客户 Customer", "分支 Branch", "级别 Level", "天数 Days"],
               [[r["number"], r["customer"], r["branch"], r["level"], f"{r['days']:.2f}"] for r in t["closed"]],
               "本月无结案 Nothing closed this month"),
        Markup("<h2>4 时限 <span class=\"en\">Time limits</span></h2>"),
        share_gauge(h["registration"]["share"], title="接收后 30 分钟内登记 Registered within 30 min of receipt",
                    detail=f"{h['registration']['within']}/{h['registration']['total']}"),
        share_gauge(h["assignment"]["share"], title="登记后 30 分钟内分派 Assigned within 30 min of registration",
                    detail=f"{h['assignment']['within']}/{h['assignment']['total']}"),
        share_gauge(a["share"], title="7 个工作日内完成退货分析 Returned goods analysed within 7 working days",
                    detail=f"{a['within']}/{a['total']}"),
        _table(["编号 No.", "到货 Arrived", "期限 Due", "完成 Completed", "结果 Outcome"],
               [[r["number"], r["arrived"][:16].replace("T", " "), r["due"][:16].replace("T", " "),
                 (r["completed"] or "—")[:16].replace("T", " "), r["outcome"]] for r in a["items"]],
               "本月无退货 No returned goods this month"),
        Markup("<h2>5 未结案及逾期 <span class=\"en\">Open and overdue</span></h2>"),
        _table(["编号 No.", "客户 Customer", "类别 Category", "级别 Level", "状态 State", "已开天数 Days open", "逾期 Overdue"],
               [[r["number"], r["customer"], f"{r['category']}/{r['sub_category'] or '—'}", r["level"], r["state"],
                 f"{r['age_days']:.1f}", "；".join(r["overdue"]) or "—"] for r in report["open_list"]],
               "无未结案投诉 No open complaints"),
        Markup("<h2>6 反复出现的原因 <span class=\"en\">Recurring causes (last 12 months)</span></h2>"),
        _table(["原因类别 Cause (5M1E)", "次数 Count", "投诉 Complaints", "原因举例 Examples"],
               [[r["cause"], r["count"], ", ".join(r["complaints"]), "；".join(r["examples"])] for r in report["recurring_causes"]],
               "无反复出现的原因 No cause recurred"),
        _table(["问题 Problem", "次数 Count", "投诉 Complaints"],
               [[r["problem"], r["count"], ", ".join(r["complaints"])] for r in report["recurring_problems"]],
               "无反复出现的问题 No problem recurred"),
        Markup("<h2>7 回访满意度 <span class=\"en\">Follow-up satisfaction</span></h2>"),
        bar_chart(report["satisfaction"], title=f"本月回访 {report['visits']} 次 Visits this month"),
    ]
    return str(Markup("\n").join(parts))


__all__ = ["body_html"]
