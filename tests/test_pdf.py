"""Real PDFs: text, embedded CJK fonts, PDF/A metadata, record.json, determinism and fetch safety.

Each render costs about half a second, so the PDFs are made once per module and inspected by
several tests.
"""

from __future__ import annotations

import io
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pypdf import PdfReader

from qms.recordlayout import generic_record_html
from qms.render import stamp as stamps
from qms.render.page import Page, procedure_page, record_page
from qms.render.pdf import render_pdf, safe_fetcher
from tests.test_render import FORMS, ORG, revision

FORM: dict[str, Any] = {
    "number": "QR-8.2-01", "title": "客户投诉处理报告", "title_en": "Customer Complaint Report", "edition": "A/0",
    "procedure": "QP-8.2-01", "prefix": "KS",
    "schema": {"type": "object", "properties": {
        "received_at": {"type": "string", "format": "date-time", "title": "接收时间", "x-en": "Received at"},
        "customer": {"type": "string", "title": "客户名称", "x-en": "Customer"},
        "description": {"type": "string", "title": "投诉内容", "x-en": "Description"}}},
    "sections": [{"title": "基本信息 Basic information", "fields": ["received_at", "customer", "description"]}],
}


def record(**data: Any) -> dict[str, Any]:
    return {
        "number": "KS-2026-0001", "form": "QR-8.2-01", "form_edition": "A/0", "procedure": "QP-8.2-01",
        "procedure_edition": "A/1", "state": "closed", "closed": True,
        "data": {"received_at": "2026-11-02T09:00:00", "customer": "华东某物业公司", "description": "空调漏水", **data},
        "created_at": "2026-11-02T09:10:00", "created_by": "zhao", "dept": "业务部",
        "history": [{"at": "2026-11-02T09:10:00", "actor": "zhao", "action": "file", "from": None, "to": "open", "note": ""},
                    {"at": "2026-11-03T15:00:00", "actor": "li", "action": "close", "from": "open", "to": "closed",
                     "note": "客户满意"}],
        "signatures": [{"meaning": "批准 approved reply", "name": "li", "full_name": "李品质", "role": "quality_officer",
                        "at": "2026-11-03T15:00:00", "sha256": "b" * 64}],
        "attachments": [{"sha256": "e" * 64, "name": "现场照片.jpg", "size": 1234, "content_type": "image/jpeg",
                         "at": "2026-11-02T10:00:00", "by": "zhao"}],
        "amends": None, "amended_by": [],
    }


def make_record_page(rec: dict[str, Any]) -> Page:
    return record_page(rec, FORM, organisation=ORG, body_html=generic_record_html(rec, FORM),
                       state_labels={"open": "处理中 Open", "closed": "已关闭 Closed"})


LONG_BODY = "\n\n".join(f"## {i} 第{i}章\n\n" + "客户投诉应在规定时限内处理，处理结果应记录并保存。" * 12 for i in range(1, 9))


@pytest.fixture(scope="module")
def procedure_pdf() -> PdfReader:
    page = procedure_page(revision(content=LONG_BODY + "\n\n见 [[QR-8.2-01]]。"), organisation=ORG,
                          stamp=stamps.controlled(3, "品质部"), resolve_form=FORMS.get)
    return PdfReader(io.BytesIO(render_pdf(page).data))


@pytest.fixture(scope="module")
def record_bytes() -> bytes:
    return render_pdf(make_record_page(record())).data


def fonts_of(reader: PdfReader, index: int = 0) -> set[str]:
    return {str(f.get_object()["/BaseFont"]) for f in reader.pages[index]["/Resources"]["/Font"].values()}


def test_a_chinese_font_is_installed() -> None:
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert out.strip(), "no Chinese font installed: sudo apt-get install fonts-noto-cjk (see README setup)"


def test_procedure_control_block_stamp_and_page_numbers(procedure_pdf: PdfReader) -> None:
    pages = [p.extract_text() for p in procedure_pdf.pages]
    n = len(pages)
    assert n >= 2
    first = pages[0]
    for text in ("示范质量管理有限公司", "文件编号", "QP-8.2-01", "客户投诉处理程序", "Customer Complaint Handling",
                 "版号/状态", "A/1", "品质部", "编制", "审核", "批准", "李品质 (li)", "王总经理 (wang)", "2026-10-22",
                 "2026-11-01", "修订记录"):
        assert text in first, text
    for i, text in enumerate(pages, start=1):
        assert f"第 {i} 页 / 共 {n} 页" in text
        assert "受控 CONTROLLED" in text and "副本号 Copy No. 003" in text and "持有 Holder 品质部" in text
        assert "QP-8.2-01" in text and "A/1" in text
    assert "《客户投诉处理报告》（QR-8.2-01）" in pages[-1]


