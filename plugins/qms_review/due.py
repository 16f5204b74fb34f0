"""Due items: each output of a held or approved management review that is not yet done, by its due date."""

from __future__ import annotations

from typing import Any

from qms import api


def items(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per open output, owned by the person it names (their department beside it)."""
    out = []
    for record in reviews:
        for o in record.get("data", {}).get("outputs") or []:
            day = api.parse_date(o.get("due"))
            if o.get("done_at") or day is None:
                continue
            out.append({"kind": "review-output", "ref": record["number"],
                        "title": f"管理评审输出 {o.get('no')} Review output {o.get('no')} ({o.get('kind', '')}): "
                                 f"{o.get('action', '')}",
                        "due": api.end_of_day(day).isoformat(), "owner": str(o.get("owner", "")),
                        "dept": str(o.get("dept") or record.get("dept", ""))})
    return out


__all__ = ["items"]
