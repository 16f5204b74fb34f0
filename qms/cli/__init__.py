"""The ``qms`` command line: the root group, the error boundary and shared option helpers.

The root group is built by ``make_cli`` from a plugin host; core commands arrive through the
built-in plugin ``qms.builtin.commands`` exactly as procedure plugins add theirs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

import qms
from qms.cli.lazy import CommandTable, peek
from qms.console import echo_json, hoist_actor
from qms.errors import ExitCode, PluginError, QMSError, UsageError
from qms.host import Host, make_plugin_manager

if TYPE_CHECKING:
    # Only for annotations: importing the App pulls in the store, users and signing keys, which
    # `qms --help` must not pay for (tests/test_cli_startup.py); the workspace module likewise
    # is imported when a command first opens one.
    from qms.app import App

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A ``QMSError`` on its way out of click: one line, the error's exit code."""

    def __init__(self, error: QMSError) -> None:
        super().__init__(str(error))
        # click reads the exit code from the instance; each error kind brings its own.
        self.exit_code = int(error.exit_code)  # type: ignore[misc]


class QMSGroup(click.Group):
    """A group that turns every ``QMSError`` raised below it into one clear line.

    Its commands may be ``LazyCommand`` placeholders (``qms.cli.lazy``): its help lists them from
    their one-line help, and each is imported only when it runs or its own help is shown.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = CommandTable(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, reading each entry without importing it (a placeholder's help is
        # the real command's first paragraph, so the line printed is the same).
        commands = [(name, peek(self.commands, name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in commands if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QMSError as exc:
            raise CommandError(exc) from exc

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Bytes that are not UTF-8 reach Python as lone surrogates, which no file can store:
        # refuse them here, before a note or a name carries them into the store.
        for arg in args:
            if any(0xD800 <= ord(c) <= 0xDFFF for c in arg):
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise CommandError(UsageError(f"argument {shown!r} is not valid UTF-8 text; set the terminal to UTF-8 "
                                              "and type it again (a file named in another encoding: rename it)"))
        if ctx.parent is None:
            args = hoist_actor(args)
        return super().parse_args(ctx, args)


@dataclass
class Session:
    """What the root options said; opens the workspace only when a command needs it."""

    host: Host
    workspace_option: str | None
    actor_name: str | None
    _app: App | None = None

    def app(self) -> App:
        """The opened workspace (found from --workspace, QMS_WORKSPACE or the current folder)."""
        if self._app is None:
            from qms.logins import open_as, saved_login
            from qms.workspace import find_workspace

            workspace = find_workspace(self.workspace_option)
            self._app = open_as(self.host, workspace, self.actor_name, saved_login(workspace.root))
        return self._app


pass_session = click.make_pass_decorator(Session)


def session_of(ctx: click.Context) -> Session:
    """The root group's ``Session`` from any sub-command's context."""
    session = ctx.find_object(Session)
    if session is None:  # only when a command is invoked outside the qms root group
        raise click.UsageError("run this command through `qms`")
    return session


def pass_app(f: F) -> F:
    """Pass the opened ``App`` as the first argument of a command."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, session_of(ctx).app(), *args, **kwargs)

    return click.decorators.update_wrapper(wrapper, f)  # type: ignore[return-value]


def json_option(f: F) -> F:
    """Add ``--json`` to a command."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(f)


def read_password(password_stdin: bool, prompt: str = "Password", confirm: bool = False) -> str:
    """The password from one stdin line (for scripts) or asked without echo."""
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return value


def password_option(f: F) -> F:
    """Add ``--password-stdin`` to a command that asks for a password."""
    return click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")(f)


def make_cli(host: Host) -> click.Group:
    """Build the root command group with every plugin's commands."""

    @click.group(cls=QMSGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(qms.__version__, prog_name="qms")
    @click.option("--workspace", "-w", metavar="DIR", envvar="QMS_WORKSPACE",
                  help="The workspace folder (default: the current folder or the nearest above it).")
    @click.option("--as", "actor", metavar="NAME", envvar="QMS_USER",
                  help="Act as this workspace user (proven by `qms login NAME`, QMS_PASSWORD or QMS_TOKEN).")
    @click.option("--disable-plugin", multiple=True, metavar="NAME", help="Start without this plugin (repeatable).")
    @click.pass_context
    def cli(ctx: click.Context, workspace: str | None, actor: str | None, disable_plugin: tuple[str, ...]) -> None:
        """qms: controlled documents and records for an ISO 9001 quality system.

        \b
        Examples:
          qms init ./acme && cd acme
          qms user add zhang --role admin --dept 质量管理部
          qms login zhang
          qms verify
        """
        ctx.obj = Session(host=host, workspace_option=workspace, actor_name=actor)

    host.extend_cli(cli)
    return cli


def _disabled_from_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """``--disable-plugin`` values, needed before the plugins (and so the CLI) are built."""
    names = []
    for i, arg in enumerate(argv):
        if arg == "--disable-plugin" and i + 1 < len(argv):
            names.append(argv[i + 1])
        elif arg.startswith("--disable-plugin="):
            names.append(arg.split("=", 1)[1])
    return tuple(names)


def build(argv: Sequence[str]) -> click.Group:
    """The CLI with plugins loaded, honouring ``--disable-plugin`` in ``argv``."""
    host = Host(make_plugin_manager(blocked=_disabled_from_argv(argv)))
    host.registry  # noqa: B018 - surface duplicate registrations at start-up, not mid-command
    return make_cli(host)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: build the CLI and run it; plugin failures exit with code 3."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli = build(args)
    except PluginError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(int(ExitCode.PLUGIN_ERROR))
    cli.main(args=args, prog_name="qms")
