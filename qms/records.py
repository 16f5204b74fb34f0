"""Controlled records: filing, updating, moving through a workflow, amending, attaching files.

A record is one filled form, stored in the collection ``records`` under its number with the
envelope of the shared contract::

    {"number", "form", "form_edition", "procedure", "procedure_edition", "state", "data",
     "created_at", "created_by", "dept", "history": [{"at", "actor", "action", "from", "to", "note"}],
     "signatures": [...], "attachments": [...], "amends": None | NUMBER, "amended_by": [...], "closed"}

Rules kept here, so the CLI, the site and the plugins' effects all obey them:

* numbers run per form and year without gaps, allocated and stored in one store transaction;
* data is validated against the form revision the record is pinned to (and every plugin's rules);
* a move follows the form's workflow (``Registry.workflows``, or open → closed by default): it is
  refused, naming every reason, for a wrong state, a role not allowed, missing required fields or a
  plugin's veto, and changes nothing then; a signed move needs the password again;
* a closed record is immutable: a correction is a new, linked record (``amend``);
* what a record's own values require follows from its first save: after filing, updating and
  amending, every plugin's ``qms_after_save`` effects are applied in the same transaction;
* a ``nonconformity`` effect files the report the plugin implementing ``qms_raise_nonconformity``
  returns, in the same transaction, once per source record (a note in the audit log without one);
* attachments are stored by sha256; the name the user gave is metadata only.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from qms import clock, form_control, forms, validation
from qms.audit import digest
from qms.errors import NotFound, PluginError, Refused, UsageError, ValidationFailed, WriteConflict
from qms.registry import State, Transition, Workflow
from qms.signatures import seal

T = TypeVar("T")

if TYPE_CHECKING:
    from qms.app import App

COLLECTION = "records"
DEFAULT_STATES = (State("open", "进行中 Open"), State("closed", "已关闭 Closed", closed=True))
_MAX_EFFECT_DEPTH = 4
_SAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


# -- workflows --------------------------------------------------------------------------------


def default_workflow(form: str) -> Workflow:
    """The workflow of a form no plugin declares one for: open → closed."""
    return Workflow(form=form, states=DEFAULT_STATES, transitions=(Transition("open", "closed", label="关闭 Close"),),
                    initial="open")


def workflow_for(app: App, form: str) -> Workflow:
    """The workflow of records on ``form``."""
    return app.host.registry.workflows.get(form) or default_workflow(form)


def state_label(workflow: Workflow, name: str) -> str:
    """A state's label, or its name."""
    state = workflow.state(name)
    return (state.label or name) if state else name


# -- reading ----------------------------------------------------------------------------------


def get(app: App, number: str) -> dict[str, Any]:
    """The record ``number`` (a copy); ``NotFound`` saying how to list records."""
    record = app.store.get(COLLECTION, number)
    if record is None:
        raise NotFound(f"no record {number!r}; list records with `qms record list`")
    return record


def pinned_form(app: App, record: dict[str, Any]) -> dict[str, Any]:
    """The form revision the record was filed on (what it is validated and rendered against)."""
    return forms.load_form(app, record["form"], record["form_edition"])


