"""The current time as the quality system sees it.

``QMS_NOW`` (an ISO date-time) fixes the clock, so a demonstration or a test can file records
"in" a given week and deadlines come out the same on every run. Times are naive local
(Asia/Shanghai wall-clock) times: the seeds count deadlines in local working hours and days.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


def set_now(moment: str) -> None:
    """Fix the clock at ``moment`` (``YYYY-MM-DD`` means 09:00 that day) until changed or restored."""
    os.environ["QMS_NOW"] = moment if "T" in moment else f"{moment}T09:00:00"


@contextmanager
def frozen_at(moment: str | None = None) -> Iterator[None]:
    """Run a block with the clock fixed at ``moment`` (or as it is), restoring the clock afterwards.

    Demonstrations and tests file records "at" given times; the block may move the clock further
    with ``set_now``; whatever it does, the clock is put back as it was.
    """
    before = os.environ.get("QMS_NOW")
    if moment is not None:
        set_now(moment)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("QMS_NOW", None)
        else:
            os.environ["QMS_NOW"] = before
