"""The management review's record body: the minutes (管理评审报告) with the gathered figures drawn as charts.

The core's record page puts it under the control block and prints the signatures (the 总经理's
approval among them) after it; this module only gathers the values, ``templates/minutes.html.j2``
and ``templates/charts.html.j2`` draw them and escape every value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qms import api

from qms_review import inputs
from qms_review.figures import drawn
from qms_review.workflow import APPROVAL, FORM, PROCEDURE


def minutes_html(record: dict[str, Any], as_of: date | None = None) -> str:
    """The minutes of one review; outputs' status is judged on ``as_of`` (default: the record's last change)."""
    data = record.get("data") or {}
    last = max((str(h.get("at", "")) for h in record.get("history") or []), default="")
    today = as_of or api.parse_date(last[:10]) or api.now().date()
    signed = [s for s in record.get("signatures") or [] if s.get("meaning") == APPROVAL]
    approval = (f"{signed[-1].get('full_name') or signed[-1].get('name')}（{signed[-1].get('post') or ''}）"
                f" {api.show_time(signed[-1].get('at'))}" if signed else "待总经理批准 Awaiting the 总经理's approval")
    heads = [{**h, "figures": [drawn(f) for f in h.get("figures") or []]} for h in data.get("inputs") or []]
    sources = [[s.get("plugin", ""), ", ".join(s.get("procedures") or []), s.get("figures", 0),
                f"失败 failed: {s['error']}" if s.get("error") else
                "本程序，不作为输入 this procedure's own, not an input" if s.get("procedures") == [PROCEDURE] else ""]
               for s in data.get("sources") or []]
    outputs = [[o.get("no"), o.get("kind"), o.get("action"), o.get("owner"), o.get("dept", ""), o.get("due"),
                o.get("done_at") or "", inputs.output_status(o, today), o.get("result", "")]
               for o in data.get("outputs") or []]
    return str(api.templates("qms_review").render(
        "minutes.html.j2", period=f"{data.get('period_start', '')} — {data.get('period_end', '')}",
        held_at=api.show_time(data.get("held_at")) if data.get("held_at") else "",
        venue=data.get("venue", ""), chair=data.get("chair", ""), attendees=data.get("attendees") or [],
        previous=data.get("previous_review", ""), gathered_at=api.show_time(data.get("gathered_at")),
        approval=approval, sources=sources, inputs=heads, conclusion=data.get("conclusion", ""), outputs=outputs))


def render(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """This procedure's layout for a review; ``None`` leaves other forms to the next renderer."""
    return minutes_html(record) if record.get("form") == FORM else None


__all__ = ["minutes_html", "render"]
