"""``qms record``: file, show, list, change, move, amend, attach and import controlled records."""

from __future__ import annotations

import copy
import json
import re
import sys
from operator import itemgetter
from pathlib import Path
from typing import Any

import click

from qms import clock, form_control, forms, recordimport, records, validation
from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.completion import complete_forms, complete_records
from qms.cli.pdf import PDF_OUT, write_page
from qms.cli.table import echo_table
from qms.datafile import read_data
from qms.errors import UsageError

_PATH = re.compile(r"[^\[\].=]+(?:\[\d+\]|\.[^\[\].=]+)*")
_PART = re.compile(r"\[(\d+)\]|\.?([^\[\].=]+)")


def _field_path(name: str, item: str) -> list[str | int]:
    """``actions[0].done_at`` → ``["actions", 0, "done_at"]``."""
    if not _PATH.fullmatch(name):
        raise UsageError(f"--set {item!r}: write FIELD=VALUE, or a path such as actions[0].done_at=VALUE")
    return [int(index) if index else str(key) for index, key in _PART.findall(name)]


def _put(node: Any, path: list[str | int], value: Any, done: list[str | int], item: str) -> Any:
    """``node`` with ``value`` set at ``path`` (lists and groups created as needed); ``done`` is the path so far."""
    key = path[0]
    where = validation.format_path(done)
    if isinstance(key, int):
        node = [] if node is None else node
        if not isinstance(node, list):
            raise UsageError(f"--set {item!r}: {where} is not a list; write {where}.FIELD=VALUE")
        if key > len(node):
            raise UsageError(f"--set {item!r}: {where} has {len(node)} item(s); give an index from 0 to {len(node)} "
                             f"({len(node)} adds an item)")
        if key == len(node):
            node.append(None)
    else:
        node = {} if node is None else node
        if not isinstance(node, dict):
            raise UsageError(f"--set {item!r}: {where} is not a group of fields; set {where} itself")
    if len(path) == 1:
        if value is None and isinstance(node, dict):
            node.pop(key, None)
        else:
            node[key] = value  # type: ignore[index]
        return node
    child = node[key] if isinstance(key, int) else node.get(key)  # type: ignore[index]
    node[key] = _put(child, path[1:], value, [*done, key], item)  # type: ignore[index]
    return node


