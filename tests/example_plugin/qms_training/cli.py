"""``qms training``: the training register of the workspace."""

from __future__ import annotations

import click
from qms import api

from qms_training.workflow import FORM


@click.group(cls=api.QMSGroup)
def training() -> None:
    """Training records (培训记录, QP-7.2-01).

    \b
    Example:
      qms training list --json
    """


@training.command("list")
@api.json_option
@api.pass_app
def list_cmd(app: api.App, as_json: bool) -> None:
    """List training records with their topic, date and attendee count.

    \b
    Example:
      qms training list
    """
    rows = [{"number": r["number"], "state": r["state"], "topic": r["data"].get("topic", ""),
             "held_on": r["data"].get("held_on", ""), "attendees": len(r["data"].get("attendees") or [])}
            for r in api.find_records(app, form=FORM)]
    if as_json:
        api.echo_json(rows)
        return
    api.echo_table(["编号 No.", "状态 State", "主题 Topic", "日期 Held on", "人数 Attendees"],
                   [list(r.values()) for r in rows], empty="无培训记录 No training records")
