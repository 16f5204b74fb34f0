"""The current time as the quality system sees it.

``QMS_NOW`` (an ISO date-time) fixes the clock, so a demonstration or a test can file records
"in" a given week and deadlines come out the same on every run. Times are naive local
(Asia/Shanghai wall-clock) times: the seeds count deadlines in local working hours and days.

A fixed clock would let anyone backdate a record, so it is honoured only in a workspace whose
``qms.toml`` says ``[workspace] kind = "demo"`` or ``"test"``. Opening a workspace (``App``) tells
this module which kind it is (``allow_fixed``), and every write through that workspace's store says
it again, so a process that holds several workspaces writes each by its own rule. In any other
workspace ``now()`` ignores ``QMS_NOW`` and ``check_writable()`` (called by the store before every
write) refuses the change, so nothing is filed at a pretended time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from qms.errors import Refused

#: Whether the opened workspace is a demo or test workspace, where ``QMS_NOW`` is honoured.
_fixed_allowed = False


class FixedClockRefused(Refused):
    """``QMS_NOW`` is set while working on a workspace that is not a demo or test workspace."""


def allow_fixed(allowed: bool) -> None:
    """Say whether the workspace now opened honours ``QMS_NOW`` (only a demo or test workspace does)."""
    global _fixed_allowed
    _fixed_allowed = allowed


def is_fixed() -> bool:
    """Whether the time ``now()`` gives is the one fixed by ``QMS_NOW`` rather than the real time."""
    return _fixed_allowed and bool(os.environ.get("QMS_NOW"))


def check_writable() -> None:
    """Refuse a change while ``QMS_NOW`` is set in a workspace that does not honour it."""
    if os.environ.get("QMS_NOW") and not _fixed_allowed:
        raise FixedClockRefused(
            "QMS_NOW is set, but this workspace is not a demo or test workspace, so nothing may be filed "
            "at a fixed time; unset QMS_NOW and run the command again"
        )


def now() -> datetime:
    """The current local time, or in a demo or test workspace the time fixed by ``QMS_NOW``, to the second."""
    fixed = os.environ.get("QMS_NOW")
    if fixed and _fixed_allowed:
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
