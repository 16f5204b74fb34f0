"""Read access logging for the site (21 CFR Part 11 style): who viewed which record or PDF, and when.

Switched on in ``qms.toml`` with ``[site] log_reads = true``. A view must not cost a synchronous
append to the audit chain (an fsync under the workspace lock), so views are buffered in memory
and written as one audit entry (action ``site.read``, every view in ``detail.views`` with its time,
user, kind and object) per ``BATCH`` views, at the first view after ``EVERY_SECONDS`` since the oldest
buffered one, by a background timer for a quiet server, and at shutdown (``flush``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from qms import clock
from qms.errors import ConfigError
from qms.store import Store

BATCH = 50
EVERY_SECONDS = 60.0


def enabled(site_table: dict[str, Any]) -> bool:
    """Whether ``[site] log_reads`` is on; anything but true or false is one clear ``ConfigError``."""
    value = site_table.get("log_reads", False)
    if not isinstance(value, bool):
        raise ConfigError(f"site.log_reads in qms.toml must be true or false, not {value!r}; fix that line")
    return value


class ReadLog:
    """The buffer of views not yet written; ``note`` is cheap, ``flush`` writes one audit entry."""

    def __init__(self, store: Store, *, on: bool) -> None:
        self.store = store
        self.on = on
        self._views: list[dict[str, str]] = []
        self._oldest = 0.0
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def note(self, user: str, kind: str, key: str) -> None:
        """Remember that ``user`` viewed ``kind`` ``key`` (a record, a record's PDF …) now."""
        if not self.on:
            return
        with self._lock:
            if not self._views:
                self._oldest = time.monotonic()
                self._arm()
            self._views.append({"at": clock.stamp(), "user": user, "kind": kind, "key": key})
            due = len(self._views) >= BATCH or time.monotonic() - self._oldest >= EVERY_SECONDS
        if due:
            self.flush()

    def _arm(self) -> None:
        # A quiet server still writes its views within about EVERY_SECONDS.
        if self._timer is None or not self._timer.is_alive():
            self._timer = threading.Timer(EVERY_SECONDS, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def pending(self) -> int:
        """How many views wait to be written."""
        with self._lock:
            return len(self._views)

    def flush(self) -> None:
        """Write the buffered views as one audit entry (nothing when none wait)."""
        with self._lock:
            views, self._views = self._views, []
        if not views:
            return
        users = sorted({v["user"] for v in views})
        try:
            self.store.log_event("event", "site.read", actor="site", action="site.read",
                                 reason=f"{len(views)} view(s) by {', '.join(users)}", detail={"views": views})
        except BaseException:
            with self._lock:  # not lost: written with the next batch
                self._views[:0] = views
            raise

    def close(self) -> None:
        """Stop the timer and write what waits (server shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
        self.flush()


__all__ = ["BATCH", "EVERY_SECONDS", "ReadLog", "enabled"]
