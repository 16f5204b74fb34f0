"""The evidence bundle: the auditor site as static pages in one zip, with every PDF, the records' JSON, the audit log and a manifest.

``export_bundle(app, out)`` writes ``out`` (a zip) holding::

    index.html …            the site's pages, linked relatively, readable from the unpacked folder
    static/site.css
    pdf/documents/*.pdf     every issued revision, stamped as its state (from records/pdf/)
    pdf/records/FORM/*.pdf  every record
    data/records/*.json     every record envelope, as stored
    data/revisions/*.json   every document revision, as stored
    attachments/SHA256      every record attachment
    audit.log               the hash-chained audit log at export time
    manifest.json           sha256 of every file above, the audit log's head hash and entry count, and
                            its chain head signed with the workspace key (``qms.anchors``)

``verify_bundle(path)`` checks a bundle (the zip or its unpacked folder) without the workspace: every
file against the manifest (naming each that differs, is missing or was added), the audit log's chain
and head against the manifest, each record and revision JSON against the state the audit log holds
for it, and each PDF against the sha256 logged when it was rendered. A forger who rewrites the
manifest still has to rewrite the chained log, and cannot sign its new head without the workspace key;
the manifest's signed head is also what ``qms verify --since BUNDLE`` checks a later log against.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.anchors import head_of, load_key, signed_head_problems
from qms.audit import GENESIS, digest, entry_hash
from qms.errors import QMSError, UsageError
from qms.verify import Problem, Report

if TYPE_CHECKING:
    from jinja2 import Environment

    from qms.app import App
    from qms.site.views import View

MANIFEST = "manifest.json"
FORMAT = "qms-evidence-bundle/1"
STATIC_PAGE_SIZE = 100
#: Where the workspace's rendered PDFs live relative to its root, and where the bundle puts them.
WORKSPACE_PDF, BUNDLE_PDF = "records/pdf/", "pdf/"


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class _Writer:
    """Adds files to the zip and remembers each one's sha256 for the manifest."""

    def __init__(self, zf: zipfile.ZipFile, when: datetime) -> None:
        self.zf = zf
        self.date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
        self.files: dict[str, str] = {}

    def add(self, name: str, data: bytes) -> None:
        if name in self.files:
            raise QMSError(f"two files of the bundle would both be {name}; check document and record numbers")
        info = zipfile.ZipInfo(name, self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, data)
        self.files[name] = sha256(data)


def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader

    from qms.site.app import HERE, configure

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True)
    configure(env)
    return env


