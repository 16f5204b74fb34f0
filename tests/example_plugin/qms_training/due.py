"""Due items: the effectiveness evaluation of a held training, 20 working days after it was held."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api

EVALUATE_WITHIN = "20wd"


def items(held: list[dict[str, Any]], now: datetime, calendar: api.WorkCalendar) -> list[dict[str, Any]]:
    """One item per held training still waiting for its evaluation."""
    out = []
    for record in held:
        day = api.parse_date(record["data"].get("held_on"))
        if day is None:
            continue
        due = api.end_of_day(calendar.due(datetime.combine(day, datetime.min.time()), EVALUATE_WITHIN))
        out.append({"kind": "training-evaluation", "ref": record["number"],
                    "title": f"培训有效性评价 Evaluate training: {record['data'].get('topic', '')}",
                    "due": due.isoformat(), "owner": "quality_officer", "dept": record.get("dept", "")})
    return out
