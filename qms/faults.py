"""Fault injection for crash tests: named steps of a store write at which the process can kill itself.

A write through the store passes named steps (``intent``, ``remember``, ``temp``, ``replaced``,
``audit-torn``, ``audit``, ``commit``, ``done``, and during recovery ``recover-restored`` and
``recover-logged``). When the environment variable ``QMS_CRASH_AT`` names a step, as ``STEP`` or
``STEP@N`` (the N-th time the process reaches it), the process sends itself SIGKILL there: no
``finally`` block, no atexit handler, no flush runs, exactly as after a power cut or ``kill -9``.
Unset, a step costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "QMS_CRASH_AT"
#: Every step a store write or a recovery passes, in the order a single put reaches them.
STEPS = ("intent", "remember", "temp", "replaced", "audit-torn", "audit", "commit", "done",
         "recover-restored", "recover-logged")
_reached: dict[str, int] = {}


def armed(step: str) -> bool:
    """True when reaching ``step`` now is the moment ``QMS_CRASH_AT`` names (counts the visit)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return False
    name, _, nth = wanted.partition("@")
    if name != step:
        return False
    _reached[step] = _reached.get(step, 0) + 1
    return _reached[step] == (int(nth) if nth else 1)


def die() -> None:
    """Kill this process at once, the way a power cut would."""
    os.kill(os.getpid(), signal.SIGKILL)


def reached(step: str) -> None:
    """Mark that a write reached ``step``; dies here if ``QMS_CRASH_AT`` names this visit."""
    if armed(step):
        die()
