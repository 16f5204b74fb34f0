"""Controlled documents: every transition allowed and refused, signatures, segregation of duties,
effective dates and supersession, tamper detection, bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from storekit import tampered

from qms.backend import open_store
from qms import document_files, document_reviews, documents, editions
from qms.audit import digest
from qms.errors import AuthError, NotFound, PermissionDenied, Refused, UsageError
from qms.verify import verify_store
from qms.dates import add_months
from qms.workspace import Workspace
from tests.conftest import Invoke
from tests.doc_fixtures import NUMBER, PW, As, as_, at, through, write, ws  # noqa: F401 - fixtures

__all__ = ["as_", "ws"]


# -- editions --------------------------------------------------------------------------------------


def test_edition_arithmetic() -> None:
    assert editions.next_minor("A/0") == "A/1"
    assert editions.next_minor("A/9") == "A/10"
    assert editions.next_major("A/3") == "B/0"
    assert sorted(["B/0", "A/10", "A/2"], key=editions.sort_key) == ["A/2", "A/10", "B/0"]
    with pytest.raises(UsageError):
        editions.parse("A0")
    with pytest.raises(Refused):
        editions.next_major("Z/1")


# -- the whole lifecycle ---------------------------------------------------------------------------


def test_full_lifecycle_signatures_and_audit(ws: Workspace, as_: As) -> None:
    write(ws)
    rev = documents.new_document(as_("zhou"), NUMBER)
    assert rev["state"] == "draft" and rev["edition"] == "A/0"
    rev = documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    assert rev["state"] == "in_review"
    sha = documents.sha256_text((ws.procedures / f"{NUMBER}.md").read_text(encoding="utf-8").split("---\n", 2)[2])
    assert rev["content_sha256"] == sha
    documents.review(as_("li"), NUMBER, True, "符合", PW)
    rev = documents.approve(as_("wang"), NUMBER, PW)
    assert rev["state"] == "approved"
    rev = documents.issue(as_("zhou"), NUMBER)
    assert rev["state"] == "effective" and rev["effective_date"] == "2026-11-02"
    meanings = [(s["meaning"], s["name"], s["role"], s["sha256"]) for s in rev["signatures"]]
    assert meanings == [("编制 prepared", "zhou", "quality_officer", sha), ("审核 reviewed", "li", "quality_officer", sha),
                        ("批准 approved", "wang", "approver", sha)]
    assert all(s["at"] == "2026-11-02T09:00:00" and s["full_name"] for s in rev["signatures"])
    actions = [e["action"] for e in open_store(ws).audit.check_chain()[1] if e.get("collection") == "revisions"]
    assert actions == ["doc.new", "doc.submit", "doc.review.accept", "doc.approve", "doc.issue"]
    assert verify_store(open_store(ws), ws.root).ok
    assert documents.get_revision(as_("aud"), NUMBER)["edition"] == "A/0"


def test_new_creates_file_with_front_matter(ws: Workspace, as_: As) -> None:
    rev = documents.new_document(as_("zhou"), "QP-9.7-01", title="新程序", title_en="New", owner="设备科",
                                 review_interval_months=6)
    text = (ws.procedures / "QP-9.7-01.md").read_text(encoding="utf-8")
    assert text.startswith("---\nnumber: QP-9.7-01\n") and 'edition: "A/0"' in text and "## 5 程序 Process" in text
    assert rev["owner"] == "设备科" and rev["review_interval_months"] == 6


def test_refused_transitions_name_state_and_what_is_allowed(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="is 草稿 draft; approval .* Allowed now: edit"):
        documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(Refused, match="draft; issuing"):
        documents.issue(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="draft; a review"):
        documents.review(as_("li"), NUMBER, True, "", PW)
    with pytest.raises(Refused, match="draft; a revision"):
        documents.revise(as_("zhou"), NUMBER, False, "x")
    with pytest.raises(Refused, match="draft; withdrawing"):
        documents.obsolete(as_("zhou"), NUMBER, "x")
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    with pytest.raises(Refused, match="in review; submitting"):
        documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    with pytest.raises(Refused, match="waiting for review by li"):
        documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(Refused, match="in review; issuing"):
        documents.issue(as_("zhou"), NUMBER)
    documents.review(as_("li"), NUMBER, True, "", PW)
    with pytest.raises(Refused, match="already reviewed"):
        documents.review(as_("li"), NUMBER, True, "", PW)
    documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(Refused, match="approved; approval"):
        documents.approve(as_("chen"), NUMBER, PW)
    with pytest.raises(Refused, match="approved; submitting"):
        documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    with pytest.raises(Refused, match="approved; a revision"):
        documents.revise(as_("zhou"), NUMBER, False, "x")
    documents.issue(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="受控 effective; issuing"):
        documents.issue(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="effective; submitting"):
        documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    revs = documents.history(as_("zhou"), NUMBER)
    assert [r["state"] for r in revs] == ["effective"]


def test_reject_returns_to_draft_and_voids_signatures(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li", "chen"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    with pytest.raises(UsageError, match="rejection needs --comment"):
        documents.review(as_("chen"), NUMBER, False, " ", PW)
    rev = documents.review(as_("chen"), NUMBER, False, "时限不明确", PW)
    assert rev["state"] == "draft" and rev["signatures"] == [] and len(rev["void_signatures"]) == 2
    # The file is editable again: a change is not reported, and the next submission signs the new text.
    path = ws.procedures / f"{NUMBER}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n5 程序：24 小时内处理。\n", encoding="utf-8")
    assert document_reviews.tamper_problems(as_("zhou")) == []
    rev = documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    assert "24 小时" in rev["content"]
    assert verify_store(open_store(ws), ws.root).ok


# -- segregation of duties and signatures -------------------------------------------------------------


def test_segregation_of_duties(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="may not also review"):
        documents.submit(as_("zhou"), NUMBER, ["zhou"], PW)
    with pytest.raises(Refused, match="may not review documents"):
        documents.submit(as_("zhou"), NUMBER, ["zhao"], PW)
    with pytest.raises(NotFound):
        documents.submit(as_("zhou"), NUMBER, ["nobody"], PW)
    with pytest.raises(UsageError, match="at least one reviewer"):
        documents.submit(as_("zhou"), NUMBER, [], PW)
    documents.submit(as_("zhou"), NUMBER, ["li", "chen"], PW)
    with pytest.raises(Refused, match="not a named reviewer"):
        documents.review(as_("wang"), NUMBER, True, "", PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    documents.review(as_("chen"), NUMBER, True, "", PW)
    with pytest.raises(Refused, match="chen reviewed .* may not also approve"):
        documents.approve(as_("chen"), NUMBER, PW)
    with pytest.raises(PermissionDenied):
        documents.approve(as_("li"), NUMBER, PW)  # quality officers do not approve
    documents.approve(as_("wang"), NUMBER, PW)


def test_preparer_who_is_an_approver_may_not_approve(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("admin"), NUMBER)
    documents.submit(as_("admin"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    with pytest.raises(Refused, match="admin prepared .* may not approve"):
        documents.approve(as_("admin"), NUMBER, PW)


def test_roles_without_permission_are_refused(ws: Workspace, as_: As) -> None:
    write(ws)
    with pytest.raises(PermissionDenied, match="zhao \\(department\\) may not create"):
        documents.new_document(as_("zhao"), NUMBER)
    with pytest.raises(UsageError, match="--as NAME"):
        documents.new_document(as_(""), NUMBER)
    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(PermissionDenied):
        documents.issue(as_("aud"), NUMBER)


def test_wrong_password_changes_nothing(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    store = open_store(ws)
    before = (store.get("revisions", f"{NUMBER}@A/0"), store.audit.check_chain()[1][-1]["hash"])
    with pytest.raises(AuthError, match="wrong password for 'zhou'"):
        documents.submit(as_("zhou"), NUMBER, ["li"], "not-the-password")
    assert (store.get("revisions", f"{NUMBER}@A/0"), store.audit.check_chain()[1][-1]["hash"]) == before
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    with pytest.raises(AuthError):
        documents.review(as_("li"), NUMBER, True, "", "bad")
    documents.review(as_("li"), NUMBER, True, "", PW)
    with pytest.raises(AuthError):
        documents.approve(as_("wang"), NUMBER, "bad")
    assert documents.get_revision(as_("wang"), NUMBER)["state"] == "in_review"


def test_approving_content_changed_after_review_is_refused(ws: Workspace, as_: As) -> None:
    path = write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    path.write_text(path.read_text(encoding="utf-8") + "偷偷加的一句。\n", encoding="utf-8")
    with pytest.raises(Refused, match=f"procedures/{NUMBER}.md changed after {NUMBER} A/0 was submitted"):
        documents.approve(as_("wang"), NUMBER, PW)
    # Restoring the submitted text lets approval go ahead.
    rev = documents.get_revision(as_("wang"), NUMBER)
    path.write_text(rev["source"], encoding="utf-8")
    assert documents.approve(as_("wang"), NUMBER, PW)["state"] == "approved"


# -- effective dates, supersession, obsolete ------------------------------------------------------------


def test_future_effective_date_supersedes_only_on_that_date(ws: Workspace, as_: As, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    documents.revise(as_("zhou"), NUMBER, False, "增加时限")
    assert 'edition: "A/1"' in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + "6 时限：3 日。\n", encoding="utf-8")
    rev = through(as_, effective="2026-12-01")
    assert rev["state"] == "issued" and rev["supersedes"] == "A/0"

    def listed(when: str, show_all: bool = False) -> list[tuple[str, str]]:
        at(monkeypatch, when)
        return [(r["edition"], r["state"]) for r in documents.list_documents(as_("aud"), show_all=show_all)]

    assert listed("2026-11-30T23:59:59") == [("A/0", "effective")]
    assert listed("2026-11-30T23:59:59", True) == [("A/0", "effective"), ("A/1", "issued")]
    assert listed("2026-12-01T00:00:00") == [("A/1", "effective")]
    assert listed("2026-12-01T00:00:00", True) == [("A/0", "superseded"), ("A/1", "effective")]
    old = documents.get_revision(as_("aud"), NUMBER, "A/0")
    assert old["state"] == "superseded" and old["superseded_by"] == "A/1" and "3 日" not in old["content"]
    assert "3 日" in documents.get_revision(as_("aud"), NUMBER)["content"]
    # Exactly one effective revision on every day around the change.
    for day in ("2026-11-02", "2026-11-30", "2026-12-01", "2027-06-01"):
        at(monkeypatch, f"{day}T12:00:00")
        revs = documents.history(as_("aud"), NUMBER)
        assert sum(r["state"] == "effective" for r in revs) == 1
    assert "+6 时限：3 日。" in documents.diff(as_("aud"), NUMBER, "A/0", "A/1")


def test_effective_date_rules(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(UsageError, match="in the past"):
        documents.issue(as_("zhou"), NUMBER, "2026-11-01")
    with pytest.raises(UsageError, match="not a date"):
        documents.issue(as_("zhou"), NUMBER, "next week")
    documents.issue(as_("zhou"), NUMBER, "2026-12-01")
    documents.revise(as_("zhou"), NUMBER, True, "改版")
    assert documents.get_revision(as_("zhou"), NUMBER, "B/0")["state"] == "draft"
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "", PW)
    documents.approve(as_("wang"), NUMBER, PW)
    with pytest.raises(UsageError, match="cannot take effect before"):
        documents.issue(as_("zhou"), NUMBER, "2026-11-20")


def test_obsolete_keeps_revisions_retrievable(ws: Workspace, as_: As, monkeypatch: pytest.MonkeyPatch) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    with pytest.raises(UsageError, match="--reason"):
        documents.obsolete(as_("zhou"), NUMBER, "")
    at(monkeypatch, "2026-11-05T10:00:00")
    rev = documents.obsolete(as_("zhou"), NUMBER, "业务终止")
    assert rev["state"] == "obsolete" and rev["obsolete_reason"] == "业务终止"
    assert documents.list_documents(as_("aud")) == []
    assert [r["state"] for r in documents.list_documents(as_("aud"), show_all=True)] == ["obsolete"]
    assert documents.get_revision(as_("aud"), NUMBER)["content"].startswith("\n# 测试程序")
    with pytest.raises(Refused, match="already 作废 obsolete"):
        documents.obsolete(as_("zhou"), NUMBER, "again")
    with pytest.raises(Refused, match="obsolete; a revision"):
        documents.revise(as_("zhou"), NUMBER, False, "x")
    at(monkeypatch, "2026-11-04T10:00:00")  # before the withdrawal it was in force
    assert [r["state"] for r in documents.list_documents(as_("aud"))] == ["effective"]


def test_revise_needs_reason_and_refuses_a_second_draft(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    with pytest.raises(UsageError, match="needs --reason"):
        documents.revise(as_("zhou"), NUMBER, False, "  ")
    rev = documents.revise(as_("zhou"), NUMBER, False, "措辞")
    assert rev["edition"] == "A/1" and rev["reason"] == "措辞" and rev["supersedes"] == "A/0"
    with pytest.raises(Refused, match="A/1 is 草稿 draft; a revision"):
        documents.revise(as_("zhou"), NUMBER, True, "again")
    # The draft's front matter must keep the edition the store expects.
    path = ws.procedures / f"{NUMBER}.md"
    path.write_text(path.read_text(encoding="utf-8").replace('"A/1"', '"A/5"'), encoding="utf-8")
    with pytest.raises(Refused, match=f"procedures/{NUMBER}.md line 7: edition 'A/5' should be 'A/1'"):
        documents.submit(as_("zhou"), NUMBER, ["li"], PW)


# -- tamper detection ----------------------------------------------------------------------------------


def test_hand_edit_of_approved_file_is_reported_and_never_served(ws: Workspace, as_: As, invoke: Invoke) -> None:
    path = write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    approved = path.read_text(encoding="utf-8")
    path.write_text(approved.replace("测试。", "随便改。"), encoding="utf-8")
    problems = document_reviews.tamper_problems(as_("aud"))
    assert len(problems) == 1 and f"procedures/{NUMBER}.md: changed on disk after {NUMBER} A/0" in problems[0]
    result = invoke("check")
    assert result.exit_code == 1 and f"procedures/{NUMBER}.md: changed on disk" in result.output
    result = invoke("verify")
    assert result.exit_code == 1 and f"CHANGED procedures/{NUMBER}.md" in result.output
    served = documents.get_revision(as_("aud"), NUMBER)
    assert "测试。" in served["content"] and "随便改" not in served["content"]
    shown = invoke("doc", "show", NUMBER)
    assert "测试。" in shown.output and "随便改" not in shown.output
    restored = invoke("doc", "show", NUMBER, "--source")
    path.write_text(restored.output, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == approved
    assert invoke("verify").exit_code == 0
    assert f"procedures/{NUMBER}.md" not in invoke("check").output


def test_hand_edit_of_the_store_is_reported(ws: Workspace, as_: As, invoke: Invoke) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    edit = lambda rev: {**rev, "content": rev["content"].replace("测试。", "篡改。")}  # noqa: E731
    with tampered(open_store(ws), "revisions", f"{NUMBER}@A/0", edit):
        result = invoke("verify")
        assert result.exit_code == 1 and f"revisions/{NUMBER}@A/0" in result.output
        result = invoke("check")
        assert result.exit_code == 1 and "stored content does not match its sha256" in result.output


def test_new_revision_file_is_released_for_editing(ws: Workspace, as_: As) -> None:
    path = write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    documents.revise(as_("zhou"), NUMBER, False, "修订")
    path.write_text(path.read_text(encoding="utf-8") + "新增。\n", encoding="utf-8")
    assert document_reviews.tamper_problems(as_("zhou")) == []
    assert verify_store(open_store(ws), ws.root).ok
    # What is in force is still A/0's stored text; the draft shows the file.
    assert "新增" not in documents.get_revision(as_("aud"), NUMBER)["content"]
    assert "新增" in documents.get_revision(as_("aud"), NUMBER, "A/1")["content"]


# -- bad input -----------------------------------------------------------------------------------------


def test_malformed_front_matter_names_file_and_line(ws: Workspace, as_: As) -> None:
    path = ws.procedures / f"{NUMBER}.md"
    path.write_text(f"---\nnumber: {NUMBER}\ntitle: [unclosed\nowner: 品质部\n---\n正文\n", encoding="utf-8")
    with pytest.raises(Refused, match=rf"procedures/{NUMBER}.md line \d+: front matter is not valid YAML"):
        documents.new_document(as_("zhou"), NUMBER)
    write(ws, extra="review_interval_months: often\n")
    with pytest.raises(Refused, match=rf"procedures/{NUMBER}.md line 8: review_interval_months 'often'"):
        documents.new_document(as_("zhou"), NUMBER)
    path.write_text("no front matter\n", encoding="utf-8")
    with pytest.raises(Refused, match=rf"procedures/{NUMBER}.md line 1: no front matter"):
        documents.new_document(as_("zhou"), NUMBER)
    write(ws, number="QP-9.9-09")
    path.write_text((ws.procedures / "QP-9.9-09.md").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(Refused, match=rf"procedures/{NUMBER}.md line 2: front matter number 'QP-9.9-09'"):
        documents.new_document(as_("zhou"), NUMBER)
    assert open_store(ws).query("revisions") == []


def test_duplicate_malformed_and_unknown_numbers(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="already exists"):
        documents.new_document(as_("zhou"), NUMBER)
    for bad in ("QP-9.1", "XX-1.1-01", "QP-9.1-1", "qp-9.1-01"):
        with pytest.raises(UsageError, match="does not follow the pattern"):
            documents.new_document(as_("zhou"), bad, title="x", owner="y")
    with pytest.raises(NotFound, match="no controlled document 'QP-0.0-01'"):
        documents.get_revision(as_("zhou"), "QP-0.0-01")
    with pytest.raises(NotFound, match="has no revision B/0"):
        documents.get_revision(as_("zhou"), NUMBER, "B/0")
    with pytest.raises(UsageError, match="give --title and --owner"):
        documents.new_document(as_("zhou"), "QP-9.6-01")
    write(ws, "QP-9.4-01")
    with pytest.raises(Refused, match="title is '测试程序' but --title says"):
        documents.new_document(as_("zhou"), "QP-9.4-01", title="别的")
    assert len(open_store(ws).query("revisions")) == 1


def test_cli_bad_input_is_one_line_and_exit_code(ws: Workspace, invoke: Invoke) -> None:
    write(ws)
    r = invoke("--as", "zhou", "doc", "new", "BAD")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "does not follow the pattern" in r.output
    assert invoke("--as", "zhou", "doc", "new", NUMBER).exit_code == 0
    r = invoke("--as", "zhou", "doc", "new", NUMBER)
    assert r.exit_code == 1 and "already exists" in r.output
    r = invoke("--as", "zhou", "doc", "submit", NUMBER, "--reviewer", "li", "--password-stdin", input="wrong\n")
    assert r.exit_code == 1 and "wrong password" in r.output
    r = invoke("--as", "wang", "doc", "approve", NUMBER, "--password-stdin", input=PW + "\n")
    assert r.exit_code == 1 and "草稿 draft" in r.output and "Allowed now" in r.output
    r = invoke("doc", "show", "QP-0.0-01")
    assert r.exit_code == 2 and "no controlled document" in r.output
    r = invoke("--as", "zhou", "doc", "revise", NUMBER)
    assert r.exit_code == 2 and "--reason" in r.output


def test_cli_lifecycle_verbs_answer_in_json(ws: Workspace, invoke: Invoke) -> None:
    write(ws)
    steps = [
        ("zhou", ["doc", "new", NUMBER], "draft"),
        ("zhou", ["doc", "submit", NUMBER, "--reviewer", "li", "--password-stdin"], "in_review"),
        ("li", ["doc", "review", NUMBER, "--accept", "--comment", "符合", "--password-stdin"], "in_review"),
        ("wang", ["doc", "approve", NUMBER, "--password-stdin"], "approved"),
        ("zhou", ["doc", "issue", NUMBER, "--effective", "2026-11-02"], "effective"),
        ("zhao", ["doc", "acknowledge", NUMBER], None),
        ("zhou", ["doc", "revise", NUMBER, "--reason", "澄清 clarify"], "draft"),
    ]
    for who, args, state in steps:
        r = invoke("--as", who, *args, "--json", input=PW + "\n")
        assert r.exit_code == 0, r.output
        answer = json.loads(r.output)
        assert answer["number"] == NUMBER and (state is None or answer["state"] == state), (args, answer)
    diff = json.loads(invoke("doc", "diff", NUMBER, "A/0", "A/1", "--json").output)
    assert diff == {"number": NUMBER, "old": "A/0", "new": "A/1", "same": True, "diff": ""}


def test_cli_lifecycle_and_listing(ws: Workspace, invoke: Invoke) -> None:
    write(ws)
    steps = [
        ("zhou", ["doc", "new", NUMBER]),
        ("zhou", ["doc", "submit", NUMBER, "--reviewer", "li", "--password-stdin"]),
        ("li", ["doc", "review", NUMBER, "--accept", "--comment", "符合", "--password-stdin"]),
        ("wang", ["doc", "approve", NUMBER, "--password-stdin"]),
        ("zhou", ["doc", "issue", NUMBER, "--effective", "2026-11-02"]),
    ]
    for who, args in steps:
        r = invoke("--as", who, *args, input=PW + "\n")
        assert r.exit_code == 0, r.output
    r = invoke("doc", "list")
    assert r.exit_code == 0 and f"{NUMBER}    A/0   受控 effective" in r.output and "next review 2027-11-02" in r.output
    r = invoke("doc", "list", "--json")
    assert [row["number"] for row in json.loads(r.output)] == [NUMBER]
    r = invoke("doc", "history", NUMBER)
    assert "编制 prepared: ZHOU (zhou)" in r.output and "批准 approved: WANG (wang)" in r.output
    r = invoke("doc", "show", NUMBER, "--json")
    assert json.loads(r.output)["state"] == "effective"
    r = invoke("doc", "show", NUMBER)
    assert "文件编号 Number: QP-9.1-01" in r.output and "实施 Effective: 2026-11-02" in r.output


def test_external_document_register(ws: Workspace, as_: As, invoke: Invoke) -> None:
    with pytest.raises(UsageError, match="needs --source"):
        documents.new_document(as_("zhou"), "QE-7.5-01", title="质量管理体系 要求", doc_type="external", owner="质量管理部")
    r = invoke("--as", "zhou", "doc", "new", "QE-7.5-01", "--type", "external", "--title", "质量管理体系 要求",
               "--owner", "质量管理部", "--ref", "GB/T 19001-2016", "--source", "国家标准化管理委员会",
               "--version", "2016-12-30")
    assert r.exit_code == 0, r.output
    through(as_, "QE-7.5-01")
    rows = documents.list_documents(as_("aud"), doc_type="external")
    assert len(rows) == 1 and rows[0]["external"]["ref"] == "GB/T 19001-2016"
    assert rows[0]["external"]["version"] == "2016-12-30" and rows[0]["next_review"] == "2027-11-02"
    r = invoke("doc", "list", "--type", "external")
    assert "GB/T 19001-2016 · 国家标准化管理委员会 · 2016-12-30" in r.output
    assert documents.list_documents(as_("aud"), doc_type="procedure") == []


# -- periodic review --------------------------------------------------------------------------------------


def test_review_due_items(ws: Workspace, as_: As, monkeypatch: pytest.MonkeyPatch) -> None:
    write(ws, extra="review_interval_months: 6\n")
    write(ws, "QP-9.5-01")  # interval from qms.toml: 12 months
    documents.new_document(as_("zhou"), NUMBER)
    documents.new_document(as_("zhou"), "QP-9.5-01")
    through(as_)
    through(as_, "QP-9.5-01")
    app = as_("aud")
    assert document_reviews.review_due_items(app, datetime(2026, 11, 2, 9)) == []
    items = document_reviews.review_due_items(app, datetime(2027, 4, 10, 9))
    assert items == [{"kind": "document-review", "ref": NUMBER, "title": "测试程序", "due": "2027-05-02T23:59:59",
                      "owner": "zhou", "dept": "品质部", "overdue": False}]
    items = document_reviews.review_due_items(app, datetime(2027, 5, 3, 0, 0, 1))
    assert [(i["ref"], i["overdue"]) for i in items] == [(NUMBER, True)]
    items = document_reviews.review_due_items(app, datetime(2027, 11, 3))
    assert [(i["ref"], i["due"][:10], i["overdue"]) for i in items] == [
        (NUMBER, "2027-05-02", True), ("QP-9.5-01", "2027-11-02", True)]
    # A periodic review resets the clock.
    at(monkeypatch, "2027-05-10T09:00:00")
    with pytest.raises(UsageError, match="needs --comment"):
        documents.periodic_review(as_("li"), NUMBER, "", PW)
    with pytest.raises(PermissionDenied):
        documents.periodic_review(as_("zhao"), NUMBER, "ok", PW)
    rev = documents.periodic_review(as_("li"), NUMBER, "仍然适用 still suitable", PW)
    assert document_files.next_review(rev).isoformat() == "2027-11-10"
    assert [i["ref"] for i in document_reviews.review_due_items(app, datetime(2027, 5, 10, 10))] == []


def test_add_months_clamps_to_month_end() -> None:
    from datetime import date

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 12) == date(2028, 12, 15)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_stored_objects_are_plain_json_and_logged(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    rev = through(as_)
    stored = open_store(ws).get("revisions", f"{NUMBER}@A/0")
    assert stored is not None and json.loads(json.dumps(stored)) == stored
    for key in ("number", "title", "title_en", "type", "owner", "edition", "state", "content", "content_sha256",
                "reason", "signatures", "issued_at", "effective_date", "review_interval_months", "forms"):
        assert key in rev
    assert digest(stored) == [e for e in open_store(ws).audit.check_chain()[1] if e["key"] == f"{NUMBER}@A/0"][-1]["state"]


def test_clause_map_shows_coverage_and_gaps(ws: Workspace, as_: As, invoke: Invoke) -> None:
    from qms.clauses import clause_map

    write(ws, extra='iso_clauses: ["8.2.1", "10.2"]\n')
    documents.new_document(as_("zhou"), NUMBER)
    assert all(not row["documents"] for row in clause_map(as_("aud")))  # a draft covers nothing
    through(as_)
    covered = {row["clause"]: row["documents"] for row in clause_map(as_("aud"))}
    assert covered["10.2"] == [NUMBER] and covered["8.2.3"] == [] and covered["9.2"] == []
    r = invoke("doc", "clauses")
    assert r.exit_code == 0 and f"10.2   不合格和纠正措施 nonconformity and corrective action: {NUMBER}" in r.output
    assert "9.2    内部审核 internal audit: 缺 GAP" in r.output
