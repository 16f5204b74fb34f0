"""``qms verify``: replay the audit log and name every object whose bytes no longer match it.

The log says, for every document revision, record, user, attachment and registered file, the
sha256 of its last state. Verification recomputes the chain, then re-hashes every stored object
and file and compares. A hand edit anywhere shows up as a named problem; a write interrupted by a
crash does not, because it is recovered (rolled back or forward, and logged) before the check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qms.audit import digest
from qms.chronology import backward_steps
from qms.errors import QMSError
from qms.signature_report import check_signatures
from qms.store import Store, sha256_file
from qms.workspace import CONFIG_NAME, parse_config


@dataclass(frozen=True)
class Problem:
    """One object that does not match the audit log, or one broken line of the log."""

    object: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Plain data for ``--json``."""
        return asdict(self)


@dataclass
class Report:
    """The outcome of a verification run."""

    problems: list[Problem]
    entries: int
    objects: int
    head: str
    signatures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the auditor site."""
        return {"ok": self.ok, "entries": self.entries, "objects": self.objects, "head": self.head,
                "problems": [p.as_dict() for p in self.problems], "signatures": self.signatures}


def verify_store(store: Store, workspace_root: Path) -> Report:
    """Check the chain, then every stored object, blob and registered file against it.

    It runs under the write lock, after recovering a write a crash left unfinished (``qms.intent``):
    an interrupted write is not tampering, and a writer half-way through is not judged.
    """
    with store.settled():
        report = _verify(store, workspace_root)
        if store.pending_intent():
            report.problems.insert(0, Problem(
                "records/.intent", "a write was interrupted and could not be recovered here "
                "(the workspace is read-only); run `qms doctor` where it can be written"))
        return report


def _verify(store: Store, workspace_root: Path) -> Report:
    chain_problems, entries = store.audit.check_chain()
    problems = [Problem(f"audit.log line {p.line}", p.message) for p in chain_problems]
    expected: dict[tuple[str, str], str | None] = {}
    for entry in entries:
        expected[(entry.get("collection", ""), entry.get("key", ""))] = entry.get("state")
    checked = 0
    seen: set[tuple[str, str]] = set()
    for collection in store.collections():
        for key, obj in store.iter(collection):
            checked += 1
            seen.add((collection, key))
            if (collection, key) not in expected:
                problems.append(Problem(f"{collection}/{key}", "stored but never logged (added by hand or by an interrupted write)"))
            elif expected[(collection, key)] is None:
                problems.append(Problem(f"{collection}/{key}", "present although the audit log says it was removed"))
            elif digest(obj) != expected[(collection, key)]:
                problems.append(Problem(f"{collection}/{key}", "content differs from its last logged state (changed outside qms)"))
    for (collection, key), state in sorted(expected.items()):
        if collection == "blob":
            checked += 1
            path = store.blob_path(key)
            if state is None:
                # Disposed under retention: the log keeps the fact; the bytes may be gone.
                continue
            if not path.exists():
                problems.append(Problem(f"attachment {key[:12]}", "file is missing"))
            elif sha256_file(path) != key:
                problems.append(Problem(f"attachment {key[:12]}", "bytes differ from their recorded sha256"))
        elif collection == "file":
            checked += 1
            path = workspace_root / key
            if state is None:
                continue
            if not path.exists():
                problems.append(Problem(key, "file is missing"))
            elif sha256_file(path) != state:
                problems.append(Problem(key, "bytes differ from the sha256 logged when it was made"))
        elif collection == "event":
            continue
        elif state is not None and (collection, key) not in seen:
            problems.append(Problem(f"{collection}/{key}", "missing from the store although the audit log has it"))
    problems.extend(_time_problems(entries, workspace_root))
    # Each signature against the key the log registered for its signer (qms.signature_report).
    signed = check_signatures(store, entries)
    problems.extend(Problem(obj, message) for obj, message in signed.problems)
    return Report(problems=problems, entries=len(entries), objects=checked, head=entries[-1]["hash"] if entries else "",
                  signatures=signed.summary())


def _time_problems(entries: list[dict[str, Any]], workspace_root: Path) -> list[Problem]:
    """Audit entries whose times go backwards (fixed-clock entries pass in a demo or test workspace)."""
    try:
        allowed = parse_config(workspace_root / CONFIG_NAME).fixed_clock_allowed
    except (OSError, QMSError):
        allowed = False  # no readable qms.toml: nothing vouches for a fixed clock
    return [Problem(f"audit.log entry {s.seq}", s.message) for s in backward_steps(entries, fixed_clock_allowed=allowed)]
