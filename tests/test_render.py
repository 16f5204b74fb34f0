"""Rendering without PDFs: Markdown, form references, escaping, CSS strings, stamps and page digests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qms.errors import UsageError
from qms.recordlayout import generic_record_html
from qms.render import stamp as stamps
from qms.render.markdown import markdown_to_html
from qms.render.page import css_string, procedure_page, record_page

ORG = {"name": "示范质量管理有限公司", "name_en": "Reference Quality Co., Ltd."}
FORMS = {"QR-8.2-01": {"number": "QR-8.2-01", "title": "客户投诉处理报告", "title_en": "Customer Complaint Report",
                       "edition": "A/0"}}

HOSTILE = ('<img src="file:///etc/passwd"> <link rel="stylesheet" href="http://127.0.0.1:9/x.css"> '
           '<script>alert(1)</script> <style>body{background:url(http://127.0.0.1:9/bg)}</style> '
           'url(http://127.0.0.1:9/u) "; } @page { content: "pwned')


def revision(**changes: Any) -> dict[str, Any]:
    rev = {
        "number": "QP-8.2-01", "title": "客户投诉处理程序", "title_en": "Customer Complaint Handling", "type": "procedure",
        "owner": "品质部", "edition": "A/1", "state": "effective", "content": "# 目的\n\n见 [[QR-8.2-01]]。\n",
        "content_sha256": "c" * 64, "reason": "增加回访", "issued_at": "2026-10-22T10:00:00", "effective_date": "2026-11-01",
        "review_interval_months": 12, "forms": ["QR-8.2-01"],
        "signatures": [
            {"meaning": "编制 prepared", "name": "li", "full_name": "李品质", "role": "quality_officer",
             "at": "2026-10-20T10:00:00", "sha256": "a" * 64},
            {"meaning": "批准 approved", "name": "wang", "full_name": "王总经理", "role": "approver",
             "at": "2026-10-22T10:00:00", "sha256": "a" * 64},
        ],
    }
    rev.update(changes)
    return rev


def test_markdown_has_tables_footnotes_deflists_and_drops_front_matter() -> None:
    text = "---\nnumber: QP-1\n---\n# 标题\n\n1. 一\n2. 二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n注[^1]\n\n[^1]: 脚注\n\n术语\n: 定义\n"
    html = markdown_to_html(text)
    assert "number: QP-1" not in html
    assert "<ol>" in html and "<table>" in html and "<dl>" in html and 'class="footnotes"' in html


def test_form_reference_renders_title_and_number_or_marks_unknown() -> None:
    html = markdown_to_html("填写 [[QR-8.2-01]] 和 [[QR-0.0-99]]。", resolve_form=FORMS.get)
    assert "《客户投诉处理报告》（QR-8.2-01）" in html
    assert "QR-0.0-99（未找到表单 form not found）" in html


def test_procedure_markdown_cannot_inject_markup_or_fetchable_urls() -> None:
    html = markdown_to_html(HOSTILE + "\n\n![p](file:///etc/passwd) ![h](http://127.0.0.1:9/i.png) ![r](/etc/hostname)")
    assert "<img" not in html and "<script" not in html and "<link" not in html and "<style" not in html
    assert "&lt;script&gt;" in html
    assert "[图 image: h (http://127.0.0.1:9/i.png)]" in html and "[图 image: r (/etc/hostname)]" in html


def test_record_fields_are_escaped() -> None:
    form = {"number": "QR-8.2-01", "schema": {"properties": {"customer": {"type": "string", "title": "客户"}}}}
    body = generic_record_html({"data": {"customer": HOSTILE}}, form)
    assert "<img" not in body and "<script" not in body and "&lt;img" in body


def test_css_string_cannot_leave_the_string_or_the_style_element() -> None:
    out = css_string('QP"; } </style><script>x</script> \\ \n 品质部')
    assert out.startswith('"') and out.endswith('"')
    inner = out[1:-1]
    assert '"' not in inner and "<" not in inner and "\n" not in inner
    assert "品质部" in inner


def test_user_text_in_header_and_stamp_is_css_escaped() -> None:
    page = procedure_page(revision(title='标题"; } body { display:none } </style><script>x</script>'),
                          organisation=ORG, stamp=stamps.controlled(1, '品质部"}</style>'), resolve_form=FORMS.get)
    style = page.html.split("<style>")[1].split("</style>")[0]
    margin_boxes = style.rsplit("@page {", 1)[1]
    assert "<" not in margin_boxes
    # Each margin box holds exactly one string: the hostile quote and braces stayed inside it.
    assert len(re.findall(r'content: "[^"]*";', margin_boxes)) == 4 == margin_boxes.count("content:")
    assert "<script>" not in page.html


@pytest.mark.parametrize(("state", "kind"), [("effective", "controlled"), ("draft", "draft"), ("in_review", "draft"),
                                             ("approved", "draft"), ("issued", "issued"),
                                             ("superseded", "superseded"), ("obsolete", "obsolete")])
def test_stamp_follows_revision_state(state: str, kind: str) -> None:
    assert stamps.for_revision(state).kind == kind


def test_stamp_options() -> None:
    assert stamps.for_revision("effective", uncontrolled=True).zh == "非受控"
    copy = stamps.for_revision("effective", copy=3, holder="品质部")
    assert copy.text == "受控 CONTROLLED · 副本号 Copy No. 003 · 持有 Holder 品质部"
    with pytest.raises(UsageError, match="only of the issued or effective"):
        stamps.for_revision("superseded", copy=3, holder="品质部")
    with pytest.raises(UsageError, match="both --copy N and --holder"):
        stamps.for_revision("effective", copy=3)
    with pytest.raises(UsageError, match="not both"):
        stamps.for_revision("effective", copy=3, holder="品质部", uncontrolled=True)


def test_procedure_page_has_control_block_metadata_and_revision_history() -> None:
    old = revision(edition="A/0", state="superseded", reason="", issued_at="2026-01-05T09:00:00")
    page = procedure_page(revision(), organisation=ORG, stamp=stamps.controlled(), history=[revision(), old],
                          resolve_form=FORMS.get)
    html = page.html
    assert '<html lang="zh-CN">' in html
    assert '<meta name="description" content="QP-8.2-01 A/1">' in html
    assert '<meta name="dcterms.created" content="2026-10-22T10:00:00+08:00">' in html
    for text in ("文件编号", "QP-8.2-01", "版号/状态", "A/1", "品质部", "李品质 (li)", "王总经理 (wang)", "2026-11-01",
                 "修订记录", "首次发布 First issue", "增加回访"):
        assert text in html, text
    # Oldest edition first in the 修订记录.
    table = html.split('class="revisions"')[1]
    assert table.index(">A/0<") < table.index(">A/1<")


def test_page_digest_follows_content() -> None:
    a = procedure_page(revision(), organisation=ORG, stamp=stamps.controlled())
    b = procedure_page(revision(), organisation=ORG, stamp=stamps.controlled())
    c = procedure_page(revision(content="# 改了"), organisation=ORG, stamp=stamps.controlled())
    assert a.digest() == b.digest() != c.digest()
    assert re.fullmatch(r"[0-9a-f]{64}", a.digest())


def test_record_page_attaches_record_json_with_fixed_date() -> None:
    record = {"number": "KS-2026-0001", "form": "QR-8.2-01", "form_edition": "A/0", "state": "closed", "data": {},
              "created_at": "2026-11-02T09:00:00", "history": [{"at": "2026-11-03T10:00:00", "actor": "li",
                                                                "action": "close", "from": "open", "to": "closed"}],
              "closed": True}
    page = record_page(record, {"number": "QR-8.2-01", "title": "客户投诉处理报告", "edition": "A/0"}, organisation=ORG,
                       body_html="")
    (attached,) = page.attachments
    assert attached.name == "record.json" and attached.at == "2026-11-03T10:00:00"
    assert b'"KS-2026-0001"' in attached.data
    assert "记录已关闭" in page.html
