"""Commands imported on first use: the placeholder a group lists, and the table that swaps it for the real one.

A command module imports what its commands need (the store, the renderer, the form validator),
which costs far more than ``qms --help`` may take. So a group can hold a ``LazyCommand`` instead:
its name, ``module:attribute`` and one-line help. The group's help lists it from that line alone;
anything else that looks the command up (running it, ``qms doc --help``, shell completion, walking
``group.commands``) gets the real command, imported then and kept in place of the placeholder.
This is click's documented "lazily loading subcommands" pattern, kept inside the command table so
that code reading ``group.commands`` never sees a placeholder.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import click

from qms.errors import PluginError


class LazyCommand(click.Command):
    """Stands in for the command at ``target`` (``module:attribute``) until it is needed."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name, help=help)
        self.target = target

    def load(self) -> click.Command:
        """Import the real command; a failure is a ``PluginError`` naming the command and its module."""
        module, _, attribute = self.target.partition(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except Exception as exc:  # plugin code: whatever its import raises is the plugin's error, in one line
            raise PluginError(f"command {self.name!r} ({self.target}) failed to import: {type(exc).__name__}: {exc}; "
                              f"fix or uninstall the plugin that adds it, or start with --disable-plugin NAME") from exc
        if not isinstance(command, click.Command):
            raise PluginError(f"command {self.name!r}: {self.target} is a {type(command).__name__}, not a click "
                              f"command; fix the plugin that adds it, or start with --disable-plugin NAME")
        return command


class CommandTable(MutableMapping[str, click.Command]):
    """A group's commands by name; a placeholder is replaced by its real command when read."""

    def __init__(self, commands: Mapping[str, click.Command] | None = None) -> None:
        self._entries: dict[str, click.Command] = dict(commands or {})

    def __getitem__(self, name: str) -> click.Command:
        command = self._entries[name]
        if isinstance(command, LazyCommand):
            command = self._entries[name] = command.load()
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, name: str) -> click.Command:
        """The entry as it stands: a placeholder stays a placeholder (nothing is imported)."""
        return self._entries[name]


def peek(commands: Mapping[str, click.Command], name: str) -> click.Command:
    """``commands[name]`` without importing it, for any group's command mapping."""
    return commands.peek(name) if isinstance(commands, CommandTable) else commands[name]
