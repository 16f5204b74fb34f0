"""Writing a rendered PDF where the user asked for it, and logging it when it lands in the workspace.

Every ``… pdf -o FILE`` command (procedures, records, blank forms, reports, cards, dossiers) writes
through ``write_pdf``: the file is written atomically and its sha256 returned. A file written into the
workspace's own ``records/`` (its archive) is logged with ``Store.register_file``, so ``qms verify``
names it if its bytes ever change; a print-out written anywhere else is the user's to keep or delete.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qms import clock
from qms.errors import UsageError
from qms.store import atomic_write

if TYPE_CHECKING:
    from qms.app import App
    from qms.render.page import Page


@dataclass(frozen=True)
class Written:
    """A PDF that was written: where, how many pages, its sha256 and its title."""

    path: Path
    pages: int
    sha256: str
    title: str
    logged: bool

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {"file": str(self.path), "pages": self.pages, "sha256": self.sha256, "title": self.title,
                "logged": self.logged}

    def line(self) -> str:
        """The one line a command prints."""
        return f"{self.path}: {self.title}, {self.pages} page(s), sha256 {self.sha256}"


def target_file(output: Path | None, default_name: str) -> Path:
    """``output``, or ``./DEFAULT_NAME.pdf``; a folder is refused with the file name to use instead."""
    target = output or Path.cwd() / f"{default_name}.pdf"
    if target.exists() and target.is_dir():
        raise UsageError(f"{target} is a folder; give -o a file name such as {target / (default_name + '.pdf')}")
    return target


def write_pdf(app: App, page: Page | None, target: Path, *, action: str, data: bytes | None = None,
              pages: int = 0, title: str = "") -> Written:
    """Render ``page`` (or take ready ``data``) to ``target``; log it when it lies in the workspace's records/."""
    logged = target.resolve().is_relative_to(app.workspace.records.resolve())
    if logged:
        clock.check_writable()  # refused before the file is written, not after
    if page is not None:
        from qms.anchors import current_head
        from qms.render.pdf import render_pdf

        if page.head is None:
            # Every PDF carries the chain head it was made at, so it can later be checked against the log.
            page = replace(page, head=current_head(app.store))
        result = render_pdf(page)
        data, pages, title = result.data, result.pages, page.title
    if data is None:
        raise ValueError("write_pdf needs a page or the rendered bytes")
    atomic_write(target, data)
    sha = hashlib.sha256(data).hexdigest()
    root = app.workspace.root.resolve()
    where = target.resolve()
    if logged:
        app.store.register_file(where.relative_to(root).as_posix(), sha, actor=app.actor_name or "system",
                                action=action, detail={"title": title})
    return Written(path=target, pages=pages, sha256=sha, title=title, logged=logged)
