"""PDFs print the signer's post (职务, e.g. 总经理) in their signature blocks, not the software's role key.

A signer without a post is shown with the role's display name (批准人 Approver), never ``approver``.
Checked on a real record PDF and a real procedure PDF by extracting their text with pypdf.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from recordkit import FORM_NUMBER, PASSWORD, as_user, good_data, make_workspace, run

from qms import documents, records
from qms.app import App
from qms.users import signer_title

PROC = "QP-9.9-01"
PROCEDURE = f"""---
number: {PROC}
title: 测试程序
title_en: Test Procedure
type: procedure
owner: 品质部
edition: "A/0"
forms: []
---
# 测试程序 Test Procedure

## 1 目的 Purpose

规定检验记录的处理。
"""


def text_of(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    app = make_workspace(tmp_path / "ws")
    app.users.change("wang", "admin", post="总经理")
    app.users.change("zhou", "admin", post="文控")
    return app


def test_signer_title_is_the_post_else_the_role_display_name() -> None:
    assert signer_title({"role": "approver", "post": "总经理"}) == "总经理"
    assert signer_title({"role": "approver", "post": ""}) == "批准人 Approver"
    assert signer_title({"role": "approver"}) == "批准人 Approver"
    assert signer_title({"role": "custom_role"}) == "custom_role"


def test_a_record_pdf_prints_the_signers_post(app: App, tmp_path: Path) -> None:
    number = str(records.file(as_user(app, "li"), FORM_NUMBER, good_data(analysis="包装不良"))["number"])
    records.move(as_user(app, "li"), number, "analysed")
    records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    out = tmp_path / "r.pdf"
    result = run(app, ["--as", "li", "record", "pdf", number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = text_of(out)
    assert "职务" in text and "总经理" in text
    assert "approver" not in text


def test_a_signer_without_a_post_shows_the_roles_display_name(app: App, tmp_path: Path) -> None:
    app.users.change("wang", "admin", post="")
    number = str(records.file(as_user(app, "li"), FORM_NUMBER, good_data(analysis="包装不良"))["number"])
    records.move(as_user(app, "li"), number, "analysed")
    records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    out = tmp_path / "r.pdf"
    assert run(app, ["--as", "li", "record", "pdf", number, "-o", str(out)]).exit_code == 0
    text = text_of(out)
    assert "批准人" in text and "approver" not in text


def test_a_procedure_pdf_prints_the_posts_in_its_control_block(app: App, tmp_path: Path) -> None:
    (app.workspace.procedures / f"{PROC}.md").write_text(PROCEDURE, encoding="utf-8")
    documents.new_document(as_user(app, "zhou"), PROC)
    documents.submit(as_user(app, "zhou"), PROC, ["li"], PASSWORD)
    documents.review(as_user(app, "li"), PROC, True, "ok", PASSWORD)
    documents.approve(as_user(app, "wang"), PROC, PASSWORD)
    documents.issue(as_user(app, "zhou"), PROC)
    out = tmp_path / "p.pdf"
    result = run(app, ["--as", "zhou", "doc", "pdf", PROC, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = text_of(out)
    # 编制 by the document controller, 审核 by a quality officer without a post, 批准 by the general manager.
    assert "文控" in text and "质量管理员" in text and "总经理" in text
    assert "quality_officer" not in text and "approver" not in text
