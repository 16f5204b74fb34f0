"""Tables on the command line: aligned by display width, so Chinese columns line up.

Every list a command prints goes through ``echo_table``. Rich measures East Asian wide
characters as two cells; on a terminal the header is bold and coloured, and piped into a file or
another program the output is plain text with no escape codes and no wrapping.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def echo_table(head: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "") -> None:
    """Print ``rows`` under ``head``; ``empty`` (when given) is printed instead of an empty table."""
    # rich is imported here, not at the top: every command module imports this one, and
    # `qms --help` should not pay for a table it does not print.
    from rich import box
    from rich.console import Console
    from rich.table import Table

    rows = [list(r) for r in rows]
    out = sys.stdout
    tty = out.isatty()
    if not rows:
        if empty:
            out.write(empty + "\n")
        return
    # Piped output must not be cut to 80 columns: give rich room and let each column take its width.
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=tty, no_color=not tty, highlight=False,
                      width=Console(file=out).width if tty else 100_000, emoji=False, markup=False)
    table = Table(box=box.SIMPLE_HEAD if tty else None, show_edge=False, pad_edge=False,
                  header_style="bold cyan" if tty else "", show_header=True, expand=False)
    for name in head:
        table.add_column(name, overflow="fold" if tty else "ignore", no_wrap=not tty)
    for row in rows:
        table.add_row(*(_text(c) for c in row))
    console.print(table)
    out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


__all__ = ["echo_table"]
