"""Every plugin's dashboard figures (``qms_figures``) gathered with their source, as plain data.

The dashboard draws the figures of all plugins together; a report that files them as evidence (the
management review's inputs, ISO 9001 9.3.2) needs to know which procedure each came from and
must not lose every figure because one plugin failed. ``by_plugin`` gives exactly that, and the
shapes a figure's ``data`` may take are read by the same functions the dashboard draws with
(``series`` for bars, ``table`` for tables), so a figure means the same everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qms.app import App
    from qms.hookspecs import RecordQuery


def by_plugin(app: App, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each loaded plugin's figures at ``now`` (default: the clock's now), in plugin registration order.

    Returns ``[{"plugin": NAME, "procedures": [NUMBER, ...], "figures": [FIGURE, ...]}]`` where a
    figure is what the plugin's ``qms_figures`` returned (``{"id", "title", "kind", "data"}``); a
    plugin that failed has ``"figures": []`` and ``"error": TEXT``. Plugins without the hook are
    left out. Read-only: the records are read through the query the hooks always get, without the
    records filed after ``now``, so figures taken as of a past day (the end of a review period)
    count what existed then; a record's state is still the one it has today.
    """
    from qms import clock
    from qms.recordquery import record_query

    when = now or clock.now()
    query = filed_by(record_query(app), when)
    return app.host.figures_by_plugin(query, when, app.calendar, app.workspace.config.raw)


def filed_by(query: RecordQuery, moment: datetime) -> RecordQuery:
    """``query`` without the records filed after ``moment`` (their ``created_at`` is an ISO time)."""
    cutoff = moment.isoformat()

    def before(form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        return [r for r in query(form=form, state=state, **fields) if str(r.get("created_at", "")) <= cutoff]

    return before


def series(data: Any) -> tuple[list[str], list[tuple[str, list[float]]]] | None:
    """A bar figure's labels and named series, from any shape the dashboard accepts; ``None`` if not bars."""
    from qms.site.charts import bar_series

    return bar_series(data)


def table(data: Any) -> tuple[list[str], list[list[str]]]:
    """A table figure's columns and rows (as text), from any shape the dashboard accepts."""
    from qms.site.charts import table_of

    return table_of(data)


__all__ = ["by_plugin", "filed_by", "series", "table"]
