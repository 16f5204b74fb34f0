"""What the command line prints and how it reads its arguments, without loading the CLI itself.

``qms.launch`` hands ``qms render`` to a running render service before the CLI (click groups,
plugins, pluggy) is imported; what it shares with the CLI lives here so both say things alike.
"""

from __future__ import annotations

import json
from typing import Any

import click


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Chinese kept readable)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def hoist_actor(args: list[str]) -> list[str]:
    """``--as NAME`` moved to the front wherever it was typed.

    ``--as`` belongs to the root group, but people (and the help examples) write it after the
    command, as in ``qms record new QR-8.2-01 --data c.yaml --as li``; both orders mean the same.
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--as" and i + 1 < len(args):
            front += args[i:i + 2]
            i += 2
            continue
        if arg.startswith("--as="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


__all__ = ["echo_json", "hoist_actor"]
