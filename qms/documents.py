"""Controlled documents: numbered procedures and external documents, their revisions and states.

A document is a number (文件编号, e.g. ``QP-8.2-01``) with revisions ``NUMBER@A/0``, ``NUMBER@A/1`` …
stored in the collection ``revisions`` as the plain dict of the shared contract. The draft's text
lives in ``procedures/NUMBER.md`` and is the only editable one; submitting copies the file into the
store with its sha256, and from then on the store is the truth: signatures, rendering and serving
use the stored content, and a later hand edit of the file is reported by ``qms check`` (and by
``qms verify``, because the file's sha256 is registered in the audit log at submission).

Stored lifecycle states are ``draft``, ``in_review``, ``approved``, ``issued`` and ``obsolete``.
What a reader sees is computed from dates at the moment of reading (``state_at``): an issued
revision is ``issued`` (发布待实施) before its effective date, ``effective`` from it, and
``superseded`` from the effective date of its successor. Nothing is written on read, so ``doc
list`` is right for any date fixed with ``QMS_NOW`` and the audit log stays the record of acts.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from qms import clock, editions
from qms.document_files import (
    TYPES,
    check_number,
    draft_text,
    is_form,
    last_review,
    line_of,
    meta_fields,
    next_review,
    read_file,
    relpath,
    rev_key,
    sha256_text,
    with_edition,
)
from qms.dates import require_date
from qms.errors import NotFound, Refused, UsageError
from qms.signatures import (
    APPROVED,
    PREPARED,
    REVIEWED,
    require_matching,
    sign,
    signed_by,
)

if TYPE_CHECKING:
    from qms.app import App

COLLECTION = "revisions"

#: Reader-facing states with bilingual labels, in lifecycle order.
STATES: dict[str, str] = {
    "draft": "草稿 draft",
    "in_review": "审核中 in review",
    "approved": "已批准 approved",
    "issued": "已发布待实施 issued, not yet effective",
    "effective": "受控 effective",
    "superseded": "已替代 superseded",
    "obsolete": "作废 obsolete",
}

#: What may be done next from each computed state, for refusal messages.
NEXT: dict[str, str] = {
    "draft": "edit procedures/NUMBER.md, then `qms doc submit`",
    "in_review": "`qms doc review --accept|--reject` by a named reviewer, then `qms doc approve`",
    "approved": "`qms doc issue`",
    "issued": "wait for its effective date, or `qms doc revise` / `qms doc obsolete`",
    "effective": "`qms doc revise`, `qms doc obsolete`, `qms doc distribute`, `qms doc review --periodic`",
    "superseded": "nothing: it is kept for reference only",
    "obsolete": "nothing: it is withdrawn and kept for reference only",
}

_SKELETON = """# {title} {title_en}

## 1 目的 Purpose

## 2 范围 Scope

## 3 职责 Responsibilities

## 4 定义 Definitions

## 5 程序 Process

## 6 时限 Time limits

## 7 相关记录 Related records
"""

_EXTERNAL_BODY = """# {title} {title_en}

外来文件登记 External document register entry.

- 标准/文件号 Reference: {ref}
- 来源 Source: {source}
- 版本/日期 Version/date: {version}
"""


# -- reading -----------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def state_at(rev: dict[str, Any], now: datetime) -> str:
    """The state a reader sees at ``now``, computed from the stored state and the dates."""
    if rev.get("obsoleted_at") and datetime.fromisoformat(rev["obsoleted_at"]) <= now:
        return "obsolete"
    stored = str(rev.get("stored_state") or rev.get("state"))
    if stored != "issued":
        return "obsolete" if stored == "obsolete" else stored
    if rev.get("effective_date") and date.fromisoformat(rev["effective_date"]) > now.date():
        return "issued"
    if rev.get("superseded_at") and date.fromisoformat(rev["superseded_at"]) <= now.date():
        return "superseded"
    return "effective"


def _present(rev: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A stored revision as readers get it: ``state`` computed, ``stored_state`` kept, label added."""
    out = dict(rev)
    out["stored_state"] = rev["state"]
    out["state"] = state_at(rev, now)
    out["state_label"] = STATES[out["state"]]
    return out


