"""Dashboard figures: every data shape plugins give becomes an SVG bar chart, a number or a table, escaped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from qms import hookimpl
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.site.charts import bar_series, figure
from qms.site.views import Site
from qms.workspace import Workspace


@pytest.mark.parametrize("data", [
    {"一月": 3, "二月": 5},
    [["一月", 3], ["二月", 5]],
    [{"label": "一月", "value": 3}, {"label": "二月", "value": 5}],
    {"labels": ["一月", "二月"], "values": [3, 5]},
    {"labels": ["一月", "二月"], "series": [{"name": "", "values": [3, 5]}]},
])
def test_bar_shapes(data: Any) -> None:
    assert bar_series(data) == (["一月", "二月"], [("", [3.0, 5.0])])


def test_grouped_bars_and_svg() -> None:
    labels, series = bar_series({"一月": {"投诉": 2, "回访": 1}, "二月": {"投诉": 4}})  # type: ignore[misc]
    assert labels == ["一月", "二月"] and series == [("投诉", [2.0, 4.0]), ("回访", [1.0, 0.0])]
    drawn = figure({"id": "x", "title": "<b>t</b>", "kind": "bar", "data": {"<script>": 1}})
    assert drawn.kind == "bar" and drawn.svg.startswith("<svg")
    assert "<script>" not in drawn.svg and "&lt;script&gt;" in drawn.svg and "&lt;b&gt;" in drawn.svg


def test_numbers_tables_and_odd_data() -> None:
    assert figure({"id": "n", "title": "t", "kind": "number", "data": {"value": 0.9, "unit": "ratio"}}).value == "0.9"
    assert figure({"id": "n", "title": "t", "kind": "number", "data": None}).value == "—"
    table = figure({"id": "t", "title": "t", "kind": "table", "data": [{"a": 1, "b": "x"}, {"a": 2}]})
    assert table.columns == ["a", "b"] and table.rows == [["1", "x"], ["2", ""]]
    assert figure({"id": "t", "title": "t", "kind": "table", "data": []}).note
    odd = figure({"id": "b", "title": "t", "kind": "bar", "data": "not a chart"})
    assert odd.kind == "table" and odd.rows == [["not a chart"]]


class Broken:
    @hookimpl
    def qms_figures(self, query: Any, now: datetime) -> list[dict[str, Any]]:
        raise RuntimeError("boom")


def test_a_failing_plugin_is_named_on_the_dashboard_not_a_crash(workspace: Workspace) -> None:
    site = Site(App(workspace, Host(make_plugin_manager(plugins=(Broken(),), entrypoints=False))))
    view = site.dashboard()
    assert view.context["problems"] == ["a plugin failed while drawing its figures: RuntimeError: boom"]
