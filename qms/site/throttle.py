"""The login throttle of the site: failed logins per client address and user name, with back-off.

A wrong password slows down the client that sent it, for the name it tried, and nobody else: after
``FREE_TRIES`` failures from one address for one name, that address waits ``2**k`` seconds
(``k`` = failures beyond the free tries, at most ``MAX_WAIT``) before it may try that name again.
The right password from another address still logs in, so nobody can lock a colleague out.

The counts live in ``records/site_throttle.json`` (outside ``db/`` and the audit log), so a restart
does not forgive a client and ``qms user unlock NAME`` (another process) can clear a name. The file
keeps at most ``MAX_ENTRIES`` address/name pairs, the most recent. Failures are not logged one by
one: an attacker could flood the audit chain and choose the text of unknown names in it. Instead a
summary (``"12 failed logins for 3 names from 2 clients since …"``, naming only known users) is
logged every ``SUMMARY_EVERY`` failures, once the oldest unreported failure is ``SUMMARY_AFTER`` old,
and when an admin unlocks a name.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock

from qms import clock
from qms.store import Store, atomic_write

FILE_NAME = "site_throttle.json"
FREE_TRIES = 5
MAX_WAIT = 3600
MAX_ENTRIES = 2000
SUMMARY_EVERY = 20
SUMMARY_AFTER = timedelta(minutes=15)
#: At most this many known names and client addresses are listed in one summary entry.
SUMMARY_LIST = 20


def wait_after(failures: int) -> int:
    """Seconds a client waits after ``failures`` failures in a row for one name (0 within the free tries)."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_WAIT, 2 ** (failures - FREE_TRIES + 1))


@dataclass(frozen=True)
class Verdict:
    """Whether a client may try a name now, and if not, how many seconds it must wait."""

    wait: int

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


def _fresh() -> dict[str, Any]:
    """No failures waiting to be reported."""
    return {"count": 0, "since": None, "names": [], "unknown": [], "clients": []}


class Throttle:
    """Failed logins per (client, name) in a bounded file, and their periodic summary in the audit log."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.root / FILE_NAME
        self._lock = FileLock(str(store.root / ".site_throttle.lock"), timeout=30)
        self._thread_lock = threading.Lock()

    # -- the file -----------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_bytes())
        except (FileNotFoundError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        if not isinstance(data.get("pairs"), dict):
            data["pairs"] = {}
        if not isinstance(data.get("pending"), dict):
            data["pending"] = _fresh()
        return data

    def _write(self, data: dict[str, Any]) -> None:
        pairs: dict[str, Any] = data["pairs"]
        if len(pairs) > MAX_ENTRIES:
            # Bounded: forget the pairs whose last failure is oldest.
            keep = sorted(pairs.items(), key=lambda kv: str(kv[1].get("last", "")))[-MAX_ENTRIES:]
            data["pairs"] = dict(keep)
        self.store.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    @staticmethod
    def _key(client: str, name: str) -> str:
        return json.dumps([client, name], ensure_ascii=False)

    # -- the rules ----------------------------------------------------------------------------

    def check(self, client: str, name: str, now: datetime) -> Verdict:
        """Whether ``client`` may try ``name`` at ``now``; reads the file, writes nothing."""
        pair = self._read()["pairs"].get(self._key(client, name))
        if not pair or not pair.get("until"):
            return Verdict(0)
        left = (datetime.fromisoformat(pair["until"]) - now).total_seconds()
        return Verdict(max(0, int(left + 0.999)))

    def failed(self, client: str, name: str, known: bool, now: datetime) -> int:
        """Count a failure of ``client`` for ``name``; returns the seconds it must now wait (0: none)."""
        summary: dict[str, Any] | None = None
        with self._thread_lock, self._lock:
            data = self._read()
            key = self._key(client, name)
            pair = data["pairs"].get(key, {"failures": 0})
            failures = int(pair.get("failures", 0)) + 1
            wait = wait_after(failures)
            data["pairs"][key] = {"client": client, "name": name, "failures": failures, "last": now.isoformat(),
                                  "until": (now + timedelta(seconds=wait)).isoformat() if wait else None}
            pending = data["pending"]
            pending["count"] = int(pending.get("count", 0)) + 1
            pending["since"] = pending.get("since") or now.isoformat()
            if known:
                if name not in pending["names"] and len(pending["names"]) < SUMMARY_LIST:
                    pending["names"].append(name)
            else:
                # Unknown names are counted by a short hash: their text is the attacker's and stays out.
                tag = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
                if tag not in pending["unknown"] and len(pending["unknown"]) < MAX_ENTRIES:
                    pending["unknown"].append(tag)
            if client not in pending["clients"] and len(pending["clients"]) < SUMMARY_LIST:
                pending["clients"].append(client)
            if pending["count"] >= SUMMARY_EVERY or now - datetime.fromisoformat(pending["since"]) >= SUMMARY_AFTER:
                summary, data["pending"] = pending, _fresh()
            self._write(data)
        if summary is not None:
            self._log_summary(summary, now)
        return wait

    def succeeded(self, client: str, name: str) -> None:
        """A right password: forget the failures of ``client`` for ``name``."""
        with self._thread_lock, self._lock:
            data = self._read()
            if data["pairs"].pop(self._key(client, name), None) is not None:
                self._write(data)

    def clients(self, name: str) -> int:
        """How many client addresses have failures counted for ``name``."""
        return sum(1 for v in self._read()["pairs"].values() if v.get("name") == name)

    def unlock(self, name: str) -> int:
        """Forget every client's failures for ``name``; returns how many clients were waiting or counted."""
        with self._thread_lock, self._lock:
            data = self._read()
            gone = [k for k, v in data["pairs"].items() if v.get("name") == name]
            for key in gone:
                del data["pairs"][key]
            self._write(data)
        return len(gone)

    def flush(self, now: datetime | None = None) -> None:
        """Log the summary of failures not yet reported (on shutdown, on unlock)."""
        with self._thread_lock, self._lock:
            data = self._read()
            pending = data["pending"]
            if not pending.get("count"):
                return
            data["pending"] = _fresh()
            self._write(data)
        self._log_summary(pending, now or clock.now())

    def _log_summary(self, pending: dict[str, Any], now: datetime) -> None:
        names = len(pending["names"]) + len(pending["unknown"])
        clients = len(pending["clients"])
        reason = (f"{pending['count']} failed logins for {names} name(s) from {clients} client(s) "
                  f"since {pending['since']}")
        detail = {"failed": pending["count"], "since": pending["since"], "until": now.isoformat(),
                  "known_names": sorted(pending["names"]), "unknown_names": len(pending["unknown"]),
                  "clients": sorted(pending["clients"])}
        self.store.log_event("event", "site.login", actor="site", action="site.login.failures", reason=reason,
                             detail=detail)


__all__ = ["FREE_TRIES", "MAX_WAIT", "Throttle", "Verdict", "wait_after"]
