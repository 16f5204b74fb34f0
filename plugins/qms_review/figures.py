"""The review's own dashboard figures, and the geometry of the minutes' charts.

``dashboard(reviews, now)`` gives the figures of ``qms_figures``: reviews held this year and the
outputs still open (overdue among them). ``drawn(figure)`` turns one gathered figure, whatever
shape its plugin gave its data, into what ``templates/charts.html.j2`` draws for WeasyPrint:
horizontal bars as plain numbers (inline SVG, no charting library), a number with its unit, or a
table. The shapes are read by ``qms.api.figure_series`` / ``figure_table``, as the dashboard reads
them, so a figure shows the same in the minutes as on the site.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from qms import api

from qms_review.workflow import FORM

FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
PALETTE = ("#1f3b63", "#d9822b", "#4c9f70", "#b34a4a", "#7a5ea8", "#8c8c3c")
#: Rows of a gathered table printed in the minutes; the rest is counted, and kept in the record.
TABLE_ROWS = 25


def dashboard(reviews: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Reviews held this year and the open outputs of held or approved reviews."""
    held = [r for r in reviews if r.get("state") in ("held", "approved", "closed")
            and str(r.get("data", {}).get("held_at", ""))[:4] == f"{now:%Y}"]
    today = now.date().isoformat()
    open_ = [o for r in reviews if r.get("state") in ("held", "approved")
             for o in r.get("data", {}).get("outputs") or [] if not o.get("done_at")]
    overdue = sum(1 for o in open_ if str(o.get("due", "")) < today)
    kinds = Counter(str(o.get("kind", "")) for o in open_)
    return [
        {"id": "review.held", "title": f"管理评审次数 Management reviews held ({now:%Y})", "kind": "number",
         "data": {"value": len(held), "unit": "次 reviews",
                  "note": "最近 last: " + max((str(r["data"]["held_at"])[:10] for r in held), default="—")}},
        {"id": "review.open_outputs", "title": "未完成的管理评审输出 Open management review outputs", "kind": "number",
         "data": {"value": len(open_), "unit": "项 outputs", "note": f"逾期 overdue {overdue}", "overdue": overdue}},
        {"id": "review.open_outputs_by_kind", "title": "未完成输出（按类别） Open outputs by kind", "kind": "bar",
         "data": [{"label": k, "value": n} for k, n in sorted(kinds.items())]},
    ]


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(labels: list[str], series: list[tuple[str, list[float]]], *, width: int = 480, label_width: int = 170) -> dict[str, Any]:
    """Horizontal (grouped) bars: each bar's place and length, its value after it, a legend for named series."""
    bar_h, gap = 13, 6
    legend = [{"name": name, "colour": PALETTE[i % len(PALETTE)], "x": label_width + i * 110}
              for i, (name, _) in enumerate(series)] if any(name for name, _ in series) else []
    top = 18 if legend else 4
    per_row = bar_h * len(series) + gap
    peak = max((v for _, values in series for v in values), default=0.0) or 1.0
    span = width - label_width - 40
    rows = []
    for r, label in enumerate(labels):
        y0 = top + r * per_row
        drawn = []
        for s, (_, values) in enumerate(series):
            value = values[r] if r < len(values) else 0.0
            length = round(max(0.0, value) / peak * span, 1)
            y = y0 + s * bar_h
            drawn.append({"x": label_width, "y": y, "width": length, "height": bar_h - 2,
                          "colour": PALETTE[s % len(PALETTE)], "value": _fmt(value), "value_x": label_width + length + 4,
                          "text_y": y + bar_h - 3})
        rows.append({"label": _short(label), "label_x": label_width - 6, "text_y": y0 + bar_h * len(series) / 2 + 3,
                     "bars": drawn})
    return {"width": width, "height": top + max(len(labels), 1) * per_row + 4, "font": FONT, "legend": legend,
            "rows": rows}


def drawn(fig: dict[str, Any]) -> dict[str, Any]:
    """One gathered figure made ready for the minutes: ``kind`` bar (``chart``), number (``value``) or table."""
    kind, data = str(fig.get("kind", "")), fig.get("data")
    base = {"id": fig.get("id", ""), "title": str(fig.get("title", "")), "plugin": fig.get("plugin", ""),
            "procedures": fig.get("procedures") or []}
    if kind == "bar":
        shaped = api.figure_series(data)
        if shaped is not None and shaped[0]:
            return {**base, "kind": "bar", "chart": bars(shaped[0], shaped[1])}
        if shaped is not None or data in ([], {}, None):
            return {**base, "kind": "number", "value": "0", "unit": "", "note": "本期无数据 no data"}
    if kind == "number":
        value = data.get("value") if isinstance(data, dict) else data
        unit = str(data.get("unit", "")) if isinstance(data, dict) else ""
        note = str(data.get("note", "")) if isinstance(data, dict) else ""
        shown = "—" if value is None else (_fmt(float(value)) if isinstance(value, (int, float)) else str(value))
        return {**base, "kind": "number", "value": shown, "unit": unit, "note": note}
    columns, rows = api.figure_table(data)
    more = max(0, len(rows) - TABLE_ROWS)
    return {**base, "kind": "table", "columns": columns, "rows": rows[:TABLE_ROWS],
            "note": (f"另有 {more} 行未列出（见记录数据） {more} more rows in the record's data" if more else "")
            or ("" if rows else "本期无数据 No data")}


def review_dashboard(query: api.RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """``qms_figures``: this procedure's figures from the stored reviews."""
    return dashboard(query(form=FORM), now)


__all__ = ["bars", "dashboard", "drawn", "review_dashboard"]
