"""``qms form``: the controlled forms of the workspace and their pinned editions."""

from __future__ import annotations

from pathlib import Path

from typing import Any

import click

from qms import forms
from qms.app import App
from qms.cli import echo_json, json_option, pass_app
from qms.cli.completion import complete_forms
from qms.cli.pdf import PDF_OUT, write_page
from qms.cli.table import echo_table
from qms.errors import UsageError


@click.group()
def form() -> None:
    """Controlled forms (表单): definitions in forms/NUMBER.yaml that records are filed on.

    \b
    Example:
      qms form list
    """


@form.command("list")
@json_option
@pass_app
def form_list(app: App, as_json: bool) -> None:
    """List the forms in force with edition, procedure and record prefix.

    \b
    Example:
      qms form list --json
    """
    found = forms.list_forms(app)
    bindings = app.host.registry.forms
    rows = [{"number": f["number"], "title": f["title"], "title_en": f.get("title_en", ""), "edition": f["edition"],
             "procedure": f["procedure"], "prefix": f["prefix"], "retention": f.get("retention"),
             "plugin": app.host.registry.owner("form", f["number"]) if f["number"] in bindings else None,
             "fields": len(f["schema"].get("properties", {}))} for f in found]
    if as_json:
        from qms.form_control import control, refusal

        rows = [r | {"control": control(app, str(r["number"])), "refusal": refusal(app, f)} for r, f in zip(rows, found)]
        echo_json(rows)
        return
    if not rows:
        broken = len(forms.form_files(app))
        click.echo("no forms in forms/ (表单为空)" + (f"; {broken} file(s) are malformed, see `qms check`" if broken else
                   "; procedure plugins add their forms as forms/NUMBER.yaml"))
        return
    echo_table(["表单 Form", "版号 Ed.", "前缀 Prefix", "程序 Procedure", "标题 Title"],
               [[r["number"], r["edition"], r["prefix"], r["procedure"], f"{r['title']} {r['title_en']}"] for r in rows])


@form.command("show")
@click.argument("number", shell_complete=complete_forms)
@click.option("--edition", metavar="E", help="A pinned edition (default: the one in force).")
@json_option
@pass_app
def form_show(app: App, number: str, edition: str | None, as_json: bool) -> None:
    """Show a form's fields with their bilingual labels, types and required marks.

    \b
    Example:
      qms form show QR-8.2-01
    """
    from qms.form_control import control

    definition = forms.load_form(app, number, edition)
    status = control(app, number)
    if as_json:
        echo_json({**definition, "pinned_editions": forms.pinned_editions(app, number), "control": status})
        return
    click.echo(f"{definition['number']} {definition['title']} {definition.get('title_en', '')}")
    latest = f" (latest 最新 {status['latest']})" if status["latest"] and status["latest"] != status["edition"] else ""
    click.echo(f"control 文件控制: {status['edition'] or '-'} {status['label']}{latest}")
    click.echo(f"edition 版号: {definition['edition']}   procedure 程序: {definition['procedure']}   "
               f"record prefix 记录编号前缀: {definition['prefix']}")
    retention = definition.get("retention")
    if retention:
        click.echo(f"retention 保存期限: {retention['years']} years after {retention.get('after', 'closed')}")
    pinned = forms.pinned_editions(app, number)
    if pinned:
        click.echo(f"editions with records 已使用版本: {', '.join(pinned)}")
    schema = definition["schema"]
    required = set(schema.get("required", []))
    for section in definition.get("sections") or [{"title": "", "fields": forms.fields(definition)}]:
        if section.get("title"):
            click.echo(f"\n[{section['title']}]")
        for name in section.get("fields", []):
            prop = schema.get("properties", {}).get(name, {})
            _echo_field(definition, name, [name], prop, name in required, 1)


def _kind(prop: dict[str, Any]) -> str:
    """What a field holds, as the clerk types it."""
    if "enum" in prop:
        return "one of " + "/".join(map(str, prop["enum"]))
    if prop.get("type") == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        return "list 列表" + (f" of {_kind(items)}" if items and items.get("type") != "object" else "")
    if prop.get("type") == "object":
        return "group 组"
    return str(prop.get("format") or prop.get("type", ""))


def _echo_field(definition: dict[str, Any], shown: str, path: list[str | int], prop: dict[str, Any], required: bool,
                depth: int) -> None:
    """One field line, then the sub-fields of a list of groups (``actions[].done_at``) or of a group."""
    mark = "*" if required else " "
    indent = " " * (depth - 1)
    click.echo(f" {mark} {indent}{shown:<{max(22 - len(indent), 1)}} {forms.label(definition, path):<30} {_kind(prop)}")
    items = prop.get("items") if isinstance(prop.get("items"), dict) else None
    group, prefix, sub_path = (items, f"{shown}[]", [*path, 0]) if items else (prop, shown, path)
    if not isinstance(group, dict) or not group.get("properties") or depth > 3:
        return
    inner = set(group.get("required", []))
    for sub, sub_prop in group["properties"].items():
        _echo_field(definition, f"{prefix}.{sub}", [*sub_path, sub], sub_prop if isinstance(sub_prop, dict) else {},
                    sub in inner, depth + 2)


@form.command("blank")
@click.argument("number", shell_complete=complete_forms)
@click.option("-o", "--output", type=PDF_OUT, help="The PDF file to write (default ./NUMBER_EDITION_blank.pdf).")
@click.option("--copy", "copy_no", type=int, metavar="N", help="Controlled copy number from the distribution register.")
@click.option("--holder", metavar="DEPT", help="The department holding that controlled copy.")
@click.option("--uncontrolled", is_flag=True, help="Stamp 非受控 UNCONTROLLED.")
@json_option
@pass_app
def form_blank(app: App, number: str, output: Path | None, copy_no: int | None, holder: str | None,
               uncontrolled: bool, as_json: bool) -> None:
    """Render the blank form in force for paper use, headed and stamped like a controlled document.

    \b
    Example:
      qms form blank QR-8.2-01 -o QR-8.2-01-blank.pdf
    """
    from qms.forms import current_form
    from qms.render.sources import blank_page, file_name

    if (copy_no is None) != (not holder):
        raise UsageError("a controlled copy needs both --copy N and --holder DEPT")
    page = blank_page(app, number, copy=copy_no, holder=holder, uncontrolled=uncontrolled)
    form = current_form(app, number)
    write_page(app, page, file_name(number, str(form["edition"]), "blank"), output, as_json)
