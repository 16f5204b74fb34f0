"""HTML to archival PDF with WeasyPrint: PDF/A-3b, attached files with fixed dates, a fetcher that fetches nothing.

This is the only module that imports WeasyPrint, and it does so inside functions: the import
alone costs over a second, which every ``qms`` command that renders nothing should not pay.

Safety: everything the page needs (CSS) is inline. The URL fetcher serves ``data:`` URLs and
files under the package's own ``qms/templates/assets/``; every other URL (``file:///etc/passwd``,
``http://…``, a path outside the assets) is refused without being opened, and WeasyPrint then
leaves the element out. Refused URLs are kept on the fetcher so tests can prove nothing was fetched.
"""

from __future__ import annotations

import mimetypes
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from qms.render.page import ASSETS, Page

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

    from qms.anchors import ChainHead

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class PdfResult:
    """The bytes of a rendered PDF and its page count."""

    data: bytes
    pages: int


def _ldconfig_lookup() -> Callable[[str], str | None] | None:
    """A ``find_library`` that looks names up in one read of the loader cache (``ldconfig -p``); None off glibc."""
    if not sys.platform.startswith("linux") or not os.path.exists("/sbin/ldconfig"):
        return None
    try:
        listing = subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout
    except OSError:
        return None
    abi = "libc6,x86-64" if os.uname().machine == "x86_64" and sys.maxsize > 2**32 else "libc6"

    def find(name: str) -> str | None:
        # The same pattern as ctypes.util's own ldconfig lookup, on the listing read once.
        found = re.search(os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}"), listing)
        return os.fsdecode(found.group(1)) if found else None

    return find


def load_weasyprint() -> None:
    """Import WeasyPrint, its libraries found through one read of the loader cache.

    WeasyPrint tries several names for each of its seven libraries (Windows, macOS and Linux
    spellings) and cffi hands every name that does not open to ``ctypes.util.find_library``,
    which on Linux runs ``ldconfig``, then ``gcc`` and ``ld`` for each miss: 22 lookups, about
    0.14 s of every process that renders. While WeasyPrint is imported, a name is looked up in
    one listing of the loader cache instead; a name not in it is not searched further, and the
    plain soname WeasyPrint also lists (``libpango-1.0.so.0``, …) is then opened by the dynamic
    loader itself, so the same libraries load.
    """
    if "weasyprint" in sys.modules:
        return
    import ctypes.util

    find = _ldconfig_lookup()
    if find is None:
        import weasyprint  # noqa: F401
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = find  # type: ignore[assignment]  # the same signature, without its name
    try:
        import weasyprint  # noqa: F401,F811
    finally:
        ctypes.util.find_library = original


def safe_fetcher(assets: Path = ASSETS) -> URLFetcher:
    """A WeasyPrint URL fetcher that allows only ``data:`` URLs and files under ``assets``."""
    load_weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    root = assets.resolve()

    class SafeFetcher(URLFetcher):
        """Serves ``data:`` and the package's assets; refuses and remembers everything else."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                self.served.append(url[:40])
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_relative_to(root) and path.is_file():
                    self.served.append(url)
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            # Not opened at all: no network connection, no file read.
            self.refused.append(url)
            raise URLFetchingError(f"qms renders nothing from outside its own assets: {url}")

    return SafeFetcher()


def render_pdf(page: Page, fetcher: URLFetcher | None = None) -> PdfResult:
    """Lay out ``page`` and write it as PDF/A-3b; the same page at the same chain head gives the same bytes."""
    load_weasyprint()
    from weasyprint import HTML, Attachment

    fetcher = fetcher if fetcher is not None else safe_fetcher()
    html = page.html
    if page.head is not None:
        from qms.anchors import footer_css

        html = html.replace("</head>", footer_css(page.head) + "\n</head>", 1)
    document = HTML(string=html, base_url=ASSETS.resolve().as_uri() + "/", url_fetcher=fetcher).render()
    attachments = []
    for item in page.attachments:
        # Fixed dates: WeasyPrint stamps "now" otherwise and the PDF stops being reproducible.
        at = datetime.fromisoformat(item.at)
        attachments.append(
            Attachment(string=item.data, name=item.name, description=item.description, created=at, modified=at,
                       relationship="Source", url_fetcher=fetcher)
        )
    if page.head is not None:
        _add_xmp(document.metadata, page.head)
    data = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)
    assert data is not None
    return PdfResult(data=data, pages=len(document.pages))


def _add_xmp(metadata: Any, head: ChainHead) -> None:
    """Put the chain head into the PDF's one XMP ``rdf:RDF`` (WeasyPrint builds it; we add a description)."""
    from qms.anchors import xmp_description

    build = metadata.generate_rdf_metadata
    extra = xmp_description(head)

    def with_head(*args: Any, **kwargs: Any) -> bytes:
        rdf: bytes = build(*args, **kwargs)
        end = rdf.rfind(b"</rdf:RDF>")
        return rdf[:end] + extra + rdf[end:] if end >= 0 else rdf

    metadata.generate_rdf_metadata = with_head
