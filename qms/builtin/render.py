"""The core's generic record layout, used for any form no plugin lays out itself."""

from __future__ import annotations

from typing import Any

from qms.hookspecs import hookimpl


@hookimpl(trylast=True)
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """Lay the record out section by section from its form definition."""
    from qms.recordlayout import generic_record_html

    return generic_record_html(record, form)
