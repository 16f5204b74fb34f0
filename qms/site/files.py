"""Files the site serves, found by identifier only: a revision's or a record's PDF, a record's attachment.

Nothing here takes a path from a request. A document number and edition, or a record number, is
looked up through the core services; the PDF's place comes from the renderer's own naming
(``qms.render.sources.document_file`` / ``record_file``) under ``records/pdf/``; the file is made
on demand through the core renderer (``qms.render.batch.render_all``, which skips a file whose
input and bytes are unchanged and logs each new file's sha256 in the audit log). The resolved
path must lie inside the workspace's ``records/pdf/`` after symlinks are followed, or it is a 404.
"""

from __future__ import annotations

import threading
from pathlib import Path

from qms.app import App
from qms.errors import NotFound, QMSError
from qms.site.views import PDF_STATES, check_number

_RENDER_LOCK = threading.Lock()


def contained(path: Path, root: Path) -> Path:
    """``path`` resolved (symlinks followed) if it is a file inside ``root``; ``NotFound`` otherwise."""
    real = path.resolve()
    base = root.resolve()
    if not real.is_relative_to(base) or not real.is_file():
        raise NotFound("no such file")
    return real


def _pdf_root(app: App) -> Path:
    from qms.render.batch import default_out

    out = default_out(app)
    # records/pdf itself must not lead out of the workspace (a symlink planted there).
    if out.exists() and not out.resolve().is_relative_to(app.workspace.root.resolve()):
        raise NotFound("no such file")
    return out


def _ensure(app: App, actor: str, relpath: str, page_of: object, kind: str) -> Path:
    """The PDF at ``records/pdf/relpath``, rendered first if missing or out of date."""
    from qms.render.batch import Job, render_all

    out = _pdf_root(app)
    target = out / relpath
    # Refuse before writing anything if a folder on the way was replaced by a link out of records/pdf.
    if not target.parent.resolve().is_relative_to(out.resolve()):
        raise NotFound("no such file")
    with _RENDER_LOCK, app.store.transaction():
        page = page_of()  # type: ignore[operator]
        report = render_all(app, actor=actor, out=out, jobs=1, collected=[Job(relpath, page, kind)])
    if report.failed:
        raise QMSError(f"the PDF of {relpath} could not be made: {report.failed[0][1]}")
    return contained(target, out)


def revision_pdf(app: App, number: str, edition: str, actor: str) -> Path:
    """The stamped PDF of one revision (issued, effective, superseded or obsolete)."""
    from qms import documents
    from qms.render.sources import document_file, document_page

    check_number(number, "document")
    revs = [r for r in documents.revisions(app, number) if r["edition"] == edition]
    if not revs or revs[0]["state"] not in PDF_STATES:
        raise NotFound(f"no PDF of {number} {edition}")
    rev = revs[0]
    return _ensure(app, actor, document_file(rev), lambda: document_page(app, number, edition), "document")


def record_pdf(app: App, number: str, actor: str) -> Path:
    """The PDF of one record."""
    from qms.render.sources import get_record, record_file, record_page_of

    check_number(number, "record")
    record = get_record(app, number)
    return _ensure(app, actor, record_file(record), lambda: record_page_of(app, record), "record")


def attachment(app: App, number: str, sha: str) -> tuple[bytes, str, str]:
    """The bytes, name and content type of one of a record's attachments (checked against its sha256)."""
    from qms import records

    check_number(number, "record")
    record = records.get(app, number)
    item = next((a for a in record.get("attachments", []) if a.get("sha256") == sha), None)
    if item is None:
        raise NotFound(f"{number} has no attachment {sha[:12]}")
    data = records.attachment_bytes(app, record, sha)
    return data, str(item.get("name") or sha), str(item.get("content_type") or "application/octet-stream")
