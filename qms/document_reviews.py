"""Periodic review of controlled documents and the integrity of their files and stored revisions.

A revision in force is due for review ``review_interval_months`` after its effective date or its
latest periodic review; ``review_due_items`` feeds ``qms due``. ``tamper_problems`` finds controlled
files changed on disk after submission and stored content that no longer matches its signatures
(``qms check``).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.document_files import next_review, relpath, sha256_text
from qms.documents import all_documents, file_matches, in_force
from qms.signatures import PREPARED, signed_by

if TYPE_CHECKING:
    from qms.app import App


def review_due_items(app: App, now: datetime, horizon_days: int = 30) -> list[dict[str, Any]]:
    """Documents whose periodic review falls due within ``horizon_days`` of ``now`` or is overdue.

    Each item: ``{"kind": "document-review", "ref", "title", "due" (ISO date-time, end of the due
    day), "owner" (who prepared the revision in force), "dept" (owning department), "overdue"}``.
    """
    items = []
    for number, revs in all_documents(app, now).items():
        current = in_force(revs)
        if current is None:
            continue
        due = datetime.combine(next_review(current), time(23, 59, 59))
        if (due.date() - now.date()).days > horizon_days:
            continue
        preparers = signed_by(current["signatures"], PREPARED)
        items.append({
            "kind": "document-review", "ref": number, "title": current["title"], "due": due.isoformat(),
            "owner": preparers[0] if preparers else current.get("created_by", ""), "dept": current.get("owner", ""),
            "overdue": now > due,
        })
    return sorted(items, key=lambda i: (i["due"], i["ref"]))


def tamper_problems(app: App) -> list[str]:
    """Controlled files changed on disk after submission, and stored content that no longer matches its signatures."""
    problems = []
    now = clock.now()
    for number, revs in all_documents(app, now).items():
        latest = revs[-1]
        rel = relpath(number)
        path = app.workspace.root / rel
        if latest["state"] != "draft" and latest.get("file_sha256"):
            if not path.is_file():
                problems.append(f"{rel}: missing, although {number} {latest['edition']} ({latest['state_label']}) is controlled; "
                                f"restore it with `qms doc show {number} --source > {rel}`")
            elif not file_matches(app, latest):
                problems.append(
                    f"{rel}: changed on disk after {number} {latest['edition']} was submitted and signed "
                    f"({latest['state_label']}); qms serves the stored approved text. Restore it with "
                    f"`qms doc show {number} --source > {rel}` or start a change with `qms doc revise {number}`"
                )
        for rev in revs:
            if rev["state"] == "draft":
                continue
            if sha256_text(rev["content"]) != rev["content_sha256"]:
                problems.append(f"revisions/{number}@{rev['edition']}: stored content does not match its sha256 "
                                f"(changed outside qms); run `qms verify`")
            for sig in rev["signatures"]:
                if sig.get("sha256") != rev["content_sha256"]:
                    problems.append(f"revisions/{number}@{rev['edition']}: {sig['meaning']} signature of {sig['name']} "
                                    f"was made over different content")
        effective = [r["edition"] for r in revs if r["state"] == "effective"]
        if len(effective) > 1:
            problems.append(f"{number}: more than one effective revision ({', '.join(effective)})")
    return problems
