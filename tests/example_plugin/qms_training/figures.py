"""The dashboard figure of the training procedure."""

from __future__ import annotations

from collections import Counter
from typing import Any


def per_department(trainings: list[dict[str, Any]]) -> dict[str, Any]:
    """Trainings filed per department, as a bar figure."""
    counts = Counter(r.get("dept") or "—" for r in trainings)
    labels = sorted(counts)
    return {"id": "training.per_department", "title": "培训次数 Trainings per department", "kind": "bar",
            "data": {"labels": labels, "values": [counts[d] for d in labels], "unit": ""}}
