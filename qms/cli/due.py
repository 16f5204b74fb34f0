"""``qms due``: every open deadline — records, plugins' items, document reviews — soonest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qms.cli import echo_json, json_option, pass_app
from qms.cli.table import echo_table

if TYPE_CHECKING:
    from qms.app import App


@click.command()
@click.option("--dept", metavar="D", help="Only items of this department (or owner).")
@json_option
@pass_app
def due(app: App, dept: str | None, as_json: bool) -> None:
    """List every open due item with its due time, owner and an overdue flag (逾期).

    Working days follow the Chinese calendar (holidays and adjusted working weekends); for a year
    without official data the list says which fallback it used.

    \b
    Example:
      qms due --dept 品质部
    """
    # Imported here, not at the top: it brings the form validator (jsonschema), which
    # `qms due --help` must not wait for.
    from qms.due import due_items

    found = due_items(app, dept=dept)
    if as_json:
        echo_json(found.as_dict())
        return
    if not found.items:
        click.echo("nothing due 无待办事项")
    echo_table(["到期 Due", "", "编号 Ref", "事项 Item", "责任 Owner / Dept"],
               [[item["due"], "逾期 OVERDUE" if item["overdue"] else "", item["ref"], item["title"],
                 f"{item.get('owner') or '—'} / {item.get('dept') or '—'}"] for item in found.items])
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
