"""Controlled copies (受控文件 with 分发号), their recall, and read-and-understood acknowledgements.

A copy is stored in collection ``copies`` under ``NUMBER#001``: which revision went to which
department (and holder), when and by whom, and whether it came back. Copies handed outside the
organisation are ``controlled: false`` (非受控 UNCONTROLLED): they are registered but never recalled.
An acknowledgement (collection ``acknowledgements``, key ``NUMBER@EDITION@USER``) records that a
user read and understood that exact revision, with the sha256 of its content; given the user's
password, it carries their Ed25519 signature (``signature``, meaning 阅知 acknowledged) too.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.documents import STATES, all_documents, in_force, require_revisions
from qms.errors import NotFound, Refused, UsageError
from qms.signatures import ACKNOWLEDGED, seal

if TYPE_CHECKING:
    from qms.app import App

COPIES = "copies"
ACKS = "acknowledgements"


def copy_key(number: str, copy_no: int) -> str:
    """The store key of copy ``copy_no`` of document ``number``."""
    return f"{number}#{copy_no:03d}"


def distribute(app: App, number: str, dept: str, holder: str = "", controlled: bool = True, count: int = 1,
               edition: str | None = None) -> list[dict[str, Any]]:
    """Issue ``count`` numbered copies of the revision in force (or the issued ``edition``) to ``dept``."""
    actor = app.actor("doc.distribute", "distribute controlled copies")["name"]
    if not dept.strip():
        raise UsageError("say which department receives the copy with --to DEPT")
    if count < 1 or count > 100:
        raise UsageError("--copies must be between 1 and 100")
    if holder:
        app.users.get(holder)
    now = clock.now()
    revs = require_revisions(app, number, now)
    if edition is None:
        out = [r for r in revs if r["state"] in ("effective", "issued")]
        if not out:
            raise Refused(f"{number} has no issued revision ({revs[-1]['edition']} is {revs[-1]['state_label']}); "
                          f"only an issued document is distributed")
        rev = out[-1]
    else:
        chosen = [r for r in revs if r["edition"] == edition]
        if not chosen:
            raise NotFound(f"{number} has no revision {edition}")
        rev = chosen[0]
        if rev["state"] not in ("effective", "issued"):
            raise Refused(f"{number} {edition} is {rev['state_label']}; only an issued or effective revision is distributed")
    made = []
    with app.store.transaction():
        for _ in range(count):
            n = app.store.next_number(f"copy:{number}", lambda k: app.store.get(COPIES, copy_key(number, k)) is not None)
            copy = {"number": number, "copy_no": f"{n:03d}", "edition": rev["edition"], "dept": dept.strip(),
                    "holder": holder, "controlled": controlled, "issued_at": now.isoformat(), "issued_by": actor,
                    "recalled_at": None, "recalled_by": None}
            app.store.put(COPIES, copy_key(number, n), copy, actor=actor, action="doc.distribute",
                          detail={"edition": rev["edition"], "dept": dept, "controlled": controlled})
            made.append(copy)
    return made


def copies(app: App, number: str | None = None) -> list[dict[str, Any]]:
    """Every registered copy (of ``number``), by document and copy number."""
    found = app.store.query(COPIES, number=number) if number else app.store.query(COPIES)
    return sorted(found, key=lambda c: (c["number"], c["copy_no"]))


def outstanding(app: App, number: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Controlled copies still out whose revision is no longer in force (superseded or obsolete)."""
    revs = require_revisions(app, number, now)
    current = in_force(revs)
    states = {r["edition"]: r["state"] for r in revs}
    return [c | {"revision_state": states.get(c["edition"], "")} for c in copies(app, number)
            if c["controlled"] and not c["recalled_at"] and (current is None or c["edition"] != current["edition"])
            and states.get(c["edition"]) in ("superseded", "obsolete")]


