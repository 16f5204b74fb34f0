"""Form control: what may be filed on, and the form edition in force for filing.

Records are filed only on forms whose procedure is in force. A procedure under document control
(it has revisions in the store) is in force while one of its revisions is effective; before it is
issued (draft, in review, approved, issued with a later effective date) and once it is obsolete,
its forms take no records. A procedure the workspace never took under control (a workspace fresh
from ``qms init``, or a form naming no procedure file) is not judged here: the workspace's files
are its reference system as shipped.

A form is itself a controlled document (表单, type ``form``) once taken under control with its own
number: its approved content is the bytes of ``forms/NUMBER.yaml`` as submitted, and the form
in force for filing is its last issued, effective edition, held in the store. The file is then
the working copy of the next edition and takes effect only when that edition is approved and
issued. A form under control with no effective edition takes no records either.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import clock, documents
from qms.document_files import relpath
from qms.errors import Refused

if TYPE_CHECKING:
    from qms.app import App

# Parsed approved form contents by sha256: stored content never changes under its hash.
_PARSED: dict[str, dict[str, Any]] = {}


def _revisions(app: App, number: str, now: datetime) -> list[dict[str, Any]]:
    return documents.revisions(app, number, now)


def _not_in_force(kind: str, number: str, revs: list[dict[str, Any]], form: str = "FORM") -> str:
    """Why ``number`` (under control, nothing effective) is not in force, and what to do, as one clause."""
    last = revs[-1]
    state = str(last["state"])
    when = f", effective {last['effective_date']}" if state == "issued" and last.get("effective_date") else ""
    if state == "obsolete":
        todo = ("it is withdrawn; use the forms of the procedure that replaced it, and withdraw this form too "
                f"(`qms doc obsolete {form} --reason …`)" if kind == "procedure" else "it is withdrawn; use the form that replaced it")
    else:
        todo = f"next for {number}: {documents.NEXT[state].replace('procedures/NUMBER.md', relpath(number)).replace('NUMBER', number)}"
    return f"{kind} {number} is not in force ({last['edition']} is {documents.STATES[state]}{when}); {todo}"


def procedure_refusal(app: App, procedure: str, now: datetime | None = None, form: str = "FORM") -> str | None:
    """Why records may not be filed under ``procedure`` now, or None when they may."""
    if not procedure:
        return None
    revs = _revisions(app, procedure, now or clock.now())
    if not revs or documents.in_force(revs) is not None:
        return None
    return _not_in_force("procedure", procedure, revs, form)


def form_refusal(app: App, number: str, now: datetime | None = None) -> str | None:
    """Why form ``number`` (taken under document control) has no edition in force, or None."""
    revs = _revisions(app, number, now or clock.now())
    if not revs or documents.in_force(revs) is not None:
        return None
    return _not_in_force("form", number, revs)


def _why(app: App, form: dict[str, Any], now: datetime) -> str | None:
    number = str(form["number"])
    return form_refusal(app, number, now) or procedure_refusal(app, str(form.get("procedure") or ""), now, number)


def refusal(app: App, form: dict[str, Any], now: datetime | None = None) -> str | None:
    """The one line refusing records on ``form`` because it or its procedure is not in force, or None."""
    why = _why(app, form, now or clock.now())
    return f"{form['number']} records cannot be filed: {why}" if why else None


def require_fileable(app: App, form: dict[str, Any]) -> None:
    """Refuse filing on ``form`` when it or its procedure is not in force; changes nothing."""
    why = refusal(app, form)
    if why:
        raise Refused(why)


def form_in_force(app: App, number: str) -> dict[str, Any] | None:
    """The definition of the effective edition of form ``number`` under control; None when not under control or none is effective."""
    revs = _revisions(app, number, clock.now())
    current = documents.in_force(revs) if revs else None
    if current is None:
        return None
    sha = str(current["content_sha256"])
    if sha not in _PARSED:
        from qms.formdef import parse_form_text

        parsed, _ = parse_form_text(str(current["content"]), relpath(number))
        if parsed is None:  # approved content is checked at submission; a store edited by hand is `qms verify`'s
            raise Refused(f"{number} {current['edition']}: the stored approved definition cannot be read; run `qms verify`")
        _PARSED[sha] = parsed
    return json.loads(json.dumps(_PARSED[sha]))


def control(app: App, number: str) -> dict[str, Any]:
    """The document-control status of form ``number``: the edition in force and its state, and the latest edition."""
    revs = _revisions(app, number, clock.now())
    if not revs:
        return {"state": None, "edition": None, "label": "未受控 not under document control (forms/ file as shipped)",
                "latest": None}
    current = documents.in_force(revs) or revs[-1]
    return {"state": current["state"], "edition": current["edition"] if current["state"] == "effective" else None,
            "label": current["state_label"], "latest": revs[-1]["edition"]}


def filing_problems(app: App, form_list: list[dict[str, Any]]) -> list[str]:
    """For ``qms check``: every form that cannot take records because it or its procedure is not in force."""
    now = clock.now()
    problems = []
    for form in form_list:
        revs = _revisions(app, str(form["number"]), now)
        if revs and revs[-1]["state"] == "obsolete":
            continue  # a withdrawn form is rightly closed to records and kept for reference: nothing to fix
        why = _why(app, form, now)
        if why:
            problems.append(f"forms/{form['number']}.yaml: {why}")
    return problems


__all__ = ["control", "filing_problems", "form_in_force", "form_refusal", "procedure_refusal", "refusal",
           "require_fileable"]
