"""My work (我的待办): what one user has to do next, gathered from the due list, documents and records.

Five kinds of item, each a plain dict with ``kind``, ``ref``, ``title``, ``due`` (ISO time or
``None``), ``overdue`` and ``scope`` (``"mine"`` or ``"team"``):

* ``record`` and ``plugin`` deadlines and ``document-review`` periodic reviews from ``qms.due``,
  when the item's owner is the user, their role or their department;
* ``signature`` items: documents waiting for this user's review or approval, and open records
  whose next move is a signed act this user's role or department may make;
* ``acknowledgement`` items: documents in force this user has not yet read and acknowledged.

A manager (a role allowed to approve documents, or an admin) also sees the items of their own
department, marked ``team``. The list is sorted overdue first, then by due time.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from qms import clock, distribution, documents
from qms import due as due_engine
from qms import records
from qms.app import App
from qms.signatures import signed_by

KINDS: dict[str, tuple[str, str]] = {
    "record": ("记录期限", "Record deadlines"),
    "plugin": ("程序到期事项", "Procedure items"),
    "document-review": ("文件定期评审", "Periodic reviews"),
    "signature": ("待签署", "Signatures awaited"),
    "acknowledgement": ("待确认阅读", "Acknowledgements owed"),
}


def is_manager(app: App, user: dict[str, Any]) -> bool:
    """Whether ``user`` leads a department (may approve documents), so sees their department's items too."""
    return app.workspace.config.allows(str(user.get("role", "")), "doc.approve")


def _belongs(item: dict[str, Any], user: dict[str, Any]) -> bool:
    owner = str(item.get("owner") or "")
    return bool(owner) and owner in (user.get("name"), user.get("role"), user.get("dept"))


def _due_items(app: App, user: dict[str, Any], now: datetime, manager: bool) -> list[dict[str, Any]]:
    out = []
    for item in due_engine.due_items(app, now).items:
        if _belongs(item, user):
            out.append({**item, "scope": "mine"})
        elif manager and user.get("dept") and item.get("dept") == user.get("dept"):
            out.append({**item, "scope": "team"})
    return out


def _document_signatures(app: App, user: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    name = user["name"]
    config = app.workspace.config
    may_approve = user.get("role") in config.approver_roles and config.allows(str(user.get("role")), "doc.approve")
    out = []
    for number, revs in documents.all_documents(app, now).items():
        rev = revs[-1]
        if rev["state"] != "in_review":
            continue
        prepared = signed_by(rev["signatures"], documents.PREPARED)
        reviewed = {r["name"] for r in rev.get("reviews", [])}
        accepted = signed_by(rev["signatures"], documents.REVIEWED)
        base = {"ref": number, "edition": rev["edition"], "title": rev.get("title", ""), "due": None,
                "overdue": False, "scope": "mine", "kind": "signature", "target": "document"}
        if name in rev.get("reviewers", []) and name not in reviewed:
            out.append({**base, "meaning": "审核 reviewed", "action": "review"})
        elif (may_approve and not [r for r in rev.get("reviewers", []) if r not in accepted]
              and name not in prepared and name not in accepted):
            out.append({**base, "meaning": "批准 approved", "action": "approve"})
    return out


def _record_signatures(app: App, user: dict[str, Any]) -> list[dict[str, Any]]:
    if not app.workspace.config.allows(str(user.get("role", "")), "record.move"):
        return []
    signed: dict[tuple[str, str], list[Any]] = {}
    for form, workflow in app.host.registry.workflows.items():
        for t in workflow.transitions:
            if (t.signature and (not t.roles or user.get("role") in t.roles or user.get("dept") in t.roles)
                    and (not (t.posts or t.depts) or user.get("post") in t.posts or user.get("dept") in t.depts)):
                signed.setdefault((form, t.source), []).append(t)
    if not signed:
        return []
    out = []
    # One register read per form with signed moves: records of other forms are never looked at.
    rows = [row for form in sorted({form for form, _ in signed}) for row in records.summaries(app, form=form)]
    # A plugin may narrow who signs by the record's fields (a 重大 complaint's reply: 总经理 or 管理者代表);
    # only then is each waiting record read whole, to ask it.
    narrowed = bool(app.host.pm.hook.qms_transition_signers.get_hookimpls())
    for row in rows:
        moves = signed.get((row["form"], row["state"]))
        if not moves:
            continue
        if narrowed:
            record = records.get(app, row["number"])
            moves = [t for t in moves if not records.signer_refusals(app, record, t, user)]
        for t in moves:
            out.append({"kind": "signature", "target": "record", "ref": row["number"], "form": row["form"],
                        "title": f"{t.signature} → {t.target}", "meaning": t.signature, "to": t.target,
                        "due": None, "overdue": False, "scope": "mine", "dept": row.get("dept", "")})
    return out


def _acknowledgements(app: App, user: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    if not app.workspace.config.allows(str(user.get("role", "")), "doc.acknowledge"):
        return []
    return [{"kind": "acknowledgement", "ref": a["number"], "edition": a["edition"], "title": a.get("title", ""),
             "due": None, "overdue": False, "scope": "mine"}
            for a in distribution.unacknowledged(app, now=now) if a.get("name") == user["name"]]


def my_work(app: App, user: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """``{"items", "counts", "overdue", "manager"}`` for ``user`` (a public user dict)."""
    at = now or clock.now()
    manager = is_manager(app, user) or user.get("role") == "admin"
    items = (_due_items(app, user, at, manager) + _document_signatures(app, user, at)
             + _record_signatures(app, user) + _acknowledgements(app, user, at))
    # Overdue first, then the soonest due, then the undated (signatures, acknowledgements) by reference.
    items.sort(key=lambda i: (not i.get("overdue"), i.get("due") is None, i.get("due") or "", str(i.get("ref"))))
    counts = Counter(i["kind"] for i in items)
    return {"items": items, "counts": {k: counts.get(k, 0) for k in KINDS},
            "overdue": sum(1 for i in items if i.get("overdue")), "manager": manager, "now": at.isoformat()}


__all__ = ["KINDS", "is_manager", "my_work"]
