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


#: Above this many rows a terminal gets the plain layout too: rich's layout would take seconds.
_RICH_ROWS = 2_000


def _text(value: Any) -> str:
    if type(value) is str and value:
        return value  # the common case first: a listing calls this for every cell
    if value is None or value == "":
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _plain(head: Sequence[str], rows: list[list[str]]) -> str:
    """The table as rich prints it piped (columns two cells apart, no box, lines right-stripped).

    Rich lays out every cell as a renderable: about 13 s for a 45,000-row register. Plain cells
    only need their display width, so a long listing is written directly.
    """
    from rich.cells import cell_len

    columns: list[list[str]] = []
    for i, name in enumerate(head):
        cells = [row[i] for row in rows]
        # Column by column: most hold plain ASCII (numbers, times), whose width is their length.
        if "".join(cells).isascii():
            sizes = list(map(len, cells))
        else:  # wide characters: measure each distinct value once (departments, states repeat)
            known = {c: cell_len(c) for c in set(cells)}
            sizes = [known[c] for c in cells]
        named = cell_len(name)
        width = max(named, *sizes)
        columns.append([name + " " * (width - named), *(c + " " * (width - n) for c, n in zip(cells, sizes))])
    return "".join(line.rstrip() + "\n" for line in map("  ".join, zip(*columns)))


def echo_table(head: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "") -> None:
    """Print ``rows`` under ``head``; ``empty`` (when given) is printed instead of an empty table."""
    texts = [[_text(c) for c in row] for row in rows]
    out = sys.stdout
    tty = out.isatty()
    if not texts:
        if empty:
            out.write(empty + "\n")
        return
    if (not tty or len(texts) > _RICH_ROWS) and not any("\n" in "".join(row) for row in texts):
        out.write(_plain([str(h) for h in head], texts))
        return
    # rich is imported here, not at the top: every command module imports this one, and
    # `qms --help` should not pay for a table it does not print.
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # Piped output must not be cut to 80 columns: give rich room and let each column take its width.
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=tty, no_color=not tty, highlight=False,
                      width=Console(file=out).width if tty else 100_000, emoji=False, markup=False)
    table = Table(box=box.SIMPLE_HEAD if tty else None, show_edge=False, pad_edge=False,
                  header_style="bold cyan" if tty else "", show_header=True, expand=False)
    for name in head:
        table.add_column(name, overflow="fold" if tty else "ignore", no_wrap=not tty)
    for row in texts:
        table.add_row(*row)
    console.print(table)
    out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


__all__ = ["echo_table"]
