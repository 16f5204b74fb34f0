"""``qms render``: every issued document and every record as PDF, on every core, re-rendering only what changed.

The parent process builds each page's HTML (cheap: templates and plugin layouts) and its digest;
a manifest (``.manifest.json`` in the output folder) maps each output file to the digest of the
input it was made from, the sha256 of the bytes written and, once its bytes were found right
again, its stat signature then (``qms.verify_checkpoint.stat_of``). A file whose digest and bytes
still match is skipped, so a rebuild after one change costs one PDF; a file whose stat signature
has not moved is not even read again. Only the WeasyPrint work (layout
and PDF writing, ~0.5 s a page) goes to the worker processes, which receive finished pages and
return bytes; the parent writes every file atomically and logs its sha256 with
``Store.register_file`` so ``qms verify`` checks it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.errors import UsageError
from qms.render.output import write_registered
from qms.render.page import Page
from qms.store import atomic_write, sha256_file
from qms.verify_checkpoint import settled, stat_of

if TYPE_CHECKING:
    from qms.app import App

MANIFEST = ".manifest.json"
#: Revision states whose PDFs the archive keeps (each with its own stamp); drafts are not archived.
ARCHIVED_STATES = ("issued", "effective", "superseded", "obsolete")


@dataclass(frozen=True)
class Job:
    """One PDF to make: where it goes (relative to the output folder) and the page."""

    relpath: str
    page: Page
    kind: str  # "document" | "record"

    @property
    def digest(self) -> str:
        """The digest of the input (cached on the page object's HTML)."""
        return self.page.digest()


@dataclass
class Report:
    """What a render run did."""

    out: Path
    rendered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"out": str(self.out), "rendered": self.rendered, "skipped": len(self.skipped),
                "repaired": self.repaired, "failed": [{"file": f, "error": e} for f, e in self.failed],
                "pages": self.pages}


def default_out(app: App) -> Path:
    """``records/pdf/`` of the workspace."""
    return app.workspace.records / "pdf"


def collect(app: App) -> Iterator[Job]:
    """A job for every issued revision of every document and for every stored record."""
    from qms.documents import all_documents
    from qms.render.sources import (
        RECORDS,
        document_file,
        document_page,
        record_file,
        record_page_of,
    )

    for number, revs in all_documents(app).items():
        for rev in revs:
            if rev["state"] in ARCHIVED_STATES:
                yield Job(document_file(rev), document_page(app, number, rev["edition"]), "document")
    for number in sorted(app.store.keys(RECORDS)):
        record = app.store.get(RECORDS, number)
        if record is not None:
            yield Job(record_file(record), record_page_of(app, record), "record")


def load_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The manifest of ``out``: output relpath → ``{"input": digest, "sha256": bytes[, "stat": signature]}``; empty when absent or broken."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_manifest(out: Path, manifest: dict[str, dict[str, Any]]) -> None:
    atomic_write(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))


def _worker_start() -> None:
    # Pay WeasyPrint's import once per worker, not once per page.
    from qms.render.pdf import load_weasyprint

    load_weasyprint()


def _render_bytes(page: Page) -> tuple[bytes, int]:
    from qms.render.pdf import render_pdf

    result = render_pdf(page)
    return result.data, result.pages


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def render_all(
    app: App,
    *,
    actor: str,
    out: Path | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int, str], None] = lambda done, total, name: None,
    collected: list[Job] | None = None,
) -> Report:
    """Render what changed (everything with ``force``) into ``out``; log each new file's sha256."""
    out = (out or default_out(app)).resolve()
    root = app.workspace.root.resolve()
    register = out.is_relative_to(root)
    if register:
        clock.check_writable()  # nothing is rendered into the workspace at a pretended time
    out.mkdir(parents=True, exist_ok=True)
    all_jobs = collected if collected is not None else list(collect(app))
    names = [j.relpath for j in all_jobs]
    if len(set(names)) != len(names):
        raise UsageError("two documents or records map to the same PDF file name; check their numbers")
    manifest = load_manifest(out)
    report = Report(out=out)
    todo: list[tuple[Job, str]] = []
    started = time.time_ns()
    for job in all_jobs:
        digest = job.digest
        entry = manifest.get(job.relpath)
        target = out / job.relpath
        stat = stat_of(target) if not force and entry and entry.get("input") == digest else None
        if entry and stat is not None:
            # A file whose stat signature is the one it had when its bytes were last found right is
            # not read again: an edit moves its ctime even when the mtime is put back.
            if stat == entry.get("stat") or sha256_file(target) == entry.get("sha256"):
                entry["stat"] = settled(stat, started)
                report.skipped.append(job.relpath)
                continue
            report.repaired.append(job.relpath)  # bytes changed on disk since they were made: make them again
        todo.append((job, digest))
    if todo:
        from dataclasses import replace

        from qms.anchors import current_head

        # One head for the whole run, taken before this run logs anything: the PDFs of one run agree.
        head = current_head(app.store)
        todo = [(Job(job.relpath, replace(job.page, head=head), job.kind), digest) for job, digest in todo]
    total = len(todo)
    progress(0, total, "")
    workers = max(1, min(jobs or default_jobs(), total))

    def finish(job: Job, digest: str, data: bytes, pages: int) -> None:
        import hashlib

        target = out / job.relpath
        if register:
            write_registered(app.store, target, data, target.relative_to(root).as_posix(), actor=actor,
                             action="render.pdf", detail={"kind": job.kind, "input": digest, "pages": pages})
        else:
            atomic_write(target, data)
        manifest[job.relpath] = {"input": digest, "sha256": hashlib.sha256(data).hexdigest()}
        report.rendered.append(job.relpath)
        report.pages += pages

    done = 0
    try:
        if workers == 1:
            for job, digest in todo:
                try:
                    data, pages = _render_bytes(job.page)
                except Exception as exc:  # one broken page must not stop the archive run
                    report.failed.append((job.relpath, f"{type(exc).__name__}: {exc}"))
                else:
                    finish(job, digest, data, pages)
                done += 1
                progress(done, total, job.relpath)
        else:
            # spawn, not fork: workers start clean whatever threads or locks the parent holds.
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_start) as pool:
                pending: dict[Future[tuple[bytes, int]], tuple[Job, str]] = {}
                queue = iter(todo)
                # Keep a few pages per worker in flight so no worker waits and memory stays bounded.
                for job, digest in _take(queue, workers * 3):
                    pending[pool.submit(_render_bytes, job.page)] = (job, digest)
                while pending:
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        job, digest = pending.pop(future)
                        try:
                            data, pages = future.result()
                        except Exception as exc:
                            report.failed.append((job.relpath, f"{type(exc).__name__}: {exc}"))
                        else:
                            finish(job, digest, data, pages)
                        done += 1
                        progress(done, total, job.relpath)
                        for nxt, nd in _take(queue, 1):
                            pending[pool.submit(_render_bytes, nxt.page)] = (nxt, nd)
    finally:
        # Whatever got written is in the manifest, so an interrupted run resumes where it stopped.
        _save_manifest(out, manifest)
    return report


def _take(it: Iterator[tuple[Job, str]], n: int) -> list[tuple[Job, str]]:
    items = []
    for item in it:
        items.append(item)
        if len(items) >= n:
            break
    return items


__all__ = ["ARCHIVED_STATES", "Job", "Report", "collect", "default_out", "load_manifest", "render_all"]
