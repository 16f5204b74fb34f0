"""The property dashboard figures (``qms_figures``): open requests, answer rate, overdue and late repairs, times,
satisfaction, passes, deposits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import WorkCalendar

from qms_property.config import from_raw
from qms_property.report import status


def dashboard(query: Any, now: datetime, calendar: WorkCalendar, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures at ``now``, with the answer-rate target from the workspace's ``[property]`` settings."""
    return figures(status(query, now, target=from_raw(settings).line_answer_target, calendar=calendar))


def figures(st: dict[str, Any]) -> list[dict[str, Any]]:
    """Dashboard figures from a status."""
    req, rep, vis, pas = st["requests"], st["repairs"], st["visits"], st["passes"]
    return [
        {"id": "property.open_requests", "title": "未关闭服务请求（按楼栋和类型） Open service requests by building and type",
         "kind": "table", "data": req["open_by_building"]},
        {"id": "property.line_answer_rate", "title": "服务热线接通率 Service-line answer rate", "kind": "number",
         "data": {"value": None if req["line"]["answer_rate"] is None else round(req["line"]["answer_rate"] * 100, 1),
                  "unit": "%", "note": f"目标 target ≥ {req['line']['target'] * 100:.0f}% · "
                                      f"{req['line']['answered']}/{req['line']['calls']} 接通 answered"}},
        {"id": "property.repairs_overdue", "title": "逾期维修 Repairs overdue", "kind": "number",
         "data": {"value": len(rep["overdue"]), "numbers": [o["number"] for o in rep["overdue"]]}},
        {"id": "property.late_repairs", "title": "超时响应与到场 Late first responses and arrivals", "kind": "number",
         "data": {"value": len(rep["late_responses"]) + len(rep["late_arrivals"]),
                  "note": f"首次响应 responses {len(rep['late_responses'])} · 到场 arrivals {len(rep['late_arrivals'])}",
                  "responses": rep["late_responses"], "arrivals": rep["late_arrivals"]}},
        {"id": "property.mean_arrival", "title": "平均到场时间（分钟） Mean time to arrive (minutes)", "kind": "number",
         "data": {"value": rep["mean_minutes_to_arrive"], "unit": "min"}},
        {"id": "property.mean_close", "title": "平均关闭时间（小时） Mean time to close (hours)", "kind": "number",
         "data": {"value": rep["mean_hours_to_close"], "unit": "h"}},
        {"id": "property.visit_satisfaction", "title": "回访满意度 Return-visit satisfaction", "kind": "bar",
         "data": [{"label": k, "value": v} for k, v in vis["satisfaction"].items()]},
        {"id": "property.passes", "title": "已发通行证 Passes issued", "kind": "bar",
         "data": [{"label": k, "value": v} for k, v in pas["issued_by_colour"].items()]},
        {"id": "property.deposits_outstanding", "title": "未退押金（元） Deposits outstanding (CNY)", "kind": "number",
         "data": {"value": pas["deposits_outstanding"], "unit": "CNY", "passes": pas["deposits_outstanding_passes"]}},
    ]