def revisions(app: App, number: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every revision of ``number``, oldest edition first, with computed states."""
    revs = app.store.query(COLLECTION, number=number)
    return [_present(r, _now(now)) for r in sorted(revs, key=lambda r: editions.sort_key(r["edition"]))]


def require_revisions(app: App, number: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every revision of ``number`` (computed states); ``NotFound`` for an unknown document."""
    revs = revisions(app, number, now)
    if not revs:
        raise NotFound(f"no controlled document {number!r}; list them with `qms doc list --all`")
    return revs


def in_force(revs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The effective revision among ``revs`` (computed states), if any."""
    effective = [r for r in revs if r["state"] == "effective"]
    return effective[-1] if effective else None


def get_revision(app: App, number: str, edition: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """One revision as a plain dict: ``edition`` None means the one in force, else the latest.

    For a draft, ``content`` is the current text of the file (the only editable copy); for every
    other state it is the content held in the store, never the file on disk.
    """
    revs = require_revisions(app, number, now)
    if edition is None:
        rev = in_force(revs) or revs[-1]
    else:
        editions.parse(edition)
        found = [r for r in revs if r["edition"] == edition]
        if not found:
            raise NotFound(f"{number} has no revision {edition}; it has {', '.join(r['edition'] for r in revs)}")
        rev = found[0]
    if rev["state"] == "draft":
        try:
            parsed = read_file(app, number, rev["edition"])
        except (Refused, NotFound):
            return rev  # a broken draft file still shows its last good text
        rev["content"] = parsed["body"]
        rev["content_sha256"] = sha256_text(parsed["body"])
        rev.update(meta_fields(app, parsed["meta"]))
    return rev


def history(app: App, number: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The 修订记录: every revision of ``number`` with reason, signatures and dates, oldest first."""
    return require_revisions(app, number, now)


def all_documents(app: App, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every document's revisions (computed states), by number."""
    at = _now(now)
    by_number: dict[str, list[dict[str, Any]]] = {}
    for _, rev in app.store.iter(COLLECTION):
        by_number.setdefault(rev["number"], []).append(_present(rev, at))
    for revs in by_number.values():
        revs.sort(key=lambda r: editions.sort_key(r["edition"]))
    return dict(sorted(by_number.items()))


def list_documents(app: App, now: datetime | None = None, show_all: bool = False, doc_type: str | None = None,
                   search: str | None = None) -> list[dict[str, Any]]:
    """Rows for ``doc list``: the revision in force of each document, or with ``show_all`` every revision."""
    at = _now(now)
    rows = []
    for number, revs in all_documents(app, at).items():
        chosen = revs if show_all else [r for r in revs if r["state"] == "effective"]
        for rev in chosen:
            if doc_type and rev["type"] != doc_type:
                continue
            if search and not any(search.lower() in str(rev.get(k, "")).lower()
                                  for k in ("number", "title", "title_en", "content", "owner")):
                continue
            rows.append({k: v for k, v in rev.items() if k not in ("content", "source", "history")}
                        | {"next_review": next_review(rev).isoformat() if rev["state"] == "effective" else None,
                           "last_review": last_review(rev).isoformat() if rev.get("effective_date") else None})
    return rows


# -- writing -----------------------------------------------------------------------------------


def _event(rev: dict[str, Any], actor: str, action: str, source: str, target: str, note: str = "") -> None:
    rev.setdefault("history", []).append(
        {"at": clock.stamp(), "actor": actor, "action": action, "from": source, "to": target, "note": note}
    )


def _latest_stored(app: App, number: str) -> dict[str, Any]:
    revs = app.store.query(COLLECTION, number=number)
    if not revs:
        raise NotFound(f"no controlled document {number!r}; list them with `qms doc list --all`")
    return max(revs, key=lambda r: editions.sort_key(r["edition"]))


def _refuse_state(number: str, rev: dict[str, Any], state: str, doing: str, needs: str) -> Refused:
    return Refused(
        f"{number} {rev['edition']} is {STATES[state]}; {doing} needs a revision that is {needs}. "
        f"Allowed now: {NEXT[state].replace('NUMBER', number)}"
    )


def _obj(rev: dict[str, Any]) -> str:
    """The stored object a signature on ``rev`` belongs to (what its Ed25519 signature binds)."""
    return f"{COLLECTION}/{rev_key(rev['number'], rev['edition'])}"


def _put(app: App, rev: dict[str, Any], actor: str, action: str, reason: str = "",
         detail: dict[str, Any] | None = None) -> None:
    app.store.put(COLLECTION, rev_key(rev["number"], rev["edition"]), rev, actor=actor, action=action,
                  reason=reason, detail=detail)


def new_document(app: App, number: str, *, title: str | None = None, title_en: str | None = None,
                 doc_type: str | None = None, owner: str | None = None, reason: str = "",
                 review_interval_months: int | None = None, external: dict[str, str] | None = None) -> dict[str, Any]:
    """Create document ``number`` with a draft first revision.

    If ``procedures/NUMBER.md`` already exists (a workspace's reference procedures) it is taken
    under control as it is, and given options must agree with its front matter; otherwise the file
    is written from the options with a skeleton body.
    """
    actor = app.actor("doc.prepare", "create controlled documents")["name"]
    check_number(app, number)
    if doc_type is not None and doc_type not in TYPES:
        raise UsageError(f"document type {doc_type!r} is not one of {', '.join(TYPES)}")
    if external and doc_type != "external":
        raise UsageError("--source, --version and --ref describe external documents; add --type external")
    path = app.workspace.root / relpath(number)
    with app.store.transaction():
        existing = app.store.query(COLLECTION, number=number)
        if existing:
            state = state_at(max(existing, key=lambda r: editions.sort_key(r["edition"])), clock.now())
            raise Refused(f"document {number} already exists ({STATES[state]}); change it with `qms doc revise {number}`")
        if path.exists():
            parsed = read_file(app, number)
            meta = parsed["meta"]
            for key, given in (("title", title), ("title_en", title_en), ("type", doc_type), ("owner", owner)):
                if given is not None and str(meta.get(key, "procedure" if key == "type" else "")) != given:
                    raise Refused(
                        f"{relpath(number)} line {line_of(parsed['source'], key)}: {key} is "
                        f"{meta.get(key)!r} but --{key.replace('_', '-')} says {given!r}; make them agree"
                    )
            edition = str(meta.get("edition", editions.FIRST))
            if "edition" not in meta:
                raise Refused(f"{relpath(number)} line 1: front matter has no edition; add edition: \"A/0\"")
        else:
            if is_form(number):
                raise NotFound(f"{relpath(number)} does not exist; write the form definition there, then take it "
                               f"under control with `qms doc new {number}`")
            if not title or not owner:
                raise UsageError(f"{relpath(number)} does not exist yet: give --title and --owner to create it")
            if doc_type == "external" and not (external and external.get("source") and external.get("version")):
                raise UsageError("an external document needs --source (issuer) and --version (version or date)")
            kind = doc_type or "procedure"
            edition = editions.FIRST
            meta = {"number": number, "title": title, "title_en": title_en or "", "type": kind, "owner": owner,
                    "edition": edition, "language": "zh"}
            if review_interval_months:
                meta["review_interval_months"] = review_interval_months
            meta["iso_clauses"] = []
            meta["forms"] = []
            if external:
                meta["external"] = dict(external)
            head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None)
            head = head.replace(f"edition: {edition}\n", f'edition: "{edition}"\n')
            body = (_EXTERNAL_BODY.format(title=title, title_en=title_en or "", **{
                "ref": external.get("ref", ""), "source": external.get("source", ""),
                "version": external.get("version", "")}) if external else
                _SKELETON.format(title=title, title_en=title_en or ""))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"---\n{head}---\n\n{body}", encoding="utf-8")
            parsed = read_file(app, number, edition)
        rev: dict[str, Any] = {
            "number": number, "edition": edition, "state": "draft",
            **meta_fields(app, parsed["meta"]),
            "content": parsed["body"], "content_sha256": sha256_text(parsed["body"]),
            "reason": reason or "首次发布 first issue", "change": "new",
            "signatures": [], "reviewers": [], "reviews": [], "void_signatures": [], "periodic_reviews": [],
            "issued_at": None, "effective_date": None, "approved_at": None,
            "supersedes": None, "superseded_by": None, "superseded_at": None,
            "obsoleted_at": None, "obsolete_reason": None,
            "created_at": clock.stamp(), "created_by": actor, "source": None, "file_sha256": None, "history": [],
        }
        _event(rev, actor, "doc.new", "", "draft", rev["reason"])
        _put(app, rev, actor, "doc.new", rev["reason"], {"edition": edition})
    return _present(rev, clock.now())


def edit_draft(app: App, number: str, body: str, reason: str | None = None) -> dict[str, Any]:
    """Replace the Markdown body of the draft of ``number`` (its front matter is kept) and, if given, its reason for change.

    Only a draft is edited: once submitted its text is frozen and signed, and a change needs a
    new revision. The file is written only after every check passed, so a refusal changes nothing.
    """
    actor = app.actor("doc.prepare", "edit draft documents")["name"]
    if not body.strip():
        raise UsageError(f"the text of {number} would be empty; write the procedure's text")
    if reason is not None and not reason.strip():
        raise UsageError("the reason for change (修订原因) may not be empty")
    path = app.workspace.root / relpath(number)
    with app.store.transaction():
        rev = _latest_stored(app, number)
        state = state_at(rev, clock.now())
        if state != "draft":
            raise _refuse_state(number, rev, state, "editing", "a draft")
        path.write_text(draft_text(number, path.read_text(encoding="utf-8"), body.replace("\r\n", "\n")), encoding="utf-8")
        parsed = read_file(app, number, rev["edition"])
        rev["content"] = parsed["body"]
        rev["content_sha256"] = sha256_text(parsed["body"])
        if reason is not None:
            rev["reason"] = reason.strip()
        _event(rev, actor, "doc.edit", "draft", "draft", reason.strip() if reason else "text edited")
        _put(app, rev, actor, "doc.edit", reason.strip() if reason else "", {"content_sha256": rev["content_sha256"]})
    return _present(rev, clock.now())


def submit(app: App, number: str, reviewers: list[str], password: str) -> dict[str, Any]:
    """Draft → in review: freeze the file's content in the store and sign it 编制 prepared."""
    actor = app.actor("doc.prepare", "submit documents for review")["name"]
    if not reviewers:
        raise UsageError("name at least one reviewer with --reviewer NAME")
    config = app.workspace.config
    for name in reviewers:
        user = app.users.get(name)
        if name == actor:
            raise Refused(f"{name} prepared {number} and may not also review it; name another reviewer")
        if user["role"] not in config.reviewer_roles or not config.allows(user["role"], "doc.review"):
            raise Refused(f"{name} ({user['role']}) may not review documents; reviewers need one of the roles "
                          f"{', '.join(config.reviewer_roles)} (qms.toml [documents] reviewer_roles)")
    with app.store.transaction():
        rev = _latest_stored(app, number)
        state = state_at(rev, clock.now())
        if state != "draft":
            raise _refuse_state(number, rev, state, "submitting", "a draft")
        parsed = read_file(app, number, rev["edition"])
        sha = sha256_text(parsed["body"])
        signature = sign(app, actor, password, PREPARED, sha, "doc.prepare", "sign documents as preparer",
                         obj=_obj(rev))
        rev.update(meta_fields(app, parsed["meta"]))
        rev.update({"state": "in_review", "content": parsed["body"], "content_sha256": sha,
                    "source": parsed["source"], "file_sha256": parsed["file_sha256"],
                    "signatures": [signature], "reviewers": list(dict.fromkeys(reviewers)), "reviews": []})
        _event(rev, actor, "doc.submit", "draft", "in_review", "reviewers: " + ", ".join(reviewers))
        _put(app, rev, actor, "doc.submit", detail={"content_sha256": sha, "reviewers": reviewers})
        # From here the file must stay as submitted; the audit log holds its sha256 for `qms verify`.
        app.store.register_file(relpath(number), parsed["file_sha256"], actor=actor, action="doc.freeze",
                                detail={"number": number, "edition": rev["edition"]})
    return _present(rev, clock.now())


def file_matches(app: App, rev: dict[str, Any]) -> bool:
    path = app.workspace.root / relpath(rev["number"])
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == rev.get("file_sha256")


def _require_intact(app: App, rev: dict[str, Any], doing: str) -> None:
    """Refuse when the stored content no longer matches its hash or the file changed after submission."""
    what = f"{rev['number']} {rev['edition']}"
    if sha256_text(rev["content"]) != rev["content_sha256"]:
        raise Refused(f"{what}: the stored content no longer matches its sha256; run `qms verify` before {doing}")
    require_matching(rev["signatures"], rev["content_sha256"], what)
    if not file_matches(app, rev):
        raise Refused(
            f"{relpath(rev['number'])} changed after {what} was submitted for review, so {doing} is refused; "
            f"restore it with `qms doc show {rev['number']} --source > {relpath(rev['number'])}` "
            f"or have a reviewer reject it and submit the change again"
        )


def review(app: App, number: str, accept: bool, comment: str, password: str) -> dict[str, Any]:
    """Record a named reviewer's decision on the revision in review: accept signs 审核, reject returns it to draft."""
    actor = app.actor("doc.review", "review documents")["name"]
    if not accept and not comment.strip():
        raise UsageError("a rejection needs --comment saying what must change")
    with app.store.transaction():
        rev = _latest_stored(app, number)
        state = state_at(rev, clock.now())
        if state != "in_review":
            raise _refuse_state(number, rev, state, "a review", "in review (submitted with `qms doc submit`)")
        if actor not in rev["reviewers"]:
            raise Refused(f"{actor} is not a named reviewer of {number} {rev['edition']} "
                          f"(reviewers: {', '.join(rev['reviewers'])})")
        if actor in signed_by(rev["signatures"], PREPARED):
            raise Refused(f"{actor} prepared {number} {rev['edition']} and may not review it")
        if any(r["name"] == actor for r in rev["reviews"]):
            raise Refused(f"{actor} has already reviewed {number} {rev['edition']}")
        if accept:
            _require_intact(app, rev, "the review")
        signature = sign(app, actor, password, REVIEWED, rev["content_sha256"], "doc.review", "sign reviews",
                         obj=_obj(rev))
        decision = "accept" if accept else "reject"
        rev["reviews"].append({"name": actor, "decision": decision, "comment": comment, "at": signature["at"],
                               "sha256": rev["content_sha256"]})
        if accept:
            rev["signatures"].append(signature)
            _event(rev, actor, "doc.review", "in_review", "in_review", comment or "accepted")
        else:
            # The prepared and reviewed signatures were over text that must now change: void them.
            rev["void_signatures"].extend(rev["signatures"])
            rev["signatures"] = []
            rev["state"] = "draft"
            _event(rev, actor, "doc.reject", "in_review", "draft", comment)
        _put(app, rev, actor, f"doc.review.{decision}", comment, {"content_sha256": rev["content_sha256"]})
        if not accept:
            app.store.register_file(relpath(number), None, actor=actor, action="doc.unfreeze",
                                    detail={"number": number, "edition": rev["edition"]})
    return _present(rev, clock.now())


def approve(app: App, number: str, password: str) -> dict[str, Any]:
    """In review (every named reviewer accepted) → approved, signed 批准 by someone who neither prepared nor reviewed it."""
    user = app.actor("doc.approve", "approve documents")
    actor = user["name"]
    config = app.workspace.config
    if user["role"] not in config.approver_roles:
        raise Refused(f"{actor} ({user['role']}) may not approve; approvers need one of the roles "
                      f"{', '.join(config.approver_roles)} (qms.toml [documents] approver_roles)")
    with app.store.transaction():
        rev = _latest_stored(app, number)
        state = state_at(rev, clock.now())
        if state != "in_review":
            raise _refuse_state(number, rev, state, "approval", "in review with every reviewer's acceptance")
        accepted = signed_by(rev["signatures"], REVIEWED)
        waiting = [r for r in rev["reviewers"] if r not in accepted]
        if waiting:
            raise Refused(f"{number} {rev['edition']} is still waiting for review by {', '.join(waiting)}; "
                          f"approval comes after every named reviewer accepted")
        if actor in signed_by(rev["signatures"], PREPARED):
            raise Refused(f"{actor} prepared {number} {rev['edition']} and may not approve it; another approver must")
        if actor in accepted:
            raise Refused(f"{actor} reviewed {number} {rev['edition']} and may not also approve it; another approver must")
        _require_intact(app, rev, "approval")
        signature = sign(app, actor, password, APPROVED, rev["content_sha256"], "doc.approve", "sign approvals",
                         obj=_obj(rev))
        rev["signatures"].append(signature)
        rev["state"] = "approved"
        rev["approved_at"] = signature["at"]
        _event(rev, actor, "doc.approve", "in_review", "approved")
        _put(app, rev, actor, "doc.approve", detail={"content_sha256": rev["content_sha256"]})
    return _present(rev, clock.now())


def issue(app: App, number: str, effective: str | None = None) -> dict[str, Any]:
    """Approved → issued, effective on ``effective`` (default today); the previous revision is superseded then."""
    actor = app.actor("doc.issue", "issue documents")["name"]
    now = clock.now()
    day = require_date(effective, "--effective") if effective else now.date()
    if day < now.date():
        raise UsageError(f"effective date {day} is in the past; a document takes effect today ({now.date()}) or later")
    with app.store.transaction():
        stored = sorted(app.store.query(COLLECTION, number=number), key=lambda r: editions.sort_key(r["edition"]))
        if not stored:
            raise NotFound(f"no controlled document {number!r}; list them with `qms doc list --all`")
        rev = stored[-1]
        state = state_at(rev, now)
        if state != "approved":
            raise _refuse_state(number, rev, state, "issuing", "approved")
        if not signed_by(rev["signatures"], APPROVED):
            raise Refused(f"{number} {rev['edition']} has no approval signature; it cannot be issued")
        if sha256_text(rev["content"]) != rev["content_sha256"]:
            raise Refused(f"{number} {rev['edition']}: the stored content no longer matches what was approved; run `qms verify`")
        require_matching(rev["signatures"], rev["content_sha256"], f"{number} {rev['edition']}")
        previous = [r for r in stored[:-1] if r["state"] == "issued" and not r.get("superseded_by")
                    and state_at(r, now) != "obsolete"]
        for prev in previous:
            if prev.get("effective_date") and date.fromisoformat(prev["effective_date"]) > day:
                raise UsageError(f"{number} {prev['edition']} takes effect on {prev['effective_date']}; "
                                 f"{rev['edition']} cannot take effect before that (use --effective {prev['effective_date']} or later)")
        rev["state"] = "issued"
        rev["issued_at"] = now.isoformat()
        rev["effective_date"] = day.isoformat()
        rev["supersedes"] = previous[-1]["edition"] if previous else rev.get("supersedes")
        _event(rev, actor, "doc.issue", "approved", "issued", f"effective {day.isoformat()}")
        _put(app, rev, actor, "doc.issue", detail={"effective_date": day.isoformat()})
        for prev in previous:
            prev["superseded_by"] = rev["edition"]
            prev["superseded_at"] = day.isoformat()
            _event(prev, actor, "doc.supersede", "effective", "superseded",
                   f"by {rev['edition']} from {day.isoformat()}")
            _put(app, prev, actor, "doc.supersede", detail={"by": rev["edition"], "from": day.isoformat()})
    return _present(rev, now)


def revise(app: App, number: str, major: bool, reason: str) -> dict[str, Any]:
    """Start a new draft from the latest issued revision: ``A/0 → A/1`` (minor) or ``A/3 → B/0`` (major)."""
    actor = app.actor("doc.prepare", "revise documents")["name"]
    if not reason.strip():
        raise UsageError("a revision needs --reason saying why the document changes (修订原因)")
    now = clock.now()
    with app.store.transaction():
        base = _latest_stored(app, number)
        state = state_at(base, now)
        if state not in ("effective", "issued"):
            raise _refuse_state(number, base, state, "a revision", "issued or effective (and not obsolete)")
        edition = editions.next_major(base["edition"]) if major else editions.next_minor(base["edition"])
        (app.workspace.root / relpath(number)).write_text(with_edition(number, str(base["source"]), edition),
                                                          encoding="utf-8")
        rev = {k: v for k, v in base.items()}
        rev.update({
            "edition": edition, "state": "draft", "reason": reason.strip(), "change": "major" if major else "minor",
            "signatures": [], "reviewers": [], "reviews": [], "void_signatures": [], "periodic_reviews": [],
            "issued_at": None, "effective_date": None, "approved_at": None,
            "supersedes": base["edition"], "superseded_by": None, "superseded_at": None,
            "obsoleted_at": None, "obsolete_reason": None,
            "created_at": now.isoformat(), "created_by": actor, "source": None, "file_sha256": None, "history": [],
        })
        _event(rev, actor, "doc.revise", base["edition"], "draft", reason.strip())
        _put(app, rev, actor, "doc.revise", reason.strip(), {"from": base["edition"], "edition": edition})
        app.store.register_file(relpath(number), None, actor=actor, action="doc.unfreeze",
                                detail={"number": number, "edition": edition})
    return _present(rev, now)


def obsolete(app: App, number: str, reason: str) -> dict[str, Any]:
    """Withdraw a document without successor: every revision not already superseded becomes obsolete now."""
    actor = app.actor("doc.obsolete", "withdraw documents")["name"]
    if not reason.strip():
        raise UsageError("withdrawing a document needs --reason saying why (作废原因)")
    now = clock.now()
    with app.store.transaction():
        stored = sorted(app.store.query(COLLECTION, number=number), key=lambda r: editions.sort_key(r["edition"]))
        if not stored:
            raise NotFound(f"no controlled document {number!r}; list them with `qms doc list --all`")
        states = [state_at(r, now) for r in stored]
        if "obsolete" in states:
            raise Refused(f"{number} is already {STATES['obsolete']}; nothing to withdraw")
        if not any(s in ("effective", "issued") for s in states):
            last = stored[-1]
            raise _refuse_state(number, last, states[-1], "withdrawing", "issued or effective")
        touched = []
        for rev, state in zip(stored, states):
            if state == "superseded":
                continue
            rev["obsoleted_at"] = now.isoformat()
            rev["obsolete_reason"] = reason.strip()
            _event(rev, actor, "doc.obsolete", state, "obsolete", reason.strip())
            _put(app, rev, actor, "doc.obsolete", reason.strip())
            touched.append(rev)
    return _present(touched[-1], now)


def periodic_review(app: App, number: str, comment: str, password: str) -> dict[str, Any]:
    """Record a periodic review of the revision in force (still suitable; for external documents, still valid)."""
    user = app.actor("doc.review", "record periodic reviews")
    actor = user["name"]
    if user["role"] not in app.workspace.config.reviewer_roles:
        raise Refused(f"{actor} ({user['role']}) may not review documents; reviewers need one of the roles "
                      f"{', '.join(app.workspace.config.reviewer_roles)}")
    if not comment.strip():
        raise UsageError("a periodic review needs --comment stating the outcome, e.g. \"仍然适用 still suitable\"")
    now = clock.now()
    with app.store.transaction():
        revs = require_revisions(app, number, now)
        current = in_force(revs)
        if current is None:
            raise Refused(f"{number} has no effective revision ({revs[-1]['edition']} is {revs[-1]['state_label']}); "
                          f"only a document in force is reviewed periodically")
        rev = app.store.require(COLLECTION, rev_key(number, current["edition"]), "revision")
        signature = sign(app, actor, password, REVIEWED, rev["content_sha256"], "doc.review", "sign reviews",
                         obj=_obj(rev))
        rev.setdefault("periodic_reviews", []).append(signature | {"comment": comment.strip(), "kind": "periodic"})
        _event(rev, actor, "doc.periodic_review", "effective", "effective", comment.strip())
        _put(app, rev, actor, "doc.periodic_review", comment.strip())
    return _present(rev, now)


def diff(app: App, number: str, old: str, new: str) -> str:
    """A unified diff of the content of two revisions (stored content; the draft's file)."""
    import difflib

    a = get_revision(app, number, old)
    b = get_revision(app, number, new)
    lines = difflib.unified_diff(a["content"].splitlines(keepends=True), b["content"].splitlines(keepends=True),
                                 fromfile=f"{number} {old}", tofile=f"{number} {new}")
    return "".join(lines)


def workspace_path(app: App, number: str) -> Path:
    """The file of document ``number``."""
    return app.workspace.root / relpath(number)
