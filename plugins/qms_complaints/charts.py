"""Small SVG charts drawn by the project (no charting library): horizontal bars and a share gauge.

Labels are user data (categories, departments), so every string is escaped before it enters the
SVG; the charts are inline ``<svg>`` elements the PDF renderer lays out with the page's CJK font.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
BAR = "#1f3b63"
LATE = "#b00000"


def bar_chart(bars: list[dict[str, Any]], *, title: str, width: int = 480, row: int = 18, label_width: int = 170) -> Markup:
    """A horizontal bar chart of ``[{"label", "value"}]``, with the value printed after each bar."""
    n = max(len(bars), 1)
    height = 24 + n * row + 6
    top = max((float(b["value"]) for b in bars), default=0.0) or 1.0
    span = width - label_width - 40
    parts = [Markup('<text x="0" y="13" font-size="10" font-weight="bold">{}</text>').format(title)]
    if not bars:
        parts.append(Markup('<text x="0" y="36" font-size="9" fill="#999">无数据 No data</text>'))
    for i, bar in enumerate(bars):
        y = 24 + i * row
        length = round(span * float(bar["value"]) / top, 1)
        parts.append(Markup(
            '<text x="{lx}" y="{ty}" font-size="8.5" text-anchor="end">{label}</text>'
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
            '<text x="{vx}" y="{ty}" font-size="8.5">{value}</text>'
        ).format(lx=label_width - 6, ty=y + row - 6, label=_short(str(bar["label"])), x=label_width, y=y + 2,
                 w=length, h=row - 5, c=BAR, vx=label_width + length + 4, value=_num(bar["value"])))
    return _svg(width, height, parts, title)


def share_gauge(share: float | None, *, title: str, detail: str, width: int = 480) -> Markup:
    """One bar split into the share done in time (blue) and late (red), with the percentage."""
    height = 44
    parts = [Markup('<text x="0" y="13" font-size="10" font-weight="bold">{}</text>').format(title)]
    if share is None:
        parts.append(Markup('<text x="0" y="34" font-size="9" fill="#999">无数据 No data — {}</text>').format(detail))
        return _svg(width, height, parts, title)
    span = width - 150
    done = round(span * share, 1)
    parts.append(Markup(
        '<rect x="0" y="20" width="{d}" height="14" fill="{b}"/><rect x="{d}" y="20" width="{r}" height="14" fill="{l}"/>'
        '<text x="{tx}" y="31" font-size="9" font-weight="bold">{pct}%</text>'
        '<text x="{tx2}" y="31" font-size="8">{detail}</text>'
    ).format(d=done, b=BAR, r=round(span - done, 1), l=LATE, tx=span + 6, pct=f"{share * 100:.1f}", tx2=span + 50,
             detail=detail))
    return _svg(width, height, parts, title)


def _svg(width: int, height: int, parts: list[Markup], title: str) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
                  'style="display:block;margin:2mm 0 3mm" font-family="{f}" role="img" aria-label="{t}">{body}</svg>').format(
        w=width, h=height, f=FONT, t=title, body=Markup("").join(parts))


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["bar_chart", "escape", "share_gauge"]