def list_records(app: App, form: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
    """Records, optionally of one form and in one state, by number (copies)."""
    fields: dict[str, Any] = {}
    if form:
        fields["form"] = form
    if state:
        fields["state"] = state
    return sorted(app.store.query(COLLECTION, **fields), key=lambda r: r["number"])


def find(app: App, form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    """Records whose form, state and top-level ``fields`` equal the given values, by number (copies)."""
    wanted: dict[str, Any] = {k: v for k, v in (("form", form), ("state", state)) if v is not None}
    return sorted(app.store.query(COLLECTION, **wanted, **fields), key=lambda r: r["number"])


@contextmanager
def transaction(app: App) -> Iterator[None]:
    """One unit of work: the filings, updates and moves inside it run under one hold of the write lock.

    A procedure's command that files a record and moves it (issue a pass, hand a complaint over)
    runs inside one so no other writer sees or changes the record between the steps.
    """
    with app.store.transaction():
        yield


#: Attempts ``retrying`` makes of a unit of work another writer's unit collided with.
ATTEMPTS_ON_CONFLICT = 3


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS_ON_CONFLICT) -> T:
    """``work()`` (one whole unit of work), done again when another writer's unit collided with it.

    A collision (``WriteConflict``: on PostgreSQL, two units changing the same record at the same
    moment end in a deadlock the server breaks) undoes the whole unit, so doing it again is safe.
    A short random pause first lets the other unit finish. The last collision is raised.
    """
    import random
    import time

    for attempt in range(1, attempts + 1):
        try:
            return work()
        except WriteConflict:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


SUMMARY_FIELDS = ("number", "form", "form_edition", "state", "dept", "created_at", "created_by", "closed", "amends")


def summaries(app: App, form: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
    """The register of records (number, form, edition, state, dept, filing time), by number.

    Read through ``Store.project``'s on-disk cache, so listing 100k records in a new process does
    not parse every record's data.
    """
    return [dict(zip(SUMMARY_FIELDS, r)) for r in summary_rows(app, form, state)]


def summary_rows(app: App, form: str | None = None, state: str | None = None) -> list[list[Any]]:
    """``summaries`` as lists of the ``SUMMARY_FIELDS`` values, by number: what a long listing prints from.

    The lists are the store's cached rows, shared with later reads in this process: do not change them.
    """
    def reduce(_: str, record: dict[str, Any]) -> list[Any]:
        return [record.get(k) for k in SUMMARY_FIELDS]

    # Rows are cached as lists (half the bytes to parse of one dict per record) and stay lists:
    # a 45,000-row listing would spend 0.05 s making dicts only to take six values out again.
    # With a form, only that form's buckets are visited.
    rows = app.store.project(COLLECTION, "summary", "2:" + ",".join(SUMMARY_FIELDS), reduce,
                             **({"form": form} if form else {}))
    at_form, at_state = SUMMARY_FIELDS.index("form"), SUMMARY_FIELDS.index("state")
    if form or state:
        rows = [r for r in rows if (not form or r[at_form] == form) and (not state or r[at_state] == state)]
    return sorted(rows, key=itemgetter(0))


def audit_trail(app: App, number: str) -> list[dict[str, Any]]:
    """Every audit-log entry about the record ``number`` (filing, moves, effects, amendments)."""
    return app.store.history(COLLECTION, number)


def nonconformity_reports(app: App, number: str) -> dict[str, str]:
    """The nonconformity reports record ``number`` opened or found already open, by the source ref they answer.

    Read from the ``record.nonconformity`` entries its ``nonconformity`` effects logged on it, so a
    procedure can name the report of each of its findings without knowing which plugin files them.
    """
    reports: dict[str, str] = {}
    for entry in audit_trail(app, number):
        detail = entry.get("detail") or {}
        if entry.get("action") == "record.nonconformity" and detail.get("ref") and detail.get("report"):
            reports[str(detail["ref"])] = str(detail["report"])
    return reports


def procedure_edition(app: App, number: str) -> str:
    """The edition of the procedure in force: the effective revision, else the file's front matter."""
    try:
        from qms import documents
    except ImportError:  # documents are another capability; records work without it
        documents = None  # type: ignore[assignment]
    if documents is not None:
        current = documents.in_force(documents.revisions(app, number))
        if current is not None:
            return str(current["edition"])
    path = app.workspace.procedures / f"{number}.md"
    if path.is_file():
        from qms.frontmatter import front_matter

        meta, _ = front_matter(path.read_text(encoding="utf-8"))
        if meta and meta.get("edition"):
            return str(meta["edition"])
    return ""


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _history(actor: str, action: str, source: str | None, target: str | None, note: str = "") -> dict[str, Any]:
    return {"at": clock.stamp(), "actor": actor, "action": action, "from": source, "to": target, "note": note}


# -- filing -----------------------------------------------------------------------------------


def number_pattern(app: App, form: dict[str, Any]) -> str:
    """The record-number pattern of a form: its own ``number_pattern`` or ``[numbering] record``."""
    pattern = str(form.get("number_pattern") or app.workspace.config.record_pattern)
    if "{seq" not in pattern:
        raise UsageError(f"record number pattern {pattern!r} has no {{seq}}; fix [numbering] record in qms.toml")
    return pattern


def format_number(pattern: str, form: dict[str, Any], year: int, seq: int) -> str:
    """A record number, e.g. ``KS-2026-0001``."""
    try:
        return pattern.format(prefix=form["prefix"], year=year, seq=seq, form=form["number"])
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"record number pattern {pattern!r} is malformed ({exc}); use e.g. {{prefix}}-{{year}}-{{seq:04d}}") from exc


def _initial_missing(workflow: Workflow, form: dict[str, Any], data: dict[str, Any]) -> list[str]:
    state = workflow.state(workflow.initial)
    required = state.requires if state else ()
    return [validation.problem_line(form, [f], f"is required to file in state {workflow.initial}") for f in required
            if _empty(data.get(f))]


def _envelope(app: App, form: dict[str, Any], workflow: Workflow, number: str, data: dict[str, Any],
              actor: dict[str, Any], proc_edition: str, note: str) -> dict[str, Any]:
    initial = workflow.initial
    return {
        "number": number, "form": form["number"], "form_edition": form["edition"], "procedure": form["procedure"],
        "procedure_edition": proc_edition, "state": initial, "data": data, "created_at": clock.stamp(),
        "created_by": actor["name"], "dept": actor.get("dept", ""),
        "history": [_history(actor["name"], "file", None, initial, note)], "signatures": [], "attachments": [],
        "amends": None, "amended_by": [], "closed": bool(workflow.state(initial) and workflow.state(initial).closed),  # type: ignore[union-attr]
    }


def prepare(app: App, form_number: str, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form in force and ``data`` as JSON values, refused with every problem if invalid."""
    form = forms.current_form(app, form_number)
    form_control.require_fileable(app, form)  # before validation: an obsolete form's field errors are moot
    clean = validation.plain_data(data)
    found = validation.problems(app, form, clean, None)
    if isinstance(clean, dict):
        found += _initial_missing(workflow_for(app, form_number), form, clean)
    if found:
        raise ValidationFailed(found, what=f"{form_number} record")
    return form, clean


def file(app: App, form_number: str, data: Any, *, note: str = "") -> dict[str, Any]:
    """File a new record on the form in force; returns the stored envelope.

    Validation runs before the lock; the number is allocated and the record stored inside one
    transaction, so concurrent filers from several processes get consecutive, unique numbers.
    """
    actor = app.actor("record.file", f"file {form_number} records")
    form, clean = prepare(app, form_number, data)
    workflow = workflow_for(app, form_number)
    proc_edition = procedure_edition(app, form["procedure"])
    pattern = number_pattern(app, form)
    store = app.store
    with store.transaction():
        record = _store_new(app, form, workflow, clean, actor, proc_edition, note, pattern)
        record = _after_save(app, record, "file", None, actor)
    return record


def _store_new(app: App, form: dict[str, Any], workflow: Workflow, clean: dict[str, Any], actor: dict[str, Any],
               proc_edition: str, note: str, pattern: str, **detail: Any) -> dict[str, Any]:
    """Inside a transaction: pin the form, take the next number, store the new record; its envelope."""
    store = app.store
    forms.pin(app, form, actor["name"])
    year = clock.now().year
    seq = store.next_number(f"{form['number']}:{year}",
                            lambda n: store.get(COLLECTION, format_number(pattern, form, year, n)) is not None)
    number = format_number(pattern, form, year, seq)
    record = _envelope(app, form, workflow, number, clean, actor, proc_edition, note)
    store.put(COLLECTION, number, record, actor=actor["name"], action="record.file",
              detail={"form": form["number"], "edition": form["edition"], **detail})
    return record


#: Rows a bulk import builds and stages at a time, outside the write lock.
BATCH = 2_000
#: Times a bulk import stages again when another writer took its predicted numbers before it committed;
#: after that it numbers and files under the lock (one long hold, but it finishes).
ATTEMPTS = 3


class _NumbersTaken(Exception):
    """Another writer filed on the same form between staging and commit: the predicted numbers are gone."""


def file_many(app: App, form_number: str, rows: list[dict[str, Any]], *, note: str = "") -> list[str]:
    """File already-validated data rows as new records, all or none (bulk import); their numbers.

    The write lock is held only briefly. Outside it, the numbers are predicted from the form's
    sequence, and the records built, asked of the plugins (``after_save``) and staged as bucket
    files under ``records/staging/`` in batches of ``BATCH``. Under it, the sequence must still
    stand where it was predicted from; then the staged files are renamed into ``db/`` and every
    record logged, as one unit of work (``Store.commit_staged``), so a failure or a crash leaves no
    record, no number used and no audit entry. When another writer took the numbers meanwhile,
    the import stages again; after ``ATTEMPTS`` it files under the lock as one long hold.
    """
    app.actor("record.file", f"import {form_number} records")
    for _ in range(ATTEMPTS - 1):
        try:
            return _file_staged(app, form_number, rows, note)
        except _NumbersTaken:
            continue
    return _file_many_locked(app, form_number, rows, note=note)


def _import_target(app: App, form_number: str) -> tuple[dict[str, Any], dict[str, Any], Workflow, str, str]:
    """Who imports, onto which form in force, with its workflow, procedure edition and number pattern."""
    actor = app.actor("record.file", f"import {form_number} records")
    form = forms.current_form(app, form_number)
    form_control.require_fileable(app, form)
    return (actor, form, workflow_for(app, form_number), procedure_edition(app, form["procedure"]),
            number_pattern(app, form))


def _file_staged(app: App, form_number: str, rows: list[dict[str, Any]], note: str) -> list[str]:
    import shutil
    import uuid

    from qms.recordquery import record_query

    actor, form, workflow, proc_edition, pattern = _import_target(app, form_number)
    store = app.store
    year = clock.now().year
    sequence = f"{form_number}:{year}"
    start = store.sequence_value(sequence)
    numbers: list[str] = []
    n = start
    while len(numbers) < len(rows):  # as next_numbers does: skip a number a record already holds
        n += 1
        number = format_number(pattern, form, year, n)
        if store.get(COLLECTION, number) is None:
            numbers.append(number)
    _clear_stale_staging(store.root / "staging")
    folder = store.root / "staging" / f"import-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        staged: list[tuple[Path, str, str]] = []
        effects: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        query = record_query(app)
        for first in range(0, len(rows), BATCH):
            batch = {}
            for number, data in zip(numbers[first:first + BATCH], rows[first:first + BATCH], strict=True):
                batch[number] = _envelope(app, form, workflow, number, data, actor, proc_edition, note)
            for record in batch.values():
                wanted = _after_save_wanted(app, record, actor, query)
                if wanted:
                    effects.append((record, wanted))
            staged.extend(store.stage(folder, COLLECTION, batch))
        with store.transaction():
            forms.pin(app, form, actor["name"])
            if clock.now().year != year or not store.advance_sequence(sequence, start, n):
                raise _NumbersTaken
            store.commit_staged(COLLECTION, staged, actor=actor["name"], action="record.import")
            for record, wanted in effects:
                _apply_wanted(app, record, wanted, actor)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return numbers


def _clear_stale_staging(staging: Path) -> None:
    """Remove what importers that died while staging left under ``records/staging/`` (never in ``db/``)."""
    import shutil

    try:
        found = list(staging.iterdir())
    except FileNotFoundError:
        return
    for folder in found:
        parts = folder.name.split("-")
        if len(parts) == 3 and parts[0] == "import" and parts[1].isdigit() and not _alive(int(parts[1])):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _file_many_locked(app: App, form_number: str, rows: list[dict[str, Any]], *, note: str = "") -> list[str]:
    """File already-validated data rows as new records in one transaction under one hold of the lock."""
    actor, form, workflow, proc_edition, pattern = _import_target(app, form_number)
    store = app.store
    with store.transaction():
        forms.pin(app, form, actor["name"])
        year = clock.now().year
        seqs = store.next_numbers(f"{form_number}:{year}", len(rows),
                                  lambda n: store.get(COLLECTION, format_number(pattern, form, year, n)) is not None)
        objects = {}
        for seq, data in zip(seqs, rows, strict=True):
            number = format_number(pattern, form, year, seq)
            objects[number] = _envelope(app, form, workflow, number, data, actor, proc_edition, note)
        store.put_many(COLLECTION, objects, actor=actor["name"], action="record.import")
        for record in objects.values():
            _after_save(app, record, "file", None, actor)
    return list(objects)


# -- changing open records --------------------------------------------------------------------


def _refuse_closed(record: dict[str, Any], doing: str) -> Refused:
    return Refused(f"{record['number']} is closed and cannot be changed ({doing}); "
                   f"correct it with `qms record amend {record['number']} --reason …`")


def update(app: App, number: str, changes: dict[str, Any], *, note: str = "") -> dict[str, Any]:
    """Change fields of an open record (``None`` clears a field); validated against its pinned form."""
    actor = app.actor("record.file", "change records")
    changes = validation.plain_data(changes)
    if not changes:
        raise UsageError("nothing to change: give --data FILE or --set FIELD=VALUE")
    with app.store.transaction():
        record = get(app, number)
        if record["closed"]:
            raise _refuse_closed(record, "update")
        data = _merged(record["data"], changes)
        validation.require_valid(app, pinned_form(app, record), data, record)
        previous = record["data"]
        record["data"] = data
        record["history"].append(_history(actor["name"], "update", record["state"], record["state"],
                                          note or "changed " + ", ".join(sorted(changes))))
        app.store.put(COLLECTION, number, record, actor=actor["name"], action="record.update",
                      reason=note, detail={"fields": sorted(changes)})
        record = _after_save(app, record, "update", previous, actor)
    return record


def _merged(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# -- moving -----------------------------------------------------------------------------------


def _role_allowed(transition: Transition, actor: dict[str, Any]) -> bool:
    # Workflows name roles or departments (the seeds assign steps to departments such as 品质部).
    return not transition.roles or actor.get("role") in transition.roles or actor.get("dept") in transition.roles


def signer_refusals(app: App, record: dict[str, Any], transition: Transition, actor: dict[str, Any]) -> list[str]:
    """Why ``actor`` may not make ``transition`` for want of a post or department (empty when they may).

    The transition's own ``posts``/``depts`` and each plugin's ``qms_transition_signers`` answer are
    separate requirements; within one, holding any listed post or belonging to any listed
    department is enough.
    """
    wanted = [{"posts": list(transition.posts), "depts": list(transition.depts)}]
    try:
        wanted += app.host.transition_signers(json_copy(record), transition.target)
    except PluginError:
        raise
    except Exception as exc:
        raise PluginError(f"a plugin failed while naming who may move {record['number']} to {transition.target}: "
                          f"{type(exc).__name__}: {exc}") from exc
    reasons = []
    for need in wanted:
        posts, depts = need["posts"], need["depts"]
        if not posts and not depts:
            continue
        if actor.get("post") in posts or actor.get("dept") in depts:
            continue
        needed = " or ".join([*(f"post {p}" for p in posts), *(f"department {d}" for d in depts)])
        held = f"post {actor.get('post')}" if actor.get("post") else "no post"
        reasons.append(f"post: moving it to {transition.target} needs {needed} (职务/部门); "
                       f"{actor['name']} has {held} in {actor.get('dept')}")
    return reasons


def refusals(app: App, record: dict[str, Any], target: str, actor: dict[str, Any],
             *, check_roles: bool = True) -> tuple[Transition | None, list[str]]:
    """The transition to ``target`` and every reason it may not be made now (empty when allowed)."""
    number = record["number"]
    if record.get("closed"):
        return None, [f"{number} is closed; closed records are immutable (correct it with `qms record amend`)"]
    workflow = workflow_for(app, record["form"])
    source = record["state"]
    onward = [t.target for t in workflow.transitions if t.source == source]
    if workflow.state(target) is None:
        names = ", ".join(s.name for s in workflow.states)
        return None, [f"{target!r} is not a state of {record['form']} records (states: {names})"]
    transition = next((t for t in workflow.transitions if t.source == source and t.target == target), None)
    if transition is None:
        allowed = ", ".join(onward) or "nowhere (final state)"
        return None, [f"no transition from {source} to {target}; from {source} a record may move to: {allowed}"]
    reasons = []
    if check_roles and not _role_allowed(transition, actor):
        reasons.append(f"role: {actor['name']} ({actor.get('role')}, {actor.get('dept')}) may not move it from {source} "
                       f"to {target}; that needs one of: {', '.join(transition.roles)}")
    if check_roles:
        reasons.extend(signer_refusals(app, record, transition, actor))
    state = workflow.state(target)
    assert state is not None
    missing = [f for f in state.requires if _empty(record["data"].get(f))]
    if missing:
        form = pinned_form(app, record)
        names = ", ".join(f"{f} ({forms.label(form, [f])})" if forms.label(form, [f]) else f for f in missing)
        reasons.append(f"missing fields: state {target} requires {names}; fill them with "
                       f"`qms record update {number} --set FIELD=VALUE`")
    try:
        from qms.recordquery import record_query

        vetoes = app.host.check_transition(json_copy(record), target, dict(actor), record_query(app))
    except Exception as exc:
        raise PluginError(f"a plugin failed while checking the move of {number} to {target}: "
                          f"{type(exc).__name__}: {exc}") from exc
    reasons.extend(f"plugin veto: {v}" for v in vetoes)
    return transition, reasons


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON object, so a plugin cannot change what the core holds."""
    import json

    copy: dict[str, Any] = json.loads(json.dumps(obj))
    return copy


def plan_move(app: App, number: str, target: str) -> Transition:
    """The transition a move would make, or ``Refused`` naming every reason; changes nothing.

    The CLI calls this first to know whether to ask for the password (signed transitions).
    """
    actor = app.actor("record.move", f"move records to {target}")
    record = get(app, number)
    transition, reasons = refusals(app, record, target, actor)
    if reasons or transition is None:
        raise Refused(f"{number} cannot move to {target}: " + "; ".join(reasons))
    return transition


def signature(record: dict[str, Any], meaning: str, user: dict[str, Any]) -> dict[str, Any]:
    """A signed statement over the record's number, form revision, target state and data."""
    signed = {"number": record["number"], "form": record["form"], "form_edition": record["form_edition"],
              "state": record["state"], "data": record["data"]}
    return {"meaning": meaning, "name": user["name"], "full_name": user.get("full_name", user["name"]),
            "role": user.get("role", ""), "post": user.get("post", ""), "at": clock.stamp(), "sha256": digest(signed)}


def move(app: App, number: str, target: str, *, note: str = "", password: str | None = None) -> dict[str, Any]:
    """Move a record to ``target``; returns ``{"record", "effects"}``.

    Refused (nothing changed) with every reason at once: state, role, missing fields, plugin vetoes.
    A transition with a ``signature`` needs the actor's ``password`` and adds a signature.
    Afterwards every plugin's ``qms_after_transition`` effects are applied and logged.
    """
    actor = app.actor("record.move", f"move records to {target}")
    with app.store.transaction():
        record = get(app, number)
        transition, reasons = refusals(app, record, target, actor)
        if reasons or transition is None:
            raise Refused(f"{number} cannot move to {target}: " + "; ".join(reasons))
        source = record["state"]
        if transition.signature:
            if password is None:
                raise Refused(f"moving {number} to {target} is a signed act ({transition.signature}); "
                              f"give your password (--password-stdin)")
            signer = app.users.authenticate(actor["name"], password)
        record["state"] = target
        record["closed"] = bool(workflow_for(app, record["form"]).state(target).closed)  # type: ignore[union-attr]
        record["history"].append(_history(actor["name"], "move", source, target, note))
        if transition.signature:
            assert password is not None
            record["signatures"].append(seal(app, signature(record, transition.signature, signer), password,
                                             f"{COLLECTION}/{number}"))
        app.store.put(COLLECTION, number, record, actor=actor["name"], action="record.move", reason=note,
                      detail={"from": source, "to": target, **({"signed": transition.signature} if transition.signature else {})})
        effects = _after(app, record, source, actor, depth=0)
    return {"record": record, "effects": effects}


def _after(app: App, record: dict[str, Any], source: str, actor: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    """Ask the plugins what follows a move and apply it; each effect is logged, failures too."""
    try:
        from qms.recordquery import record_query

        wanted = app.host.after_transition(json_copy(record), source, dict(actor), record_query(app))
    except Exception as exc:
        raise PluginError(f"a plugin failed after {record['number']} moved to {record['state']}: "
                          f"{type(exc).__name__}: {exc}") from exc
    done = []
    for effect in wanted:
        outcome = dict(effect)
        try:
            _apply(app, record, effect, actor, depth)
            outcome["applied"] = True
        except (Refused, NotFound, ValidationFailed, UsageError) as exc:
            outcome["applied"] = False
            outcome["error"] = str(exc)
            app.store.log_event(COLLECTION, record["number"], actor=actor["name"], action="record.effect_failed",
                                reason=str(exc), detail={"effect": effect})
        done.append(outcome)
    return done


def _after_save(app: App, record: dict[str, Any], action: str, previous: dict[str, Any] | None,
                actor: dict[str, Any]) -> dict[str, Any]:
    """Ask the plugins what follows a save and apply it; the record as stored afterwards.

    Runs inside the caller's transaction: an effect that cannot be applied refuses the whole save,
    so a record never stays stored without what its own values require (a severity, a notice).
    """
    try:
        from qms.recordquery import record_query

        wanted = app.host.after_save(json_copy(record), action, json_copy(previous) if previous is not None else None,
                                     dict(actor), record_query(app))
    except Exception as exc:
        raise PluginError(f"a plugin failed after {record['number']} was saved ({action}): "
                          f"{type(exc).__name__}: {exc}") from exc
    if not wanted:
        return record
    _apply_wanted(app, record, wanted, actor, action)
    return get(app, record["number"])


def _after_save_wanted(app: App, record: dict[str, Any], actor: dict[str, Any], query: Any) -> list[dict[str, Any]]:
    """What the plugins want after ``record`` is filed, asked before it is stored (a bulk import's staging)."""
    try:
        return list(app.host.after_save(json_copy(record), "file", None, dict(actor), query) or [])
    except Exception as exc:
        raise PluginError(f"a plugin failed after {record['number']} was saved (file): "
                          f"{type(exc).__name__}: {exc}") from exc


def _apply_wanted(app: App, record: dict[str, Any], wanted: list[dict[str, Any]], actor: dict[str, Any],
                  action: str = "file") -> None:
    for effect in wanted:
        try:
            _apply(app, record, effect, actor, 0, cause=f"effect of {record['number']} {action}")
        except (Refused, NotFound, ValidationFailed, UsageError) as exc:
            raise Refused(f"{record['number']} was not saved: what its values require could not be done "
                          f"({effect.get('effect')} {effect.get('record', effect.get('to', ''))}: {exc})") from exc


def _apply(app: App, origin: dict[str, Any], effect: dict[str, Any], actor: dict[str, Any], depth: int,
           cause: str = "") -> None:
    kind = effect.get("effect")
    cause = cause or f"effect of {origin['number']} → {origin['state']}"
    if kind == "notify":
        app.store.log_event(COLLECTION, origin["number"], actor=actor["name"], action="record.notify",
                            reason=str(effect.get("message", "")), detail={"to": effect.get("to", ""), "message": effect.get("message", "")})
        return
    if kind == "nonconformity":
        _raise_nonconformity(app, origin, effect, actor)
        return
    if depth >= _MAX_EFFECT_DEPTH:
        raise Refused(f"effects nested deeper than {_MAX_EFFECT_DEPTH} moves; a plugin's effects loop")
    target_number = str(effect.get("record", ""))
    reason = str(effect.get("reason", ""))
    other = get(app, target_number)
    if other["closed"]:
        raise _refuse_closed(other, kind or "effect")
    if kind == "update":
        fields = validation.plain_data(effect.get("fields") or {})
        data = _merged(other["data"], fields)
        validation.require_valid(app, pinned_form(app, other), data, other)
        other["data"] = data
        other["history"].append(_history(actor["name"], "update", other["state"], other["state"], f"{cause}: {reason}"))
        app.store.put(COLLECTION, target_number, other, actor=actor["name"], action="record.update", reason=reason,
                      detail={"fields": sorted(fields), "effect_of": origin["number"]})
    elif kind == "move":
        target = str(effect.get("state", ""))
        # The plugin's own rule moves the record; roles were checked on the move that caused it.
        transition, reasons = refusals(app, other, target, actor, check_roles=False)
        if reasons or transition is None:
            raise Refused(f"{target_number} cannot move to {target}: " + "; ".join(reasons))
        source = other["state"]
        other["state"] = target
        other["closed"] = bool(workflow_for(app, other["form"]).state(target).closed)  # type: ignore[union-attr]
        other["history"].append(_history(actor["name"], "move", source, target, f"{cause}: {reason}"))
        app.store.put(COLLECTION, target_number, other, actor=actor["name"], action="record.move", reason=reason,
                      detail={"from": source, "to": target, "effect_of": origin["number"]})
        _after(app, other, source, actor, depth + 1)
    else:
        raise UsageError(f"unknown effect {kind!r} from a plugin; expected notify, update, move or nonconformity")


#: The sources a ``nonconformity`` effect may name (hookspec ``qms_raise_nonconformity``).
NONCONFORMITY_SOURCES = ("complaint", "audit", "equipment", "project", "internal")


def _raise_nonconformity(app: App, origin: dict[str, Any], effect: dict[str, Any], actor: dict[str, Any]) -> None:
    """File the nonconformity report a plugin's effect asks for, once per (source, ref), in the caller's transaction.

    The plugin implementing ``qms_raise_nonconformity`` says what to file; without one, the
    quality department is told through the audit log and nothing is filed.
    """
    from qms.recordquery import record_query

    source, ref = str(effect.get("source", "")), str(effect.get("ref", "")).strip()
    if source not in NONCONFORMITY_SOURCES:
        raise UsageError(f"nonconformity effect of {origin['number']} names source {source!r}; "
                         f"expected one of {', '.join(NONCONFORMITY_SOURCES)}")
    if not ref or not str(effect.get("summary", "")).strip():
        raise UsageError(f"nonconformity effect of {origin['number']} needs the source record's number (ref) and a summary")
    raised = {"source": source, "ref": ref, "summary": str(effect["summary"]), "dept": str(effect.get("dept") or ""),
              "severity": str(effect.get("severity") or ""), "reason": str(effect.get("reason") or ""),
              "raised_by": actor["name"], "raised_dept": actor.get("dept", ""), "origin": origin["number"]}
    try:
        answer = app.host.raise_nonconformity(json_copy(raised), record_query(app))
    except PluginError:
        raise
    except Exception as exc:
        raise PluginError(f"a plugin failed while reporting the nonconformity of {ref}: {type(exc).__name__}: {exc}") from exc
    detail = {"source": source, "ref": ref, "summary": raised["summary"], "severity": raised["severity"]}

    def tell_quality(why: str) -> None:
        message = (f"不合格 nonconformity found by {ref} ({source}): {raised['summary']} — {why}; "
                   f"record and correct it by hand")
        app.store.log_event(COLLECTION, origin["number"], actor=actor["name"], action="record.notify",
                            reason=message, detail={"to": "质量管理部", "message": message, "nonconformity": detail})

    if answer is None:
        tell_quality("no procedure files nonconformity reports here")
        return
    if "existing" in answer:
        app.store.log_event(COLLECTION, origin["number"], actor=actor["name"], action="record.nonconformity",
                            reason=f"already reported by {answer['existing']}",
                            detail={**detail, "report": answer["existing"], "filed": False})
        return
    form_number = str(answer["form"])
    # A workspace without the report's form, or whose form or procedure is not in force, still saves what
    # found the nonconformity: the other procedures must not stop because this one cannot file yet.
    try:
        in_force = forms.current_form(app, form_number)
    except (NotFound, UsageError) as exc:
        tell_quality(f"the report cannot be filed: {exc}")
        return
    not_fileable = form_control.refusal(app, in_force)
    if not_fileable:
        tell_quality(f"the report cannot be filed: {not_fileable}")
        return
    form, clean = prepare(app, form_number, answer["data"])  # refused before a number is taken
    note = f"不合格 raised by {origin['number']}: {raised['reason'] or raised['summary']}"
    record = _store_new(app, form, workflow_for(app, form_number), clean, actor, procedure_edition(app, form["procedure"]),
                        note, number_pattern(app, form), effect_of=origin["number"])
    number = record["number"]
    app.store.log_event(COLLECTION, origin["number"], actor=actor["name"], action="record.nonconformity",
                    reason=raised["reason"] or raised["summary"], detail={**detail, "report": number, "filed": True})


# -- amendments -------------------------------------------------------------------------------


def amend(app: App, number: str, reason: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Correct a closed record: a new record ``NUMBER-A1`` with the corrected data, linked both ways.

    The original stays readable and unchanged apart from the link and a history line. The
    correction is validated against the original's pinned form and keeps its state.
    """
    actor = app.actor("record.amend", "amend records")
    if not reason.strip():
        raise UsageError("an amendment needs a reason: --reason \"…\"")
    changes = validation.plain_data(changes)
    with app.store.transaction():
        original = get(app, number)
        if not original["closed"]:
            raise Refused(f"{number} is still open ({original['state']}); change it with `qms record update {number}`")
        if original["amended_by"]:
            latest = original["amended_by"][-1]
            raise Refused(f"{number} was already corrected by {latest}; amend {latest} instead")
        data = _merged(original["data"], changes)
        if data == original["data"]:
            raise UsageError("nothing to correct: give the corrected fields with --data FILE or --set FIELD=VALUE")
        form = pinned_form(app, original)
        validation.require_valid(app, form, data, original)
        root = original.get("amends_root") or number
        new_number = f"{root}-A{len(_chain(app, root))}"
        correction = json_copy(original)
        correction.update({
            "number": new_number, "data": data, "created_at": clock.stamp(), "created_by": actor["name"],
            "history": [_history(actor["name"], "amend", None, original["state"], f"corrects {number}: {reason}")],
            "signatures": [], "amends": number, "amends_root": root, "amended_by": [], "amend_reason": reason,
        })
        original["amended_by"].append(new_number)
        original["history"].append(_history(actor["name"], "amended", original["state"], original["state"],
                                            f"corrected by {new_number}: {reason}"))
        app.store.put(COLLECTION, new_number, correction, actor=actor["name"], action="record.amend", reason=reason,
                      detail={"amends": number, "fields": sorted(changes)})
        app.store.put(COLLECTION, number, original, actor=actor["name"], action="record.amended", reason=reason,
                      detail={"amended_by": new_number})
        correction = _after_save(app, correction, "amend", original["data"], actor)
    return correction


def _chain(app: App, root: str) -> list[str]:
    """The root record and its corrections in order."""
    out = [root]
    current = app.store.get(COLLECTION, root)
    while current and current.get("amended_by"):
        nxt = current["amended_by"][-1]
        out.append(nxt)
        current = app.store.get(COLLECTION, nxt)
    return out


# -- attachments ------------------------------------------------------------------------------


def attach(app: App, number: str, path: Path) -> dict[str, Any]:
    """Store a file by its sha256 and list it on the record; the file name is kept as metadata only."""
    actor = app.actor("record.attach", "attach files to records")
    if not path.is_file():
        raise UsageError(f"{path} is not a readable file; give the path of the photo or certificate to attach")
    limit_mb = app.workspace.config.max_attachment_mb
    size = path.stat().st_size
    if size > limit_mb * 1024 * 1024:
        raise UsageError(f"{path.name} is {size / 1048576:.1f} MB, over the {limit_mb:g} MB limit "
                         f"([records] max_attachment_mb in qms.toml); shrink or split it")
    data = path.read_bytes()
    # Only the last path component, without control characters, is kept, and only as a label.
    name = _SAFE_NAME.sub("_", path.name)[:200] or "attachment"
    with app.store.transaction():
        record = get(app, number)
        if record["closed"]:
            raise _refuse_closed(record, "attach")
        sha = app.store.put_blob(data, actor=actor["name"], action="record.attach",
                                 detail={"record": number, "name": name, "size": len(data)})
        item = {"sha256": sha, "name": name, "size": len(data),
                "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "at": clock.stamp(), "by": actor["name"]}
        record["attachments"].append(item)
        record["history"].append(_history(actor["name"], "attach", record["state"], record["state"],
                                          f"{name} ({len(data)} bytes, sha256 {sha[:12]})"))
        app.store.put(COLLECTION, number, record, actor=actor["name"], action="record.attach", detail={"sha256": sha})
    return item


def attachment_bytes(app: App, record: dict[str, Any], sha: str) -> bytes:
    """The bytes of one of the record's attachments, refused if they no longer match their hash."""
    import hashlib

    if not any(a["sha256"] == sha for a in record.get("attachments", [])):
        raise NotFound(f"{record['number']} has no attachment {sha[:12]}")
    path = app.store.blob_path(sha)
    if not path.is_file():
        raise NotFound(f"attachment {sha[:12]} of {record['number']} is missing from the store; run `qms verify`")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise Refused(f"attachment {sha[:12]} of {record['number']} was changed on disk; run `qms verify`")
    return data


__all__ = [
    "ATTEMPTS_ON_CONFLICT", "COLLECTION", "amend", "attach", "attachment_bytes", "audit_trail", "default_workflow",
    "file", "file_many", "find", "get", "list_records", "move", "nonconformity_reports", "pinned_form", "plan_move",
    "prepare", "refusals", "retrying", "transaction", "update", "workflow_for",
]
