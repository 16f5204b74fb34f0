"""Every hook a qms plugin can implement, typed and documented.

Plugins implement these with ``@qms.hookimpl``. The core never calls ``pm.hook.*`` directly:
``qms.host.Host`` wraps each hook, flattens results and checks them. Plugins receive and return
plain data (dicts, lists, strings and the dataclasses of ``qms.registry``); they never touch the
store, TinyDB or WeasyPrint.

Calling rules used below:

* *all*: every implementation is called; list results are concatenated.
* *firstresult*: implementations are called until one returns something other than ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    # Annotations only (pluggy reads the argument names, not their types): pathlib costs every start.
    from pathlib import Path

    import click
    from markdown_it import MarkdownIt

    from qms.registry import Registry
    from qms.dates import WorkCalendar

hookspec = pluggy.HookspecMarker("qms")
hookimpl = pluggy.HookimplMarker("qms")

#: ``query(form=None, state=None, **fields)`` returns the matching records as plain dicts.
RecordQuery = Callable[..., list[dict[str, Any]]]


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


@hookspec
def qms_register_procedures(registry: Registry) -> None:
    """Declare the controlled procedure(s) this plugin implements.

    Called once per plugin when the host is built.

    :param registry: call ``registry.add_procedure(Procedure(...))``; the registry records the
        calling plugin as owner and refuses a number registered twice, naming both plugins.

    Returns nothing. Calling rule: all.
    """


@hookspec
def qms_register_forms(registry: Registry) -> None:
    """Declare which forms (by number, e.g. ``QR-8.2-01``) belong to this plugin's procedure.

    Called once per plugin when the host is built. The form definitions themselves live in the
    workspace's ``forms/NUMBER.yaml``; the plugin names them with
    ``registry.add_form(FormBinding(number=..., procedure=...))``. A form bound twice is refused.

    :param registry: the registry collecting the bindings.

    Returns nothing. Calling rule: all.
    """


@hookspec
def qms_register_workflows(registry: Registry) -> None:
    """Declare the record workflow (states, transitions, roles, required fields, deadlines) of each form.

    Called once per plugin when the host is built, with
    ``registry.add_workflow(Workflow(form=..., states=..., transitions=..., deadlines=...))``.
    A form without a registered workflow gets the core's default (open → closed).

    :param registry: the registry collecting the workflows.

    Returns nothing. Calling rule: all.
    """


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@hookspec
def qms_validate_record(
    form: str, data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery
) -> list[dict[str, str]]:
    """Check a record's data beyond its JSON Schema (cross-field rules).

    Called every time a record is filed, amended or changed, after the schema check, once for
    every plugin; a plugin returns ``[]`` for forms it does not own.

    :param form: the form number the data is filed on.
    :param data: the record's field values (already schema-valid where the schema allows).
    :param record: the stored record envelope (number, state, history) or ``None`` when new.
    :param query: read-only query over the stored records (``query(form="QR-7.1-01")``), for rules
        that depend on other records (a number unique in a register, a referenced record's state).
        Implementations that do not need it may leave the parameter out.

    Returns a list of problems ``{"path": "closed_at", "message": "must not be earlier than …"}``;
    the core prefixes each with the field's bilingual label. Calling rule: all, concatenated.
    """


@hookspec
def qms_check_transition(
    record: dict[str, Any], target: str, actor: dict[str, Any], query: RecordQuery
) -> list[str]:
    """Veto a record's move to another state.

    Called before every transition, after the core has checked the workflow, the actor's role
    and the target state's required fields.

    :param record: the record envelope (``number``, ``form``, ``state``, ``data``, ``history``).
    :param target: the state the record would move to.
    :param actor: the acting user (``name``, ``role``, ``dept``).
    :param query: read-only query over the stored records, for rules that depend on other records
        (a stage gate that needs the previous gate approved, an open rectification order). Optional.

    Returns reasons as one-line strings; any reason blocks the move. Calling rule: all, concatenated.
    """


@hookspec
def qms_transition_signers(record: dict[str, Any], target: str) -> dict[str, list[str]] | None:
    """Require a post (职务) or a department of whoever moves a record, depending on its fields.

    Called before every transition the actor makes, with the core's role check. A fixed
    requirement is declared on the transition itself (``Transition(..., posts=("总经理",),
    depts=("物资管理部",))``); this hook is for one that depends on the record, e.g. the reply to a
    重大 complaint must be approved by the 总经理 or the 管理者代表, an ordinary one by any approver.

    :param record: the record envelope (``number``, ``form``, ``state``, ``data``), before the move.
    :param target: the state it would move to.

    Returns ``{"posts": [...], "depts": [...]}``: the actor must hold one of the posts or belong to
    one of the departments (either list may be empty or left out); ``None`` for no requirement.
    Each answer is checked on its own, so two plugins' requirements must both be met. The refusal
    is one line naming the posts and departments required. Not asked for moves made by another
    plugin's effects. Calling rule: all.
    """


@hookspec
def qms_after_transition(
    record: dict[str, Any], source: str, actor: dict[str, Any], query: RecordQuery
) -> list[dict[str, Any]]:
    """React after a record has moved (schedule the next calibration, notify the general manager).

    Called once per plugin after a transition has been stored; ``record["state"]`` is the new state.

    :param record: the record envelope after the move.
    :param source: the state it left.
    :param actor: the user who moved it.
    :param query: read-only query over the stored records, e.g. to find the state of the record an
        effect would move (so no effect is returned that the workflow must refuse). Optional.

    Returns effects as plain data, which the core applies and logs in the audit trail:
    ``{"effect": "notify", "to": ROLE, "message": TEXT}``,
    ``{"effect": "update", "record": NUMBER, "fields": {...}, "reason": TEXT}``,
    ``{"effect": "move", "record": NUMBER, "state": STATE, "reason": TEXT}``,
    ``{"effect": "nonconformity", "source": SOURCE, "ref": NUMBER, "summary": TEXT, "dept": DEPT,
    "severity": "严重" | "一般" | "", "reason": TEXT}`` (a nonconformity to be reported and corrected
    under the procedure that implements ``qms_raise_nonconformity``; see there).
    Calling rule: all, concatenated.
    """


@hookspec(firstresult=True)
def qms_raise_nonconformity(raised: dict[str, Any], query: RecordQuery) -> dict[str, Any] | None:
    """Turn a nonconformity another procedure found into the record that reports it (不合格报告, ISO 9001 10.2).

    Called by the core when a ``qms_after_save`` or ``qms_after_transition`` implementation returns
    the effect ``{"effect": "nonconformity", "source": SOURCE, "ref": NUMBER, "summary": TEXT,
    "dept": DEPT, "severity": "严重" | "一般" | "", "reason": TEXT}``, where ``SOURCE`` is one of
    ``"complaint"``, ``"audit"``, ``"equipment"``, ``"project"``, ``"internal"`` and ``ref`` the number
    of the record that found it (a complaint, an audit finding, a failed calibration, a failed
    acceptance). The core files the record this hook returns in the same transaction as the save
    or move that caused it, as the user who made that change, without asking for their filing
    permission (the procedure's own rule files it) and without ``qms_after_save`` on it; a save
    that is refused leaves no report and uses up no number. Without an implementation, or when
    the returned form is missing from the workspace or not in force, the core writes a
    ``record.notify`` entry to 质量管理部 in the audit log (naming why) and files nothing, so the
    other procedures work without one.

    :param raised: the effect as returned, plus ``"raised_by"`` (the acting user's name),
        ``"raised_dept"`` (their department) and ``"origin"`` (the number of the record whose save or
        move returned it, often ``ref`` itself).
    :param query: read-only query over the stored records, including what this transaction wrote.

    Returns ``{"form": FORM_NUMBER, "data": {...}}``, the record to file (validated like any
    filing); or ``{"existing": NUMBER}`` when a report of the same ``source`` and ``ref`` was already
    filed (one report per source record: the core files nothing and logs that it was already
    raised); or ``None`` to leave it to the next implementation. Calling rule: firstresult.
    """


@hookspec
def qms_after_save(
    record: dict[str, Any], action: str, previous: dict[str, Any] | None, actor: dict[str, Any], query: RecordQuery
) -> list[dict[str, Any]]:
    """React after a record's data was stored by a person: filed, updated or amended.

    Rules that follow from field values (a complaint's severity and the general manager's notice)
    must hold from the first save, not only after the next move. Called once per plugin after the
    record is stored, inside the same store transaction: if an effect cannot be applied, the whole
    save is refused and nothing of it is stored. Not called for changes made by effects themselves
    (so effects cannot loop); a ``move`` effect still runs ``qms_after_transition``.

    In a bulk import (``qms record import``) it is asked while the rows are staged, before they are
    stored and without the write lock, so ``query`` does not yet see the imported records; the
    effects are applied inside the import's commit, and one that fails refuses the whole import.

    :param record: the stored record envelope (for ``"amend"``, the new correcting record).
    :param action: ``"file"``, ``"update"`` or ``"amend"``.
    :param previous: the record's data before the change (``None`` when filed; for ``"amend"``, the
        corrected record's data).
    :param actor: the user who saved it.
    :param query: read-only query over the stored records. Optional.

    Returns effects as for ``qms_after_transition`` (``notify``, ``update``, ``move``,
    ``nonconformity``), applied and logged by the core. Calling rule: all, concatenated.
    """


@hookspec
def qms_due_items(query: RecordQuery, now: datetime, calendar: WorkCalendar,
                  settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Add deadlines the workflow declarations cannot express (calibration due, pass expiry).

    Called each time the due list is built (``qms due``, the site, the dashboard).

    :param query: read-only query over the stored records (``query(form="QR-7.1-03")``).
    :param now: the time to judge "overdue" against.
    :param calendar: the workspace's working-day calendar (Chinese holidays and adjusted working
        weekends, plus the company's own days from ``qms.toml``); ``calendar.due(start, "7wd")``.
    :param settings: the workspace's ``qms.toml`` as plain data (a plugin reads its own table).

    Returns ``{"kind", "ref", "title", "due" (ISO datetime), "owner", "dept"}`` dicts.
    Calling rule: all, concatenated.
    """


@hookspec
def qms_check_reference(kind: str, ref: str, when: str, query: RecordQuery) -> list[str]:
    """Say whether an object another record refers to may be used (e.g. equipment that is 停用).

    Called while validating a record that names an object of another procedure: the core
    (``qms.references``) calls it for every value of a form field whose schema property carries
    ``x-ref: KIND`` (a string, or an array of strings), when a record is filed and for values an
    update adds. ``x-ref-when: FIELD`` on the same property names the date field giving the date
    of use; without it the date of use is today.

    The kind ``user`` is the core's own and never asked here: such a value must name an active
    workspace user, of the departments in ``x-ref-depts`` or holding the posts in ``x-ref-posts``
    when the property lists them (``qms.references``).

    :param kind: the kind of object referred to, e.g. ``"equipment"``.
    :param ref: its identifier.
    :param when: ISO date of use.
    :param query: read-only query over the stored records (to find the object's state). Optional.

    Returns reasons the reference is not allowed; ``[]`` when allowed or not this plugin's kind.
    Calling rule: all, concatenated.
    """


@hookspec
def qms_reference_choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Offer the objects of ``kind`` that a record may name, for the web form's search-select.

    Called when the web workspace draws a form with an ``x-ref: KIND`` field (see
    ``qms_check_reference``). The offer is a convenience: whatever is typed is still checked by
    ``qms_check_reference`` when the record is filed.

    :param kind: the kind of object, e.g. ``"equipment"`` or ``"complaint"``.
    :param query: read-only query over the stored records.

    Returns ``{"id", "label"}`` dicts (``[]`` when not this plugin's kind), most useful first.
    Calling rule: all, concatenated.
    """


@hookspec
def qms_check_workspace(root: Path, settings: dict[str, Any]) -> list[str]:
    """Check this plugin's own data files in a workspace (``qms check``).

    Called once per plugin by ``qms check``, after the core's checks of procedures and forms. A
    plugin that keeps data beside the forms (the projects plugin's project templates, for example)
    reports what is wrong with it here, so the core never has to know the format.

    :param root: the workspace folder.
    :param settings: the workspace's ``qms.toml`` as plain data.

    Returns problems as one-line strings naming the file and what to fix; ``[]`` when all is well.
    Calling rule: all, concatenated.
    """


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """Lay out one record as an HTML fragment for its PDF and web page.

    Called when a record is rendered. The core's generic layout runs last and works for any form.

    :param record: the record envelope (number, state, data, history, attachments, signatures).
    :param form: the pinned form definition (schema, labels, sections, layout hints).

    Returns the HTML of the record body (user text escaped by the plugin), or ``None`` to leave it
    to the next implementation. Calling rule: firstresult.
    """


@hookspec
def qms_markdown_setup(md: MarkdownIt) -> None:
    """Extend the Markdown parser used for procedure texts (``md.use(plugin)``).

    Called once each time the core builds its parser.

    :param md: the ``markdown_it.MarkdownIt`` instance (raw HTML disabled).

    Returns nothing. Calling rule: all.
    """


@hookspec
def qms_figures(query: RecordQuery, now: datetime, calendar: WorkCalendar,
                settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Give the dashboard's figures for this plugin's procedure.

    Called when the dashboard or a report is built, and one plugin at a time when a management
    review gathers its inputs (``qms.api.figures_by_plugin``): the review keeps the figures as a
    snapshot and places each under an ISO 9001 9.3.2 heading by the start of its ``id``, so give
    JSON values and stable ids that start with the procedure's slug (``complaints.received``,
    ``ncr-open``), and measure as of ``now``.

    :param query: read-only query over the stored records.
    :param now: the reference time.
    :param calendar: the workspace's working-day calendar (as for ``qms_due_items``).
    :param settings: the workspace's ``qms.toml`` as plain data.

    Returns ``{"id", "title", "kind": "bar" | "number" | "table", "data": ...}`` dicts.
    Calling rule: all, concatenated.
    """


# ---------------------------------------------------------------------------------------------
# Web workspace
# ---------------------------------------------------------------------------------------------


@hookspec
def qms_web_pages() -> list[dict[str, str]]:
    """List this plugin's pages in the web workspace (its boards: a report, a status board, a desk).

    Called when the workspace draws its navigation. Each page is then built by ``qms_web_page``.

    Returns ``{"slug", "title", "title_en"}`` dicts; ``slug`` is unique across plugins
    (lower-case letters, digits and ``-``), e.g. ``{"slug": "calibration", "title": "校准看板",
    "title_en": "Calibration board"}``. Calling rule: all, concatenated.
    """


@hookspec(firstresult=True)
def qms_web_page(slug: str, query: RecordQuery, now: datetime, calendar: WorkCalendar,
                 settings: dict[str, Any]) -> dict[str, Any] | None:
    """Build one of this plugin's web pages as plain data; the core draws and escapes it.

    Called when a user opens ``/work/boards/<slug>``.

    :param slug: the page asked for (answer ``None`` unless it is one of yours).
    :param query: read-only query over the stored records.
    :param now: the reference time.
    :param calendar: the workspace's working-day calendar.
    :param settings: the workspace's ``qms.toml`` as plain data.

    Returns ``{"intro": str, "figures": [{"label", "value"}], "sections": [{"title",
    "columns": [str], "rows": [[cell, ...]], "empty": str}]}`` where a cell is text or a number,
    or ``{"text", "record": NUMBER}`` to link a record, or ``{"text", "tone": "late" | "ok" |
    "warn"}`` to mark it. All keys but ``sections`` are optional. Calling rule: firstresult.
    """


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


@hookspec
def qms_register_commands(cli: click.Group) -> None:
    """Add commands to the ``qms`` command line.

    Called once when the CLI is built. A procedure plugin adds one group named after its slug
    (``qms complaints report``). A name that is already taken is refused with a plugin error.
    Every start of ``qms`` (``qms --help`` too) calls this hook, so add the group as
    ``api.LazyCommand(slug, "package.cli:group", first_paragraph_of_its_help)``: its module is then
    imported only when one of its commands runs or its help is shown.

    :param cli: the root ``click.Group``.

    Returns nothing. Calling rule: all.
    """