def test_procedure_embeds_cjk_fonts_on_every_page(procedure_pdf: PdfReader) -> None:
    # Extracted text proves nothing about glyphs: tofu boxes extract fine. The font names do.
    for i in range(len(procedure_pdf.pages)):
        assert any("CJK-SC" in f for f in fonts_of(procedure_pdf, i)), fonts_of(procedure_pdf, i)


def test_procedure_metadata_and_pdfa(procedure_pdf: PdfReader) -> None:
    meta = procedure_pdf.metadata
    assert meta is not None
    assert meta.title == "QP-8.2-01 客户投诉处理程序"
    assert meta.author == "示范质量管理有限公司"
    assert meta.subject == "QP-8.2-01 A/1"
    assert "QP-8.2-01" in str(meta["/Keywords"]) and "受控" in str(meta["/Keywords"])
    xmp = procedure_pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp


def test_record_pdf_text_fonts_and_embedded_json(record_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(record_bytes))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "e" * 64 in text.replace("\n", "")  # the attachment's full sha256 (wrapped in its cell)
    for expected in ("KS-2026-0001", "QR-8.2-01", "A/0", "客户投诉处理报告", "接收时间 Received at", "2026-11-02 09:00",
                     "李品质", "(li)", "批准 approved", "现场照片.jpg", "客户满意", "记录 RECORD",
                     "第 1 页 / 共"):
        assert expected in text, expected
    assert any("CJK-SC" in f for f in fonts_of(reader))
    embedded = reader.attachments["record.json"][0]
    assert json.loads(embedded) == record()
    assert reader.metadata is not None and reader.metadata.subject == "QR-8.2-01 A/0 KS-2026-0001"


def test_same_input_gives_identical_bytes(record_bytes: bytes) -> None:
    assert render_pdf(make_record_page(record())).data == record_bytes


class _Hits:
    def __init__(self) -> None:
        self.paths: list[str] = []


@pytest.fixture
def http_server() -> Iterator[tuple[str, _Hits]]:
    """A local HTTP server that records every request it gets."""
    hits = _Hits()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_hostile_record_fields_and_markdown_fetch_nothing(http_server: tuple[str, _Hits]) -> None:
    base, hits = http_server
    hostile = (f'<img src="file:///etc/passwd"> <img src="{base}/img"> <link rel="attachment" href="{base}/link"> '
               f'<script>alert(1)</script> <div style="background:url({base}/css)">x</div> url({base}/bare)')
    md = hostile + f"\n\n![a]({base}/md-image) ![b](/etc/passwd) [c]({base}/md-link)\n"
    rec_page = make_record_page(record(customer=hostile))
    doc_page = procedure_page(revision(content=md), organisation=ORG, stamp=stamps.DRAFT)
    fetcher = safe_fetcher()
    rec_text = PdfReader(io.BytesIO(render_pdf(rec_page, fetcher).data)).pages[0].extract_text()
    doc_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(doc_page, fetcher).data)).pages)
    assert hits.paths == []
    assert fetcher.refused == []  # escaped before WeasyPrint saw it: nothing was even asked for
    assert "<script>alert(1)</script>" in rec_text and "root:" not in rec_text  # inert, visible text
    assert "[图 image: a" in doc_text and "root:" not in doc_text


def test_the_fetcher_refuses_what_raw_html_would_fetch(http_server: tuple[str, _Hits]) -> None:
    # Second line of defence: even raw HTML that reached WeasyPrint fetches nothing outside the assets.
    base, hits = http_server
    html = (f'<html lang="zh-CN"><head><link rel="stylesheet" href="{base}/style.css">'
            f'<style>body {{ background: url("{base}/bg.png") }} @import url("file:///etc/passwd");</style></head>'
            f'<body><img src="{base}/a.png"><img src="file:///etc/passwd"><img src="../../../../etc/hostname">'
            f'<link rel="attachment" href="file:///etc/passwd"><p>文本</p></body></html>')
    fetcher = safe_fetcher()
    data = render_pdf(Page(html=html), fetcher).data
    assert hits.paths == []
    assert {f"{base}/style.css", f"{base}/a.png", "file:///etc/passwd"} <= set(fetcher.refused)
    assert any(u.endswith("/etc/hostname") for u in fetcher.refused)
    assert b"root:x:0:0" not in data and fetcher.served == []
