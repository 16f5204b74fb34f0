"""The PDF commands on a real workspace: doc pdf with stamps, record pdf, form blank, render --changed and verify."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from pypdf import PdfReader

from qms import distribution, documents
from qms.app import App
from qms.cli import build
from qms.host import Host, make_plugin_manager
from qms.store import sha256_file
from qms.workspace import Workspace
from tests.test_pdf import FORM, record

PASSWORD = "demo-pass-2026"
NUMBER = "QP-9.9-01"
# A form no plugin owns, so the core's generic layout and default workflow apply.
TEST_FORM = {**FORM, "number": "QR-9.8-01", "procedure": NUMBER, "prefix": "TT"}
PROCEDURE = f"""---
number: {NUMBER}
title: 测试程序
title_en: Test Procedure
type: procedure
owner: 品质部
edition: "A/0"
review_interval_months: 12
forms: [QR-9.8-01]
---
# 测试程序 Test Procedure

## 1 目的

记录见 [[QR-9.8-01]]。<script>alert(1)</script> ![x](http://127.0.0.1:9/x.png)

## 2 工作程序

""" + "".join(f"{n}. 第 {n} 步：按规定填写记录并由主管部门审核确认。\n" for n in range(1, 41))


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with one effective procedure distributed to 品质部 and two records on a test form."""
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    app = App(workspace, Host(make_plugin_manager()))
    for name, role, full in (("admin", "admin", "管理员"), ("zhou", "quality_officer", "周文控"),
                             ("li", "quality_officer", "李品质"), ("wang", "approver", "王总经理")):
        app.users.add(name, role, "质量管理部", PASSWORD, actor="admin", full_name=full)
    (workspace.forms / "QR-9.8-01.yaml").write_text(yaml.safe_dump(TEST_FORM, allow_unicode=True), encoding="utf-8")
    (workspace.procedures / f"{NUMBER}.md").write_text(PROCEDURE, encoding="utf-8")

    def as_(name: str) -> App:
        return app.acting_as(name)

    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li"], PASSWORD)
    documents.review(as_("li"), NUMBER, True, "ok", PASSWORD)
    documents.approve(as_("wang"), NUMBER, PASSWORD)
    documents.issue(as_("zhou"), NUMBER)
    distribution.distribute(as_("zhou"), NUMBER, "品质部")
    for n in (1, 2):
        rec = record()
        rec["number"] = f"TT-2026-000{n}"
        rec["form"], rec["procedure"] = "QR-9.8-01", NUMBER
        app.store.put("records", rec["number"], rec, actor="zhou", action="record.file")
    return workspace


def qms(ws: Workspace, *args: str) -> Result:
    argv = ["--workspace", str(ws.root), "--as", "zhou", *args]
    return CliRunner().invoke(build(argv), argv, catch_exceptions=False)


def text_of(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_doc_pdf_controlled_copy_and_refusals(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "copy.pdf"
    result = qms(ws, "doc", "pdf", NUMBER, "--copy", "1", "--holder", "品质部", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = text_of(out)
    pages = len(PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert pages >= 2, "the procedure body is long enough to need a second page"
    for expected in ("测试程序", "Test Procedure", "受控 CONTROLLED", "副本号 Copy No. 001", "持有 Holder 品质部",
                     "周文控 (zhou)", "李品质 (li)", "王总经理 (wang)", f"第 1 页 / 共 {pages} 页",
                     f"第 {pages} 页 / 共 {pages} 页", "第 40 步", "<script>alert(1)</script>",
                     "《客户投诉处理报告》（QR-9.8-01）"):
        assert expected in text, expected
    wrong = qms(ws, "doc", "pdf", NUMBER, "--copy", "1", "--holder", "业务部", "-o", str(tmp_path / "x.pdf"))
    assert wrong.exit_code == 1 and "issued to 品质部, not 业务部" in wrong.output
    unregistered = qms(ws, "doc", "pdf", NUMBER, "--copy", "7", "--holder", "品质部", "-o", str(tmp_path / "x.pdf"))
    assert unregistered.exit_code == 1 and "not in the distribution register" in unregistered.output
    half = qms(ws, "doc", "pdf", NUMBER, "--copy", "1", "-o", str(tmp_path / "x.pdf"))
    assert half.exit_code == 2 and "--holder" in half.output
    assert not (tmp_path / "x.pdf").exists()


def test_record_pdf_and_blank_form(ws: Workspace, tmp_path: Path) -> None:
    result = qms(ws, "record", "pdf", "TT-2026-0002", "-o", str(tmp_path / "r.pdf"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pages"] == 1
    assert "TT-2026-0002" in text_of(tmp_path / "r.pdf")
    missing = qms(ws, "record", "pdf", "TT-2026-0999")
    assert missing.exit_code == 2 and "no record" in missing.output
    blank = qms(ws, "form", "blank", "QR-9.8-01", "--uncontrolled", "-o", str(tmp_path / "b.pdf"))
    assert blank.exit_code == 0, blank.output
    text = text_of(tmp_path / "b.pdf")
    assert "客户投诉处理报告" in text and "非受控 UNCONTROLLED" in text and "QR-9.8-01" in text and "A/0" in text


@pytest.mark.slow
def test_render_changed_rerenders_only_the_changed_record(ws: Workspace) -> None:
    first = qms(ws, "render", "--jobs", "1", "--json")
    assert first.exit_code == 0, first.output
    report: dict[str, Any] = json.loads(first.output)
    assert sorted(report["rendered"]) == ["documents/QP-9.9-01_A-0.pdf", "records/QR-9.8-01/TT-2026-0001.pdf",
                                          "records/QR-9.8-01/TT-2026-0002.pdf"]
    pdf_dir = ws.records / "pdf"
    before = {p: p.read_bytes() for p in pdf_dir.rglob("*.pdf")}
    app = App(Workspace.open(ws.root), Host(make_plugin_manager()))
    rec = app.store.get("records", "TT-2026-0002")
    assert rec is not None
    rec["data"]["description"] = "空调漏水，已更换密封圈"
    app.store.put("records", "TT-2026-0002", rec, actor="zhou", action="record.update")
    second = json.loads(qms(ws, "render", "--json").output)
    assert second["rendered"] == ["records/QR-9.8-01/TT-2026-0002.pdf"] and second["skipped"] == 2
    after = {p: p.read_bytes() for p in pdf_dir.rglob("*.pdf")}
    changed = [p.name for p in after if after[p] != before[p]]
    assert changed == ["TT-2026-0002.pdf"]
    assert qms(ws, "verify").exit_code == 0
    # A hand edit of a registered PDF is caught by verify.
    target = pdf_dir / "records/QR-9.8-01/TT-2026-0001.pdf"
    target.write_bytes(target.read_bytes() + b"%")
    tampered = qms(ws, "verify")
    assert tampered.exit_code == 1 and "TT-2026-0001.pdf" in tampered.output


def test_a_pdf_written_into_records_is_logged_and_a_print_out_elsewhere_is_not(ws: Workspace, tmp_path: Path) -> None:
    archived = ws.records / "pdf" / "printed" / "TT-2026-0001.pdf"
    archived.parent.mkdir(parents=True)
    # The print-out first: it logs nothing, so the archived copy is made at the same chain head and
    # the same input gives the same bytes (a PDF made after a log entry carries the newer head).
    elsewhere = qms(ws, "record", "pdf", "TT-2026-0001", "-o", str(tmp_path / "print.pdf"), "--json")
    result = qms(ws, "record", "pdf", "TT-2026-0001", "-o", str(archived), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["logged"] is True
    assert elsewhere.exit_code == 0 and json.loads(result.output)["sha256"] == json.loads(elsewhere.output)["sha256"]
    assert json.loads(elsewhere.output)["logged"] is False
    assert qms(ws, "verify").exit_code == 0
    archived.write_bytes(archived.read_bytes() + b"%")
    changed = qms(ws, "verify")
    assert changed.exit_code == 1 and "records/pdf/printed/TT-2026-0001.pdf" in changed.output


@pytest.mark.slow
def test_render_reads_a_pdf_again_only_when_its_stat_signature_moved(ws: Workspace, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from qms import verify_checkpoint
    from qms.render import batch

    out = tmp_path / "pdf"
    monkeypatch.setattr(verify_checkpoint, "RACY_NS", 0)  # the files of a run before are settled at once here
    reads: list[Path] = []
    monkeypatch.setattr(batch, "sha256_file", lambda path: (reads.append(path), sha256_file(path))[1])
    assert qms(ws, "render", "--jobs", "1", "--out", str(out)).exit_code == 0
    original = (out / "records/QR-9.8-01/TT-2026-0001.pdf").read_bytes()
    for expected_reads in (3, 0):  # read once to find them right, then known by their stat signature
        reads.clear()
        again = json.loads(qms(ws, "render", "--out", str(out), "--json").output)
        assert (again["rendered"], again["skipped"], len(reads)) == ([], 3, expected_reads)
    # The same size, the mtime put back: the ctime still moved, so the file is read and made again.
    target = out / "records/QR-9.8-01/TT-2026-0001.pdf"
    before = target.stat()
    edited = bytearray(original)
    edited[len(edited) // 2] ^= 0x01
    target.write_bytes(bytes(edited))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    reads.clear()
    repaired = json.loads(qms(ws, "render", "--out", str(out), "--json").output)
    assert repaired["repaired"] == ["records/QR-9.8-01/TT-2026-0001.pdf"] and reads == [target]
    assert target.read_bytes() == original


def test_a_pdf_whose_log_entry_is_refused_is_put_back_as_it_was(tmp_path: Path) -> None:
    from qms.errors import StoreError
    from qms.render.output import write_registered

    class Refusing:
        """A store whose log refuses the entry, as one whose write lock stays taken or whose database is gone."""

        def register_file(self, *args: Any, **kwargs: Any) -> None:
            raise StoreError("the write lock was not free in 30 s; try again")

    target = tmp_path / "records" / "pdf" / "a.pdf"
    target.parent.mkdir(parents=True)
    for before in (None, b"%PDF-1.7 the archived bytes"):
        if before is not None:
            target.write_bytes(before)
        with pytest.raises(StoreError, match="write lock"):
            write_registered(Refusing(), target, b"%PDF-1.7 new bytes", "records/pdf/a.pdf",  # type: ignore[arg-type]
                             actor="zhou", action="render.pdf", detail={})
        assert (target.read_bytes() if target.exists() else None) == before
        assert sorted(p.name for p in target.parent.iterdir()) == ([] if before is None else ["a.pdf"])
