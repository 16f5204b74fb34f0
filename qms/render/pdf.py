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


def safe_fetcher(assets: Path = ASSETS) -> URLFetcher:
    """A WeasyPrint URL fetcher that allows only ``data:`` URLs and files under ``assets``."""
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
