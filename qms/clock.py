"""The current time as the quality system sees it.

``QMS_NOW`` (an ISO date-time) fixes the clock, so a demonstration or a test can file records
"in" a given week and deadlines come out the same on every run. Times are naive local
(Asia/Shanghai wall-clock) times: the seeds count deadlines in local working hours and days.
"""

from __future__ import annotations

import os
from datetime import datetime


def now() -> datetime:
    """The current local time, or the time fixed by ``QMS_NOW``, to the second."""
    fixed = os.environ.get("QMS_NOW")
    if fixed:
        return datetime.fromisoformat(fixed).replace(microsecond=0)
    return datetime.now().replace(microsecond=0)


def stamp() -> str:
    """``now()`` as an ISO string, the form stored in records and the audit log."""
    return now().isoformat()
