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
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.errors import UsageError
from qms.store import Store, atomic_write

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
    sha = hashlib.sha256(data).hexdigest()
    if logged:
        rel = target.resolve().relative_to(app.workspace.root.resolve()).as_posix()
        write_registered(app.store, target, data, rel, actor=app.actor_name or "system", action=action,
                         detail={"title": title})
    else:
        atomic_write(target, data)
    return Written(path=target, pages=pages, sha256=sha, title=title, logged=logged)


def write_registered(store: Store, target: Path, data: bytes, relpath: str, *, actor: str, action: str,
                     detail: dict[str, Any]) -> None:
    """Write a PDF into the workspace and log its sha256; when the log refuses it, the file is put back as it was.

    So a write the store refuses (a lock timeout, a lost database connection) leaves neither a new
    file nor changed bytes that ``qms verify`` would then report as edited.
    """
    try:
        before: bytes | None = target.read_bytes()
    except FileNotFoundError:
        before = None
    atomic_write(target, data)
    try:
        store.register_file(relpath, hashlib.sha256(data).hexdigest(), actor=actor, action=action, detail=detail)
    except BaseException:
        if before is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, before)
        raise
