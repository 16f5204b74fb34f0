"""Tables on the command line: aligned by display width, so Chinese columns line up.

Every list a command prints goes through ``echo_table``. Rich measures East Asian wide
characters as two cells; on a terminal the header is bold and coloured, and piped into a file or
another program the output is plain text with no escape codes and no wrapping.
"""

from __future__ import annotations

import io
import re
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


def _column_texts(column: Sequence[Any]) -> list[str]:
    """The printed text of each cell of one column."""
    # A listing column is nearly always non-empty strings: checked at C speed, not cell by cell.
    if set(map(type, column)) == {str} and "" not in column:
        return list(column)
    return [_text(c) for c in column]


def _plain(head: Sequence[str], columns: list[list[str]]) -> str:
    """The table as rich prints it piped (columns two cells apart, no box, lines right-stripped).

    Rich lays out every cell as a renderable: about 13 s for a 45,000-row register. Plain cells
    only need their display width, so a long listing is written directly, column by column.
    """
    from rich.cells import cell_len

    laid: list[list[str]] = []
    last = len(columns) - 1
    for i, (name, cells) in enumerate(zip(head, columns)):
        # Column by column: most hold plain ASCII (numbers, times), whose width is their length.
        joined = "".join(cells)
        if joined.isascii():
            sizes = list(map(len, cells))
        else:  # wide characters: measure each distinct value once (departments, states repeat)
            known = {c: cell_len(c) for c in set(cells)}
            sizes = [known[c] for c in cells]
        named = cell_len(name)
        width = max(named, *sizes)
        if i == last:  # the last column is not padded: rich's padding would be stripped again
            laid.append([name, *cells])
        else:
            laid.append([name + " " * (width - named), *(c + " " * (width - n) for c, n in zip(cells, sizes))])
    lines = "\n".join(map("  ".join, zip(*laid))) + "\n"
    # Only the last column can end a line in blanks now (an empty cell, or one ending in spaces):
    # then each line is stripped as rich's output is.
    if "" in columns[last] or re.search(r"\s\n", "\n".join(columns[last]) + "\n"):
        lines = "".join(line.rstrip() + "\n" for line in map("  ".join, zip(*laid)))
    return lines


def echo_table(head: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "") -> None:
    """Print ``rows`` under ``head``; ``empty`` (when given) is printed instead of an empty table."""
    rows = rows if isinstance(rows, list) else list(rows)
    width = len(head)
    if set(map(len, rows)) - {width}:  # a short row's missing cells print blank, as rich prints them
        columns = [list(c) for c in zip(*([*map(_text, row[:width]), *[""] * (width - len(row))] for row in rows))]
    else:
        # Column by column: a 45,000-row listing would otherwise look at 270,000 cells one call each.
        columns = [_column_texts(c) for c in zip(*rows)]
    out = sys.stdout
    tty = out.isatty()
    if not columns:
        if empty:
            out.write(empty + "\n")
        return
    if (not tty or len(columns[0]) > _RICH_ROWS) and not any("\n" in "".join(c) for c in columns):
        out.write(_plain([str(h) for h in head], columns))
        return
    texts = [list(row) for row in zip(*columns)]
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
