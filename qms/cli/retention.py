"""``qms retention``: records past their retention period, their disposal, and the disposal register."""

from __future__ import annotations

import click

from qms import retention as service
from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.table import echo_table


@click.group(invoke_without_command=True)
@click.pass_context
def retention(ctx: click.Context) -> None:
    """Records past retention (保存期满); without a subcommand, lists them.

    \b
    Example:
      qms retention
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(retention_list)


@retention.command("list")
@json_option
@pass_app
def retention_list(app: App, as_json: bool = False) -> None:
    """List records whose retention period has ended.

    \b
    Example:
      qms retention list --json
    """
    items = service.past_retention(app)
    if as_json:
        echo_json(items)
        return
    if not items:
        click.echo("no record is past its retention period 无到期记录")
    echo_table(["编号 No.", "表单 Form", "标题 Title", "关闭 Closed", "保存 Kept", "保存至 Until"],
               [[i["number"], i["form"], i["form_title"], i["closed_at"], f"{i['years']} y after {i['after']}",
                 i["retain_until"]] for i in items])


@retention.command("dispose")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why (e.g. 保存期满，按记录控制程序销毁).")
@password_option
@json_option
@pass_app
def retention_dispose(app: App, numbers: tuple[str, ...], reason: str, password_stdin: bool, as_json: bool) -> None:
    """Dispose of records past retention; needs an approver, who signs with their password.

    The audit log and the disposal register keep what was disposed of, never the content.

    \b
    Example:
      qms retention dispose KS-2023-0001 KS-2023-0002 --reason "保存期满" --as wang
    """
    app.actor("record.dispose", "dispose of records")
    password = read_password(password_stdin, "Password to sign the disposal 签名")
    facts = service.dispose(app, list(numbers), reason, password)
    if as_json:
        echo_json(facts)
        return
    for f in facts:
        click.echo(f"disposed of {f['number']} ({f['form']} {f['form_edition']}), approved by {f['approved_by']}")


@retention.command("log")
@json_option
@pass_app
def retention_log(app: App, as_json: bool) -> None:
    """The disposal register: what was disposed of, when, by whom and why.

    \b
    Example:
      qms retention log
    """
    items = service.disposals(app)
    if as_json:
        echo_json(items)
        return
    for d in items:
        click.echo(f"{d['disposed_at']}  {d['number']:<18} {d['form']} {d['form_edition']}  by {d['approved_by']}: {d['reason']}")
