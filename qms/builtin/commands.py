"""The core's own commands, added through ``qms_register_commands`` like any plugin's.

Each is added as a ``LazyCommand`` (``qms.cli.lazy``): ``qms --help`` lists it from the one-line
help below and imports its module only when the command runs or its own help is shown, so the
start of every ``qms`` command pays for none of the other commands' imports.
"""

from __future__ import annotations

import click

from qms.hookspecs import hookimpl

#: Name → (``module:attribute``, the first paragraph of its help, which ``qms --help`` shows).
#: ``tests/test_cli_startup.py`` checks every line against the real command, so it cannot go stale.
CORE_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("qms.cli.workspace:init", "Create a workspace in DIRECTORY with the reference procedures and forms."),
    "check": ("qms.cli.workspace:check", "Check the workspace's definitions; exit 1 listing every problem."),
    "verify": ("qms.cli.workspace:verify",
               "Check the audit log chain and every stored object, attachment and PDF against it."),
    "head": ("qms.cli.anchor:head", "Print the audit log's current chain head, signed with the workspace key."),
    "doctor": ("qms.cli.doctor:doctor",
               "Recover a write interrupted by a crash or power cut, then verify the workspace."),
    "plugins": ("qms.cli.workspace:plugins", "List loaded plugins with their version and the hooks they implement."),
    "user": ("qms.cli.user:user", "Workspace users and their roles."),
    "demo": ("qms.cli.demo:demo",
             "Build a demonstration workspace in DIRECTORY (default ./qms-demo) and print what it made."),
    "doc": ("qms.cli.doc:doc",
            "Controlled documents (受控文件): procedures, manuals, work instructions, forms, external documents."),
    "form": ("qms.cli.form:form",
             "Controlled forms (表单): definitions in forms/NUMBER.yaml that records are filed on."),
    "record": ("qms.cli.record:record",
               "Controlled records (记录): one filled form each, numbered, validated, moved through its workflow."),
    "due": ("qms.cli.due:due", "List every open due item with its due time, owner and an overdue flag (逾期)."),
    "retention": ("qms.cli.retention:retention", "Records past retention (保存期满); without a subcommand, lists them."),
    "login": ("qms.cli.login:login",
              "Log in as NAME on this workspace: asks the password, then commands act as NAME without --as."),
    "logout": ("qms.cli.login:logout",
               "End your login on this workspace (the token is revoked and forgotten; logged)."),
    "token": ("qms.cli.login:token", "Tokens for scripts and CI (QMS_TOKEN), made and revoked by an admin."),
    "render": ("qms.cli.pdf:render",
               "Render every issued document and every record as PDF, logging each file's sha256 for `qms verify`."),
    "render-service": ("qms.cli.render_service:render_service",
                       "The render service: one process that keeps the PDF engine loaded, so `qms render` pays "
                       "only for its pages."),
    "serve": ("qms.cli.site:serve",
              "Serve the web workspace and the auditor site for this workspace (log in with a workspace user)."),
    "export": ("qms.cli.site:export", "Export evidence from the workspace."),
    "store": ("qms.cli.store:store",
              "The record store: TinyDB files in records/ (the default) or a PostgreSQL database."),
}


@hookimpl(tryfirst=True)
def qms_register_commands(cli: click.Group) -> None:
    """Add the core commands and groups, each imported on first use."""
    from qms.cli.lazy import LazyCommand

    for name, (target, help) in CORE_COMMANDS.items():
        cli.add_command(LazyCommand(name, target, help))
