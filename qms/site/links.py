"""Links between pages: ``url_for`` in the server, relative file paths in the evidence bundle.

Templates call ``link(endpoint, **params)`` and never build a URL themselves, so the same template
works served and unpacked from a zip. ``STATIC_PATHS`` is the bundle's file layout; ``QUERY`` names
the parameters each server endpoint takes from the query string (anything else is dropped).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from qms.site.views import edition_slug

#: The query-string parameters each server endpoint accepts.
QUERY: dict[str, frozenset[str]] = {
    "register": frozenset({"state", "dept", "since", "until", "overdue", "page"}),
    "audit": frozenset({"page"}),
    "search": frozenset({"q"}),
    "verify": frozenset({"run"}),
    "login": frozenset({"next"}),
}
#: Path parameters of each server endpoint.
PATH: dict[str, frozenset[str]] = {
    "document": frozenset({"number"}),
    "revision": frozenset({"number", "ed"}),
    "revision_pdf": frozenset({"number", "ed"}),
    "diff": frozenset({"number", "old", "new"}),
    "register": frozenset({"form"}),
    "record": frozenset({"number"}),
    "record_pdf": frozenset({"number"}),
    "record_json": frozenset({"number"}),
    "attachment": frozenset({"number", "sha"}),
    "static": frozenset({"filename"}),
}


#: Endpoints linked once per row of a register or search page: built from a cached pattern, not ``url_for``.
FAST = ("record", "record_pdf", "document", "revision", "revision_pdf")


def server_links(url_for: Callable[..., str]) -> Callable[..., str]:
    """``link()`` for the server: only the parameters the endpoint takes; empty filters left out.

    A register page has a hundred links; ``url_for`` costs about 0.15 ms each, so the per-row
    endpoints are formatted from a pattern made once by ``url_for`` itself, with each value quoted.
    """
    patterns: dict[str, str] = {}

    def link(endpoint: str, **params: Any) -> str:
        if endpoint in FAST:
            names = sorted(PATH[endpoint])
            pattern = patterns.get(endpoint)
            if pattern is None:
                pattern = url_for(endpoint, **{n: f"QMSSLOT{n}QMSSLOT" for n in names})
                patterns[endpoint] = pattern
            out = pattern
            for n in names:
                out = out.replace(f"QMSSLOT{n}QMSSLOT", quote(str(params[n]), safe=""))
            return out
        allowed = PATH.get(endpoint, frozenset()) | QUERY.get(endpoint, frozenset())
        kept = {k: v for k, v in params.items() if k in allowed and v not in (None, "", False)}
        if kept.get("page") == 1:
            kept.pop("page")
        return url_for(endpoint, **kept)

    return link


def static_path(endpoint: str, **p: Any) -> str:
    """Where a page or file lives in the bundle (relative to its root)."""
    from qms.render.sources import document_file, file_name

    if endpoint == "dashboard":
        return "index.html"
    if endpoint == "documents":
        return "documents/index.html"
    if endpoint == "external":
        return "external.html"
    if endpoint == "document":
        return f"documents/{p['number']}.html"
    if endpoint == "revision":
        return f"documents/{p['number']}/{p['ed']}.html"
    if endpoint == "revision_pdf":
        return "pdf/" + document_file({"number": p["number"], "edition": str(p["ed"]).replace("-", "/", 1)})
    if endpoint == "diff":
        return f"documents/{p['number']}/diff_{p['old']}_{p['new']}.html"
    if endpoint == "forms":
        return "forms/index.html"
    if endpoint == "register":
        return f"forms/{p['form']}/page-{int(p.get('page') or 1)}.html"
    if endpoint == "record":
        return f"records/{p['number']}.html"
    if endpoint == "record_pdf":
        return f"pdf/records/{file_name(str(p['form']))}/{file_name(str(p['number']))}.pdf"
    if endpoint == "record_json":
        return f"data/records/{p['number']}.json"
    if endpoint == "attachment":
        return f"attachments/{p['sha']}"
    if endpoint == "due":
        return "due.html"
    if endpoint == "audit":
        return f"audit/page-{int(p.get('page') or 1)}.html"
    if endpoint == "audit_raw":
        return "audit.log"
    if endpoint == "verify":
        return "verify.html"
    if endpoint == "search":
        return "search.html"
    if endpoint == "static":
        return f"static/{p['filename']}"
    if endpoint == "manifest":
        return "manifest.json"
    return "index.html"  # login/logout have no static page


def static_links(current: str) -> Callable[..., str]:
    """``link()`` for a bundle page at ``current``: a path relative to that page's folder."""
    here = posixpath.dirname(current) or "."

    def link(endpoint: str, **params: Any) -> str:
        return posixpath.relpath(static_path(endpoint, **params), here)

    return link


__all__ = ["QUERY", "edition_slug", "server_links", "static_links", "static_path"]
