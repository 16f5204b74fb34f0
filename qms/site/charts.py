"""Dashboard figures drawn server-side: plugin figures (``qms_figures``) as inline SVG bar charts, numbers and tables.

No JavaScript and no chart library: the SVG is built here from plain numbers, every label passes
through ``markupsafe.escape``, so a figure is the same in the server, the static bundle and a
browser with scripts off. Figures whose data has an unexpected shape are shown as a table of
what was given rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

PALETTE = ("#2f6f9f", "#d9822b", "#4c9f70", "#b34a4a", "#7a5ea8", "#8c8c3c")


@dataclass
class Figure:
    """One figure ready for a template: ``kind`` is bar, number or table; ``svg``/``value``/``rows`` by kind."""

    id: str
    title: str
    kind: str
    svg: Markup = Markup("")
    value: str = ""
    unit: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def bar_series(data: Any) -> tuple[list[str], list[tuple[str, list[float]]]] | None:
    """Labels and named series from the shapes plugins give; ``None`` when the data is not a bar chart.

    Accepted: ``{label: value}``, ``{label: {series: value}}``, ``[[label, value], …]``,
    ``[{"label", "value"}, …]``, ``{"labels": [...], "values": [...]}`` and
    ``{"labels": [...], "series": [{"name", "values"}]}`` (or ``series`` as ``{name: values}``).
    """
    if isinstance(data, dict) and isinstance(data.get("labels"), list):
        labels = [str(x) for x in data["labels"]]
        if isinstance(data.get("values"), list):
            return labels, [("", [_number(v) or 0.0 for v in data["values"]])]
        series = data.get("series")
        if isinstance(series, dict):
            series = [{"name": k, "values": v} for k, v in series.items()]
        if isinstance(series, list) and all(isinstance(s, dict) and isinstance(s.get("values"), list) for s in series):
            return labels, [(str(s.get("name", "")), [_number(v) or 0.0 for v in s["values"]]) for s in series]
        return None
    if isinstance(data, dict) and data:
        if all(isinstance(v, dict) for v in data.values()):
            names = list(dict.fromkeys(k for v in data.values() for k in v))
            return [str(k) for k in data], [(str(n), [_number(v.get(n)) or 0.0 for v in data.values()]) for n in names]
        if all(_number(v) is not None for v in data.values()):
            return [str(k) for k in data], [("", [_number(v) or 0.0 for v in data.values()])]
        return None
    if isinstance(data, list) and data:
        if all(isinstance(x, (list, tuple)) and len(x) == 2 for x in data):
            return [str(x[0]) for x in data], [("", [_number(x[1]) or 0.0 for x in data])]
        if all(isinstance(x, dict) and "label" in x and "value" in x for x in data):
            return [str(x["label"]) for x in data], [("", [_number(x["value"]) or 0.0 for x in data])]
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def bar_svg(labels: list[str], series: list[tuple[str, list[float]]], title: str = "") -> Markup:
    """A horizontal grouped bar chart: one row per label, one bar per series, values printed at the bar ends."""
    label_w, bar_area, bar_h, gap = 170, 300, 14, 8
    rows = len(labels)
    per_row = bar_h * len(series) + gap
    legend_h = 20 if len(series) > 1 or any(name for name, _ in series) else 0
    height = legend_h + rows * per_row + 10
    width = label_w + bar_area + 60
    peak = max((v for _, values in series for v in values), default=0.0) or 1.0
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{w}" height="{h}" '
                    'viewBox="0 0 {w} {h}"><title>{t}</title>').format(w=width, h=height, t=title)]
    if legend_h:
        x = label_w
        for i, (name, _) in enumerate(series):
            colour = PALETTE[i % len(PALETTE)]
            parts.append(Markup('<rect x="{x}" y="4" width="10" height="10" fill="{c}"/>'
                                '<text x="{tx}" y="13" class="legend">{n}</text>').format(x=x, c=colour, tx=x + 14, n=name))
            x += 24 + 9 * len(name)
    for r, lab in enumerate(labels):
        y0 = legend_h + r * per_row
        short = lab if len(lab) <= 16 else lab[:15] + "…"
        parts.append(Markup('<text x="{x}" y="{y}" text-anchor="end" class="label"><title>{full}</title>{t}</text>')
                     .format(x=label_w - 6, y=y0 + bar_h * len(series) / 2 + 4, t=short, full=lab))
        for s, (_, values) in enumerate(series):
            value = values[r] if r < len(values) else 0.0
            w = max(0.0, value / peak * bar_area)
            y = y0 + s * bar_h
            colour = PALETTE[s % len(PALETTE)]
            parts.append(Markup('<rect x="{x}" y="{y}" width="{w:.1f}" height="{h}" fill="{c}"/>'
                                '<text x="{tx:.1f}" y="{ty}" class="value">{v}</text>')
                         .format(x=label_w, y=y, w=w, h=bar_h - 2, c=colour, tx=label_w + w + 4, ty=y + bar_h - 4,
                                 v=_fmt(value)))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return _fmt(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def table_of(data: Any) -> tuple[list[str], list[list[str]]]:
    """Columns and rows from ``{"columns", "rows"}``, a list of dicts, a list of lists or a mapping."""
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        rows = data["rows"]
        columns = [str(c) for c in data.get("columns") or []]
        if rows and all(isinstance(r, dict) for r in rows):
            columns = columns or list(dict.fromkeys(k for r in rows for k in r))
            return columns, [[_cell(r.get(c)) for c in columns] for r in rows]
        return columns, [[_cell(c) for c in (r if isinstance(r, (list, tuple)) else [r])] for r in rows]
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        columns = list(dict.fromkeys(k for r in data for k in r))
        return columns, [[_cell(r.get(c)) for c in columns] for r in data]
    if isinstance(data, list):
        return [], [[_cell(c) for c in (r if isinstance(r, (list, tuple)) else [r])] for r in data]
    if isinstance(data, dict):
        return ["", ""], [[str(k), _cell(v)] for k, v in data.items()]
    return [], [[_cell(data)]]


def figure(raw: Any) -> Figure:
    """One plugin figure made ready to show; malformed data becomes a table of what was given."""
    if not isinstance(raw, dict):
        return Figure(id="?", title="(figure)", kind="table", rows=[[_cell(raw)]], note="not a figure dict")
    fid, title, kind, data = str(raw.get("id", "")), str(raw.get("title", "")), str(raw.get("kind", "")), raw.get("data")
    if kind == "bar":
        shaped = bar_series(data)
        if shaped is not None and shaped[0]:
            return Figure(id=fid, title=title, kind="bar", svg=bar_svg(shaped[0], shaped[1], title))
        if shaped is not None:
            return Figure(id=fid, title=title, kind="number", value="0", note="no data yet")
    if kind == "number":
        if isinstance(data, dict):
            value = data.get("value")
            return Figure(id=fid, title=title, kind="number", value=_cell(value) or "—", unit=str(data.get("unit", "")),
                          note=str(data.get("note", "")))
        return Figure(id=fid, title=title, kind="number", value=_cell(data) or "—")
    columns, rows = table_of(data)
    return Figure(id=fid, title=title, kind="table", columns=columns, rows=rows,
                  note="" if rows else "暂无数据 No data yet")
