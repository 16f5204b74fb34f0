"""Record retention: which records are past the period their form declares, and their disposal.

A form declares ``retention: {years: 3, after: closed}`` (or ``after: created``). A record is past
retention when that many years have passed since it was closed (or filed); a record never closed
is kept. A correction and the record it corrects are one piece of evidence: the chain is past
retention only when every member is, and is disposed of together.

Disposal needs an approver (the ``record.dispose`` permission) who signs with their password (an
Ed25519 signature, 销毁 disposed, over the sha256 of the record as last logged). The record and any
attachment no other record uses are removed; the audit log and the ``disposals`` register keep the
fact (number, form, dates, who, why, the signature) and not the content (ISO 9001 7.5.3.2 d).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import clock, forms, records
from qms.audit import digest
from qms.errors import NotFound, Refused, UsageError
from qms.signatures import DISPOSED, seal
from qms.dates import add_months

if TYPE_CHECKING:
    from qms.app import App

DISPOSALS = "disposals"


def closed_at(record: dict[str, Any]) -> str | None:
    """When the record was closed: the last move (or filing, or correction) into its closed state."""
    if not record.get("closed"):
        return None
    for entry in reversed(record.get("history", [])):
        # Later lines (an "amended" note) do not reopen the retention clock.
        if entry.get("action") in ("move", "file", "amend"):
            return str(entry["at"])
    return record.get("created_at")


def retain_until(record: dict[str, Any], form: dict[str, Any]) -> datetime | None:
    """The end of the record's retention, or ``None`` if its form declares none or it is still open."""
    rule = form.get("retention")
    if not isinstance(rule, dict) or not isinstance(rule.get("years"), int):
        return None
    start = record.get("created_at") if rule.get("after", "closed") == "created" else closed_at(record)
    if not start:
        return None
    return add_months(datetime.fromisoformat(start), 12 * rule["years"])


def _chains(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every record grouped by the root of its amendment chain."""
    chains: dict[str, list[dict[str, Any]]] = {}
    for number, record in app.store.iter(records.COLLECTION):
        chains.setdefault(record.get("amends_root") or number, []).append(record)
    return chains


def past_retention(app: App, now: datetime | None = None) -> list[dict[str, Any]]:
    """Records whose retention has ended (whole amendment chains), oldest first.

    Each item: ``{"number", "form", "form_title", "closed_at", "retain_until", "years", "after", "chain"}``.
    """
    at = now or clock.now()
    form_cache: dict[tuple[str, str], dict[str, Any]] = {}
    items = []
    for root, members in _chains(app).items():
        ends = []
        for record in members:
            key = (record["form"], record["form_edition"])
            if key not in form_cache:
                form_cache[key] = forms.load_form(app, *key)
            ends.append(retain_until(record, form_cache[key]))
        if any(e is None or e > at for e in ends):
            continue
        chain = sorted(r["number"] for r in members)
        for record, end in zip(members, ends, strict=True):
            form = form_cache[(record["form"], record["form_edition"])]
            rule = form["retention"]
            items.append({"number": record["number"], "form": record["form"], "form_title": form.get("title", ""),
                          "closed_at": closed_at(record), "retain_until": end.isoformat() if end else None,
                          "years": rule["years"], "after": rule.get("after", "closed"), "chain": chain, "root": root})
    return sorted(items, key=lambda i: (i["retain_until"] or "", i["number"]))


def dispose(app: App, numbers: list[str], reason: str, password: str) -> list[dict[str, Any]]:
    """Dispose of records past retention, signed by an approver; all or none. Returns the disposal facts."""
    actor = app.actor("record.dispose", "dispose of records")
    if not reason.strip():
        raise UsageError("a disposal needs a reason: --reason \"…\"")
    if not numbers:
        raise UsageError("name the records to dispose of; list them with `qms retention`")
    approver = app.users.authenticate(actor["name"], password)
    with app.store.transaction():
        due = {i["number"]: i for i in past_retention(app)}
        problems = []
        for number in numbers:
            if app.store.get(records.COLLECTION, number) is None:
                raise NotFound(f"no record {number!r}; list records past retention with `qms retention`")
            item = due.get(number)
            if item is None:
                problems.append(f"{number} is not past its retention period")
                continue
            left = [n for n in item["chain"] if n not in numbers]
            if left:
                problems.append(f"{number} belongs to a corrected record; dispose of {', '.join(left)} with it")
        if problems:
            raise Refused("nothing was disposed of: " + "; ".join(problems))
        doomed = [app.store.get(records.COLLECTION, n) for n in numbers]
        facts = []
        at = clock.stamp()
        for record in doomed:
            assert record is not None
            item = due[record["number"]]
            fact = {"number": record["number"], "form": record["form"], "form_edition": record["form_edition"],
                    "created_at": record["created_at"], "closed_at": item["closed_at"],
                    "retain_until": item["retain_until"], "retention": {"years": item["years"], "after": item["after"]},
                    "disposed_at": at, "approved_by": approver["name"], "approver_name": approver.get("full_name", ""),
                    "reason": reason, "attachments": len(record.get("attachments", []))}
            # Signed over the sha256 of the record as last logged, so the fact names exactly what went.
            fact["signature"] = seal(app, {"meaning": DISPOSED, "name": approver["name"], "at": at,
                                           "sha256": digest(record)}, password, f"{DISPOSALS}/{record['number']}")
            app.store.delete(records.COLLECTION, record["number"], actor=approver["name"], action="record.dispose",
                             reason=reason, detail={k: fact[k] for k in ("form", "form_edition", "closed_at", "retain_until")})
            app.store.put(DISPOSALS, record["number"], fact, actor=approver["name"], action="record.disposed",
                          reason=reason)
            facts.append(fact)
        _drop_unused_blobs(app, doomed, approver["name"], reason)
    return facts


def _drop_unused_blobs(app: App, disposed: list[dict[str, Any] | None], actor: str, reason: str) -> None:
    """Remove attachments that no remaining record lists (a blob may be shared by identical files)."""
    candidates = {a["sha256"] for r in disposed if r for a in r.get("attachments", [])}
    if not candidates:
        return
    still = {a["sha256"] for _, r in app.store.iter(records.COLLECTION) for a in r.get("attachments", [])}
    for sha in sorted(candidates - still):
        app.store.delete_blob(sha, actor=actor, action="record.dispose_attachment", reason=reason)


def disposals(app: App) -> list[dict[str, Any]]:
    """The disposal register: what was disposed of, when, by whom and why (never the content)."""
    return sorted((d for _, d in app.store.iter(DISPOSALS)), key=lambda d: (d["disposed_at"], d["number"]))


__all__ = ["DISPOSALS", "closed_at", "dispose", "disposals", "past_retention", "retain_until"]