def recall(app: App, number: str, copy_nos: list[str], all_outstanding: bool = False) -> list[dict[str, Any]]:
    """Record the return of copies (by 分发号, or every outstanding one); returns the copies recalled."""
    actor = app.actor("doc.distribute", "record recalled copies")["name"]
    now = clock.now()
    with app.store.transaction():
        if all_outstanding:
            targets = outstanding(app, number, now)
        else:
            targets = []
            for raw in copy_nos:
                if not raw.isdigit():
                    raise UsageError(f"copy number {raw!r} is not a number such as 001")
                copy = app.store.get(COPIES, copy_key(number, int(raw)))
                if copy is None:
                    raise NotFound(f"{number} has no copy {int(raw):03d}; list them with `qms doc recall {number}`")
                if copy["recalled_at"]:
                    raise Refused(f"copy {copy['copy_no']} of {number} was already recalled on {copy['recalled_at']}")
                targets.append(copy)
        done = []
        for copy in targets:
            copy = {k: v for k, v in copy.items() if k != "revision_state"}
            copy["recalled_at"] = now.isoformat()
            copy["recalled_by"] = actor
            app.store.put(COPIES, copy_key(number, int(copy["copy_no"])), copy, actor=actor, action="doc.recall",
                          detail={"edition": copy["edition"], "dept": copy["dept"]})
            done.append(copy)
    return done


def acknowledge(app: App, number: str, password: str | None = None) -> dict[str, Any]:
    """Record that the acting user read and understood the revision of ``number`` in force.

    With the user's ``password`` the acknowledgement is signed (Ed25519) over the revision's sha256.
    """
    user = app.actor("doc.acknowledge", "acknowledge documents")
    now = clock.now()
    revs = require_revisions(app, number, now)
    current = in_force(revs)
    if current is None:
        raise Refused(f"{number} has no effective revision ({revs[-1]['edition']} is {revs[-1]['state_label']}); "
                      f"only a document in force is acknowledged")
    key = f"{number}@{current['edition']}@{user['name']}"
    with app.store.transaction():
        before = app.store.get(ACKS, key)
        if before is not None:
            raise Refused(f"{user['name']} already acknowledged {number} {current['edition']} on {before['at']}")
        ack = {"number": number, "edition": current["edition"], "content_sha256": current["content_sha256"],
               "name": user["name"], "full_name": user.get("full_name", user["name"]), "dept": user.get("dept", ""),
               "at": now.isoformat()}
        if password is not None:
            app.users.authenticate(user["name"], password)
            ack["signature"] = seal(app, {"meaning": ACKNOWLEDGED, "name": user["name"], "at": ack["at"],
                                          "sha256": current["content_sha256"]}, password, f"{ACKS}/{key}")
        app.store.put(ACKS, key, ack, actor=user["name"], action="doc.acknowledge",
                      detail={"edition": current["edition"], "content_sha256": current["content_sha256"]})
    return ack


def acknowledgements(app: App, number: str, edition: str | None = None) -> list[dict[str, Any]]:
    """The acknowledgements of ``number`` (of one ``edition`` when given), oldest first."""
    found = app.store.query(ACKS, number=number)
    return sorted((a for a in found if edition is None or a["edition"] == edition), key=lambda a: a["at"])


def audience(app: App, number: str, owner: str) -> list[dict[str, Any]]:
    """Who should acknowledge ``number``: users of the owning department and of departments holding a controlled copy."""
    depts = {owner} | {c["dept"] for c in copies(app, number) if c["controlled"] and not c["recalled_at"]}
    config = app.workspace.config
    return [u for u in app.users.list() if u.get("active", True) and u.get("dept") in depts
            and config.allows(u["role"], "doc.acknowledge")]


def unacknowledged(app: App, number: str | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """For each document in force (or just ``number``): the audience members without an acknowledgement of that revision."""
    at = now or clock.now()
    docs = all_documents(app, at)
    if number is not None and number not in docs:
        raise NotFound(f"no controlled document {number!r}; list them with `qms doc list --all`")
    out = []
    for num, revs in docs.items():
        if number is not None and num != number:
            continue
        current = in_force(revs)
        if current is None:
            continue
        done = {a["name"] for a in app.store.query(ACKS, number=num, edition=current["edition"])}
        for u in audience(app, num, current.get("owner", "")):
            if u["name"] not in done:
                out.append({"number": num, "edition": current["edition"], "title": current["title"],
                            "name": u["name"], "full_name": u.get("full_name", u["name"]), "dept": u.get("dept", ""),
                            "state": STATES["effective"]})
    return out
