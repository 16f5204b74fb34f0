"""The training record's layout: the core's generic fields, then the attendance sheet from a template."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from qms import api


def record_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The record body with an attendance sheet the attendees sign on paper."""
    generic = Markup(api.generic_record_html(record, form))
    attendees = record.get("data", {}).get("attendees") or []
    # The signature column stays empty: attendees sign the printed sheet.
    rows = [[i, a.get("name"), a.get("dept"), a.get("score"), ""] for i, a in enumerate(attendees, 1)]
    return str(api.templates("qms_training").render("record.html.j2", generic=generic, rows=rows))
