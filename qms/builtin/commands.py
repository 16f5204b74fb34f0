"""The core's own commands, added through ``qms_register_commands`` like any plugin's."""

from __future__ import annotations

import click

from qms.hookspecs import hookimpl


@hookimpl(tryfirst=True)
def qms_register_commands(cli: click.Group) -> None:
    """Add the core command groups."""
    from qms.cli.demo import demo
    from qms.cli.doctor import doctor
    from qms.cli.doc import doc
    from qms.cli.due import due
    from qms.cli.form import form
    from qms.cli.login import login, logout, token
    from qms.cli.record import record
    from qms.cli.retention import retention
    from qms.cli.user import user
    from qms.cli.anchor import head
    from qms.cli.workspace import check, init, plugins, verify

    for command in (init, check, verify, head, doctor, plugins, user, demo, doc, form, record, due, retention):
        cli.add_command(command)
    for command in (login, logout, token):
        cli.add_command(command)
    from qms.cli.pdf import attach as attach_pdf_commands

    attach_pdf_commands(cli)  # after the groups above, so the PDF commands join them
    from qms.cli.site import attach as attach_site_commands

    attach_site_commands(cli)  # qms serve, qms export bundle