def parse_sets(form: dict[str, Any], sets: tuple[str, ...], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """``--set FIELD=VALUE`` options as typed changes (an empty value clears the field).

    A path sets one field inside a list or group, e.g. ``--set actions[0].done_at=2026-10-19``: the
    top-level field is taken from ``current`` (the record's data) with that one value changed, and
    index N of a list of N items adds an item.
    """
    out: dict[str, Any] = {}
    for item in sets:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise UsageError(f"--set {item!r} must be FIELD=VALUE")
        path = _field_path(name, item)
        value = validation.coerce_text(form, path, text)
        if len(path) == 1:
            out[name] = value
            continue
        top = str(path[0])
        start = out[top] if top in out else copy.deepcopy((current or {}).get(top))
        out[top] = _put(start, path[1:], value, [top], item)
    return out


def prompt_data(form: dict[str, Any]) -> dict[str, Any]:
    """Ask for each field of the form in layout order; empty answers skip optional fields."""
    schema = form["schema"]
    required = set(schema.get("required", []))
    data: dict[str, Any] = {}
    click.echo(f"{form['number']} {form['title']} {form.get('title_en', '')} ({form['edition']}); * = required 必填", err=True)
    for name in forms.fields(form):
        prop = schema.get("properties", {}).get(name, {})
        hint = prop.get("format") or prop.get("type", "")
        if "enum" in prop:
            hint = "/".join(map(str, prop["enum"]))
        if prop.get("type") in ("array", "object"):
            hint += ", JSON"
        text = click.prompt(f"{'*' if name in required else ' '} {forms.label(form, [name]) or name} [{name}, {hint}]",
                            default="", show_default=False, err=True)
        value = validation.coerce_text(form, name, text)
        if value is not None:
            data[name] = value
    return data


def _data_from(form: dict[str, Any], data_source: str | None, sets: tuple[str, ...],
               current: dict[str, Any] | None = None) -> dict[str, Any]:
    data = read_data(data_source, form) if data_source else {}
    data.update(parse_sets(form, sets, {**(current or {}), **data}))
    return data


@click.group()
def record() -> None:
    """Controlled records (记录): one filled form each, numbered, validated, moved through its workflow.

    \b
    Example:
      qms record new QR-8.2-01 --data complaint.yaml --as li
    """


@record.command("new")
@click.argument("form_number", metavar="FORM", shell_complete=complete_forms)
@click.option("--data", "data_source", metavar="FILE|-", help="JSON or YAML file with the field values (- for stdin).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field value (repeatable).")
@click.option("--note", default="", help="A note for the record's history.")
@json_option
@pass_app
def record_new(app: App, form_number: str, data_source: str | None, sets: tuple[str, ...], note: str, as_json: bool) -> None:
    """File a new record on FORM; without --data or --set, asks for each field.

    Every problem is listed at once and nothing is stored if any field is wrong.

    \b
    Example:
      qms record new QR-8.2-01 --data complaint.yaml --as li
    """
    app.actor("record.file", f"file {form_number} records")
    form = forms.current_form(app, form_number)
    form_control.require_fileable(app, form)  # before asking for any field
    data = _data_from(form, data_source, sets) if data_source or sets else prompt_data(form)
    filed = records.file(app, form_number, data, note=note)
    if as_json:
        echo_json(filed)
    else:
        click.echo(f"filed {filed['number']} ({form['title']} {form['edition']}), state {filed['state']}")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是 Yes" if value else "否 No"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value in (None, "") else str(value)


@record.command("show")
@click.argument("number", shell_complete=complete_records)
@json_option
@pass_app
def record_show(app: App, number: str, as_json: bool) -> None:
    """Show a record with its pinned form's labels, its deadlines, attachments and signatures.

    \b
    Example:
      qms record show KS-2026-0001
    """
    from qms.due import record_deadlines

    rec = records.get(app, number)
    form = records.pinned_form(app, rec)
    workflow = records.workflow_for(app, rec["form"])
    deadlines = record_deadlines(rec, workflow, app.calendar, clock.now(), form["title"])
    if as_json:
        echo_json({**rec, "deadlines": deadlines})
        return
    click.echo(f"{rec['number']}  {form['title']} {form.get('title_en', '')}  ({rec['form']} {rec['form_edition']})")
    click.echo(f"state 状态: {records.state_label(workflow, rec['state'])}{'  [closed 已关闭]' if rec['closed'] else ''}")
    click.echo(f"procedure 程序: {rec['procedure']} {rec['procedure_edition']}   dept 部门: {rec['dept']}   "
               f"filed 填报: {rec['created_at']} by {rec['created_by']}")
    if rec.get("amends"):
        click.echo(f"corrects 更正: {rec['amends']} — {rec.get('amend_reason', '')}")
    if rec.get("amended_by"):
        click.echo(f"corrected by 已更正为: {', '.join(rec['amended_by'])}")
    for name in [*forms.fields(form), *(k for k in rec["data"] if k not in forms.fields(form))]:
        if name in rec["data"]:
            click.echo(f"  {forms.label(form, [name]) or name}: {_value(rec['data'][name])}")
    for d in deadlines:
        click.echo(f"deadline 期限: {d['title']} due {d['due']}{'  OVERDUE 逾期' if d['overdue'] else ''}")
    for a in rec["attachments"]:
        click.echo(f"attachment 附件: {a['name']} ({a['size']} bytes, sha256 {a['sha256'][:16]}…)")
    for s in rec["signatures"]:
        click.echo(f"signature 签名: {s['meaning']} — {s['full_name']} ({s['role']}) {s['at']}")


@record.command("list")
@click.argument("form_number", metavar="[FORM]", required=False, shell_complete=complete_forms)
@click.option("--state", help="Only records in this state.")
@click.option("--overdue", is_flag=True, help="Only records with an overdue deadline.")
@json_option
@pass_app
def record_list(app: App, form_number: str | None, state: str | None, overdue: bool, as_json: bool) -> None:
    """List records, optionally of one form, in one state, or overdue.

    \b
    Example:
      qms record list QR-8.2-01 --state closed
    """
    if as_json:
        found = records.list_records(app, form_number, state)
        if overdue:
            from qms.due import overdue_numbers

            late = overdue_numbers(app)
            found = [r for r in found if r["number"] in late]
        echo_json(found)
        return
    # The register view needs no field data: its rows come from the store's projection cache,
    # as lists (no dict per record), and only the six printed columns are taken out of them.
    rows = records.summary_rows(app, form_number, state)
    if overdue:
        from qms.due import overdue_numbers

        late = overdue_numbers(app)
        rows = [r for r in rows if r[0] in late]
    pick = itemgetter(*(records.SUMMARY_FIELDS.index(k)
                        for k in ("number", "form", "form_edition", "state", "dept", "created_at")))
    echo_table(["编号 No.", "表单 Form", "版号 Ed.", "状态 State", "部门 Dept", "填写 Filed at"], map(pick, rows))
    click.echo(f"{len(rows)} record(s)", err=True)


@record.command("history")
@click.argument("number", shell_complete=complete_records)
@json_option
@pass_app
def record_history(app: App, number: str, as_json: bool) -> None:
    """Show a record's history and its entries in the audit log (effects and notifications included).

    \b
    Example:
      qms record history KS-2026-0001
    """
    rec = records.get(app, number)
    trail = records.audit_trail(app, number)
    if as_json:
        echo_json({"number": number, "history": rec["history"], "audit": trail,
                   "amends": rec.get("amends"), "amended_by": rec.get("amended_by", [])})
        return
    for h in rec["history"]:
        move = f"{h['from'] or '·'} → {h['to']}" if h["from"] != h["to"] else h["to"]
        click.echo(f"{h['at']}  {h['actor']:<10} {h['action']:<8} {move}  {h['note']}")
    click.echo("audit log 审计记录:")
    for e in trail:
        extra = e.get("reason") or json.dumps(e.get("detail", {}), ensure_ascii=False)
        click.echo(f"  #{e['seq']} {e['at']} {e['actor']} {e['action']} {extra}")


@record.command("update")
@click.argument("number", shell_complete=complete_records)
@click.option("--data", "data_source", metavar="FILE|-", help="JSON or YAML file with the changed fields.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="A changed field (empty clears it); a path such as actions[0].done_at=… changes one item.")
@click.option("--note", default="", help="Why the fields changed.")
@json_option
@pass_app
def record_update(app: App, number: str, data_source: str | None, sets: tuple[str, ...], note: str, as_json: bool) -> None:
    """Fill in or change fields of an open record (closed records are amended instead).

    \b
    Example:
      qms record update KS-2026-0001 --set investigation_result="焊缝气孔，属制造缺陷" --as li
    """
    rec = records.get(app, number)
    changes = _data_from(records.pinned_form(app, rec), data_source, sets, rec["data"])
    updated = records.update(app, number, changes, note=note)
    if as_json:
        echo_json(updated)
        return
    click.echo(f"updated {number}: {', '.join(sorted(changes))}")


@record.command("move")
@click.argument("number", shell_complete=complete_records)
@click.argument("state")
@click.option("--note", default="", help="A note for the history (e.g. what was decided).")
@password_option
@json_option
@pass_app
def record_move(app: App, number: str, state: str, note: str, password_stdin: bool, as_json: bool) -> None:
    """Move a record to STATE; a refusal names every reason and changes nothing.

    Signed transitions (approvals, verifications) ask for your password again.

    \b
    Example:
      qms record move KS-2026-0001 closed --note "客户满意" --as chen
    """
    transition = records.plan_move(app, number, state)
    password = None
    if transition.signature:
        password = read_password(password_stdin, f"Password to sign 签名 ({transition.signature})")
    result = records.move(app, number, state, note=note, password=password)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{number}: {transition.source} → {state}" + (f" (signed: {transition.signature})" if transition.signature else ""))
    for effect in result["effects"]:
        status = "done" if effect["applied"] else f"NOT applied: {effect['error']}"
        click.echo(f"  effect {effect.get('effect')}: {effect.get('record') or effect.get('to', '')} {status}")


@record.command("amend")
@click.argument("number", shell_complete=complete_records)
@click.option("--reason", required=True, help="Why the closed record is corrected.")
@click.option("--data", "data_source", metavar="FILE|-", help="JSON or YAML file with the corrected fields.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A corrected field (repeatable).")
@json_option
@pass_app
def record_amend(app: App, number: str, reason: str, data_source: str | None, sets: tuple[str, ...], as_json: bool) -> None:
    """Correct a closed record: files a linked correction NUMBER-A1; the original stays readable.

    \b
    Example:
      qms record amend KS-2026-0007 --reason "客户名称录入错误" --set customer=某某公司 --as li
    """
    rec = records.get(app, number)
    changes = _data_from(records.pinned_form(app, rec), data_source, sets, rec["data"])
    correction = records.amend(app, number, reason, changes)
    if as_json:
        echo_json(correction)
        return
    click.echo(f"filed correction {correction['number']} of {number}: {', '.join(sorted(changes))}")


@record.command("attach")
@click.argument("number", shell_complete=complete_records)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_app
def record_attach(app: App, number: str, file: Path, as_json: bool) -> None:
    """Attach a file (photo, certificate) to an open record; stored by its sha256.

    \b
    Example:
      qms record attach KS-2026-0001 photo.jpg --as li
    """
    item = records.attach(app, number, file)
    if as_json:
        echo_json(item)
        return
    click.echo(f"attached {item['name']} to {number} ({item['size']} bytes, sha256 {item['sha256']})")


@record.command("import")
@click.argument("form_number", metavar="FORM", shell_complete=complete_forms)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_app
def record_import(app: App, form_number: str, file: Path, as_json: bool) -> None:
    """Import FILE (.csv or .xlsx with a header row of field names, or .jsonl): every row or none.

    CSV may be UTF-8 or GBK (as Excel and WPS save it); an .xlsx workbook is read from its first
    sheet. Each bad row is reported with its line number; nothing is filed unless all rows are valid.

    \b
    Example:
      qms record import QR-8.5-01 requests.csv --as qian
    """
    app.actor("record.file", f"import {form_number} records")
    forms.current_form(app, form_number)
    total = recordimport.count_rows(file) if file.is_file() else 0
    # Piped or scripted, the bar would only print its label: an error would then no longer be one line.
    with click.progressbar(length=total, label=f"checking {file.name}", file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as bar:
        numbers = recordimport.import_file(app, form_number, file, progress=bar.update)
    if as_json:
        echo_json(numbers)
        return
    click.echo(f"imported {len(numbers)} record(s): {numbers[0]} … {numbers[-1]}")


@record.command("pdf")
@click.argument("number", shell_complete=complete_records)
@click.option("-o", "--output", type=PDF_OUT, help="The PDF file to write (default ./NUMBER.pdf).")
@json_option
@pass_app
def record_pdf(app: App, number: str, output: Path | None, as_json: bool) -> None:
    """Render a record as PDF laid out as its form, with signatures, attachments, history and its JSON attached.

    \b
    Example:
      qms record pdf KS-2026-0001 -o KS-2026-0001.pdf
    """
    from qms.render.sources import file_name, get_record, record_page_of

    record = get_record(app, number)
    write_page(app, record_page_of(app, record), file_name(number), output, as_json)