def export_bundle(app: App, out: Path, *, jobs: int | None = None,
                  progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Write the evidence bundle to ``out``; returns the manifest (without the file list's bytes)."""
    from qms import documents, records
    from qms.render.batch import default_out, render_all
    from qms.render.sources import document_file, record_file
    from qms.site.app import HERE
    from qms.site.links import static_links
    from qms.site.views import PDF_STATES, Site, edition_slug

    user = app.actor("export", "export an evidence bundle")
    actor = user["name"]
    if out.suffix.lower() != ".zip":
        raise UsageError(f"{out} should end in .zip; name the bundle e.g. evidence-2026-11.zip")
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder; give the bundle a file name such as {out / 'bundle.zip'}")
    progress("rendering PDFs that are missing or out of date")
    report = render_all(app, actor=actor, jobs=jobs)
    if report.failed:
        name, error = report.failed[0]
        raise QMSError(f"{len(report.failed)} PDF(s) could not be rendered (first: {name}: {error}); "
                       f"fix that and export again")
    pdf_root = default_out(app)
    env = _environment()
    site = Site(app)
    cfg = app.workspace.config
    exported_at = clock.stamp()
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    # The write lock holds for the whole export, so the JSON, PDFs and audit log are one consistent moment.
    with app.store.transaction():
        app.store.log_event("event", "bundle", actor=actor, action="site.export", detail={"file": out.name})
        audit_bytes = app.store.audit_bytes()
        entries = [json.loads(line) for line in audit_bytes.splitlines() if line.strip()]
        head = entries[-1]["hash"] if entries else GENESIS
        chain_head = head_of(entries[-1] if entries else None, load_key(app.store.root)).as_dict()
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                w = _Writer(zf, clock.now())

                def page(path: str, view: View, title: str) -> None:
                    html = env.get_template(view.template).render(
                        **view.context, title=title, link=static_links(path), static_mode=True, user=None,
                        org={"name": cfg.organisation, "name_en": cfg.organisation_en},
                        exported_at=exported_at, exported_by=f"{user.get('full_name', actor)} ({actor})")
                    w.add(path, html.encode("utf-8"))

                w.add("static/site.css", (HERE / "static" / "site.css").read_bytes())
                w.add("audit.log", audit_bytes)
                progress("pages: dashboard, documents, forms")
                page("index.html", site.dashboard(), "仪表板 Dashboard")
                page("documents/index.html", site.document_list(external=False), "受控文件 Procedures")
                page("external.html", site.document_list(external=True), "外来文件 External documents")
                for number, revs in site.all_documents().items():
                    view = site.document(number)
                    page(f"documents/{number}.html", view, f"{number} {view.context['rev'].get('title', '')}")
                    for i, rev in enumerate(revs):
                        slug = edition_slug(rev["edition"])
                        page(f"documents/{number}/{slug}.html", site.document(number, rev["edition"]), f"{number} {rev['edition']}")
                        if i:
                            old = revs[i - 1]["edition"]
                            page(f"documents/{number}/diff_{edition_slug(old)}_{slug}.html",
                                 site.diff(number, old, rev["edition"]), f"{number} {old} → {rev['edition']}")
                        stored = app.store.get(documents.COLLECTION, documents.rev_key(number, rev["edition"]))
                        if stored is not None:
                            w.add(f"data/revisions/{number}@{slug}.json", _json(stored))
                        if rev["state"] in PDF_STATES:
                            _copy_pdf(w, pdf_root, document_file(rev))
                page("forms/index.html", site.form_list(), "表单 Forms")
                index = site.index()
                for form in site.forms():
                    number = str(form["number"])
                    total = len(index.entries(number))
                    pages = max(1, -(-total // STATIC_PAGE_SIZE))
                    for n in range(1, pages + 1):
                        page(f"forms/{number}/page-{n}.html",
                             site.register(number, page=n, page_size=STATIC_PAGE_SIZE), f"{number} 登记表 Register")
                progress(f"records: {len(index.by_number)}")
                for number in sorted(index.by_number):
                    record = app.store.get(records.COLLECTION, number)
                    if record is None:
                        continue
                    page(f"records/{number}.html", site.record(number), number)
                    w.add(f"data/records/{number}.json", _json(record))
                    _copy_pdf(w, pdf_root, record_file(record))
                    for att in record.get("attachments") or []:
                        name = f"attachments/{att['sha256']}"
                        if name not in w.files:
                            w.add(name, records.attachment_bytes(app, record, att["sha256"]))
                progress("pages: due items, audit log, verification")
                page("due.html", site.due(), "到期事项 Due items")
                audit_pages = max(1, -(-len(entries) // 100))
                for n in range(1, audit_pages + 1):
                    page(f"audit/page-{n}.html", site.audit_page(n), "审计日志 Audit log")
                page("verify.html", site.verify(run=True), "完整性校验 Verification")
                page("search.html", site.search(""), "搜索 Search")
                manifest = {
                    "format": FORMAT, "organisation": cfg.organisation, "organisation_en": cfg.organisation_en,
                    "exported_at": exported_at, "exported_by": actor, "audit_head": head, "audit_entries": len(entries),
                    "chain_head": chain_head,
                    "files": dict(sorted(w.files.items())),
                }
                w.zf.writestr(zipfile.ZipInfo(MANIFEST, w.date_time),
                              json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"),
                              compress_type=zipfile.ZIP_DEFLATED)
            os.replace(tmp, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return {k: v for k, v in manifest.items() if k != "files"} | {"files": len(manifest["files"]), "path": str(out)}


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _copy_pdf(w: _Writer, pdf_root: Path, relpath: str) -> None:
    """Put ``records/pdf/relpath`` into the bundle as ``pdf/relpath`` (a PDF the renderer did not make is left out)."""
    source = pdf_root / relpath
    if source.is_file() and source.resolve().is_relative_to(pdf_root.resolve()):
        w.add(BUNDLE_PDF + relpath, source.read_bytes())


# -- verification ------------------------------------------------------------------------------


class _Source:
    """The files of a bundle, from a zip or an unpacked folder, by their bundle-relative names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.links: list[str] = []
        if path.is_dir():
            self.names = sorted(self._walk())
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise UsageError(f"{path} is neither a qms evidence bundle (.zip) nor an unpacked bundle folder ({exc})") from exc
            self.names = sorted(n for n in self.zip.namelist() if not n.endswith("/"))

    def _walk(self) -> Iterator[str]:
        for folder, dirs, names in os.walk(self.path, followlinks=False):
            for name in [*names, *dirs]:
                full = Path(folder, name)
                rel = full.relative_to(self.path).as_posix()
                if full.is_symlink():
                    self.links.append(rel)
                elif name in names:
                    yield rel

    def read(self, name: str) -> bytes | None:
        if self.zip is not None:
            try:
                return self.zip.read(name)
            except KeyError:
                return None
        full = self.path / name
        if full.is_symlink() or not full.is_file():
            return None
        return full.read_bytes()

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _chain(raw: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems of an audit log's chain and its parsed entries."""
    problems: list[str] = []
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif raw:
        problems.append("the last line is incomplete")
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            problems.append(f"line {number} is not valid JSON (the log was edited)")
            prev = ""
            continue
        if not isinstance(entry, dict) or entry.get("hash") != entry_hash(entry):
            problems.append(f"line {number} was edited (its hash does not match its content)")
        elif prev and entry.get("prev") != prev:
            problems.append(f"line {number}: chain broken (an entry before it was removed or reordered)")
        prev = entry.get("hash", "") if isinstance(entry, dict) else ""
        entries.append(entry if isinstance(entry, dict) else {})
    return problems, entries


def verify_bundle(path: Path) -> Report:
    """Check an evidence bundle offline; every file that differs, is missing or is extra is named."""
    source = _Source(Path(path))
    try:
        return _verify(source)
    finally:
        source.close()


def _verify(source: _Source) -> Report:
    found: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    raw = source.read(MANIFEST)
    if raw is None:
        return Report([Problem(MANIFEST, "missing: this is not a qms evidence bundle, or its manifest was removed")], 0, 0, "")
    try:
        manifest = json.loads(raw)
        listed: dict[str, str] = dict(manifest["files"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
        return Report([Problem(MANIFEST, "not a valid bundle manifest (edited or damaged)")], 0, 0, "")
    for name in source.links:
        problem(name, "is a symbolic link; a bundle holds only plain files")
    present = set(source.names)
    checked = 0
    for name, expected in listed.items():
        data = source.read(name)
        checked += 1
        if data is None:
            problem(name, "missing from the bundle")
        elif sha256(data) != expected:
            problem(name, "bytes differ from the sha256 in manifest.json (changed after export)")
    for name in sorted(present - set(listed) - {MANIFEST}):
        problem(name, "not listed in manifest.json (added after export)")
    for name in listed:
        if posixpath.isabs(name) or ".." in name.split("/"):
            problem(name, "unsafe file name in the manifest")
    audit = source.read("audit.log")
    entries: list[dict[str, Any]] = []
    head = ""
    if audit is None:
        problem("audit.log", "missing from the bundle")
    else:
        chain_problems, entries = _chain(audit)
        for message in chain_problems:
            problem("audit.log", message)
        head = entries[-1].get("hash", "") if entries else GENESIS
        if head != manifest.get("audit_head"):
            problem("audit.log", f"head hash {head[:16]} differs from the manifest's {str(manifest.get('audit_head'))[:16]}")
        if "chain_head" in manifest:
            for message in signed_head_problems(manifest["chain_head"], entries):
                problem(MANIFEST, message)
    states: dict[tuple[str, str], Any] = {}
    for entry in entries:
        states[(str(entry.get("collection")), str(entry.get("key")))] = entry.get("state")
    for name in listed:
        data = source.read(name) if name.startswith(("data/", BUNDLE_PDF)) else None
        if data is None:
            continue
        if name.startswith("data/records/") or name.startswith("data/revisions/"):
            collection = "records" if name.startswith("data/records/") else "revisions"
            key = name.rsplit("/", 1)[1].removesuffix(".json")
            if collection == "revisions":
                number, _, slug = key.partition("@")
                key = f"{number}@{slug.replace('-', '/', 1)}"
            try:
                obj = json.loads(data)
            except (json.JSONDecodeError, UnicodeDecodeError):
                problem(name, "not valid JSON")
                continue
            logged = states.get((collection, key))
            if logged is None:
                problem(name, f"the audit log has no state for {collection}/{key}")
            elif digest(obj) != logged:
                problem(name, f"content differs from the state the audit log holds for {collection}/{key}")
        elif name.startswith(BUNDLE_PDF):
            logged = states.get(("file", WORKSPACE_PDF + name[len(BUNDLE_PDF):]))
            if logged is not None and sha256(data) != logged:
                problem(name, "bytes differ from the sha256 logged in the audit log when the PDF was rendered")
    problems = [Problem(name, "; ".join(messages)) for name, messages in sorted(found.items())]
    return Report(problems=problems, entries=len(entries), objects=checked, head=head)


def audit_entries(path: Path) -> list[dict[str, Any]]:
    """The parsed entries of a bundle's audit log (zip or unpacked folder); empty when it has none."""
    source = _Source(Path(path))
    try:
        raw = source.read("audit.log")
        return _chain(raw)[1] if raw is not None else []
    finally:
        source.close()


__all__ = ["audit_entries", "export_bundle", "verify_bundle"]
