"""The core's own commands, added through ``qms_register_commands`` like any plugin's."""

from __future__ import annotations

import click

from qms.hookspecs import hookimpl


@hookimpl(tryfirst=True)
def qms_register_commands(cli: click.Group) -> None:
    """Add the core command groups."""
    from qms.cli.demo import demo
    from qms.cli.doc import doc
    from qms.cli.user import user
    from qms.cli.workspace import check, init, plugins, verify

    for command in (init, check, verify, plugins, user, demo, doc):
        cli.add_command(command)
