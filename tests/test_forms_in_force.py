"""Nothing is filed on a form whose procedure is not in force (obsolete, or never issued)."""

from __future__ import annotations

from pathlib import Path

import pytest
from recordkit import FORM_NUMBER, PASSWORD, as_user, dump, good_data, make_workspace, run

from qms import documents, records
from qms.app import App
from qms.checks import run_checks
from qms.errors import Refused

PROC = "QP-9.9-01"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _untouched(app: App) -> tuple[list[str], int, bytes]:
    """What a refused filing must leave as it was: the records, the audit log and the number sequences."""
    seqs = app.store.db / "_sequences.json"
    return (sorted(app.store.keys("records")), len(list(app.store.audit.entries())),
            seqs.read_bytes() if seqs.exists() else b"")


def _file_cli(app: App, name: str = "li") -> tuple[int, str]:
    result = run(app, ["--as", name, "record", "new", FORM_NUMBER, "--data", "-"], input=dump(good_data()))
    return result.exit_code, result.output


def _new(app: App) -> None:
    documents.new_document(as_user(app, "zhou"), PROC, title="测试程序", title_en="Test Procedure", owner="品质部")


def _through(app: App, effective: str | None = None) -> None:
    documents.submit(as_user(app, "zhou"), PROC, ["li"], PASSWORD)
    documents.review(as_user(app, "li"), PROC, True, "ok", PASSWORD)
    documents.approve(as_user(app, "wang"), PROC, PASSWORD)
    documents.issue(as_user(app, "zhou"), PROC, effective)


def test_filing_on_a_form_of_a_procedure_never_issued_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_workspace(tmp_path / "ws")
    _new(app)
    before = _untouched(app)
    code, out = _file_cli(app)
    assert code == 1
    assert f"procedure {PROC} is not in force" in out and "草稿 draft" in out and "qms doc submit" in out
    assert "Traceback" not in out and _untouched(app) == before
    documents.submit(as_user(app, "zhou"), PROC, ["li"], PASSWORD)
    documents.review(as_user(app, "li"), PROC, True, "ok", PASSWORD)
    with pytest.raises(Refused, match=r"审核中 in review"):
        records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    documents.approve(as_user(app, "wang"), PROC, PASSWORD)
    with pytest.raises(Refused, match=r"已批准 approved.*qms doc issue"):
        records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    documents.issue(as_user(app, "zhou"), PROC, "2026-10-12")
    code, out = _file_cli(app)
    assert code == 1 and "已发布待实施" in out and "2026-10-12" in out
    assert _untouched(app) == before[:1] + _untouched(app)[1:]  # no record yet
    monkeypatch.setenv("QMS_NOW", "2026-10-12T09:00:00")
    filed = records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    # The refusals used no number: the first record filed is number 1, pinned to the issued edition.
    assert filed["number"] == "TJ-2026-0001" and filed["procedure_edition"] == "A/0"


def test_filing_on_a_form_of_an_obsolete_procedure_is_refused(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _new(app)
    _through(app)
    first = records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    assert first["number"] == "TJ-2026-0001"
    documents.obsolete(as_user(app, "zhou"), PROC, "流程合并 merged into another procedure")
    before = _untouched(app)
    code, out = _file_cli(app)
    assert code == 1 and "Traceback" not in out
    assert f"procedure {PROC} is not in force" in out and "作废 obsolete" in out
    assert len([line for line in out.splitlines() if line.strip()]) == 1
    assert _untouched(app) == before


def test_a_procedure_under_revision_keeps_its_forms_in_force(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _new(app)
    _through(app)
    documents.revise(as_user(app, "zhou"), PROC, False, "补充 add a step")
    filed = records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    assert filed["procedure_edition"] == "A/0"


def test_the_web_workspace_shows_why_a_form_cannot_be_filed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import webkit
    from test_web import complaint_form

    from qms.site.app import create_app

    monkeypatch.setenv("QMS_NOW", webkit.NOW)
    app = webkit.build(tmp_path / "ws")
    documents.obsolete(app.acting_as("zhou"), webkit.PROC, "流程合并 merged")
    flask = create_app(app, secret_key="k" * 64)
    flask.config["TESTING"] = True
    with flask.test_client() as client:
        assert webkit.login(client, "zhao").status_code == 302
        listed = client.get("/work/file").text
        row = listed[listed.index(f"<td>{webkit.COMPLAINT}</td>"):][:1500].split("</tr>")[0]
        assert "cannot be filed" in row and f"/work/file/{webkit.COMPLAINT}" not in row
        page = client.get(f"/work/file/{webkit.COMPLAINT}")
        assert f"procedure {webkit.PROC} is not in force" in page.text  # said before the clerk types anything
        before = _untouched(app)  # after the login, which the audit log records
        sent = client.post(f"/work/file/{webkit.COMPLAINT}",
                           data={"csrf": webkit.csrf(page.text), "action": "file", **complaint_form()})
    assert sent.status_code == 409, sent.status_code
    assert f"procedure {webkit.PROC} is not in force" in sent.text and "作废 obsolete" in sent.text
    assert _untouched(app) == before


def test_check_reports_forms_whose_procedure_is_not_in_force(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    assert not [p for p in run_checks(app) if "not in force" in p]
    _new(app)
    problems = [p for p in run_checks(app) if "not in force" in p]
    assert any(p.startswith(f"forms/{FORM_NUMBER}.yaml: procedure {PROC} is not in force") for p in problems)
    import json

    listed = {r["number"]: r for r in json.loads(run(app, ["form", "list", "--json"]).output)}
    assert f"procedure {PROC} is not in force" in listed[FORM_NUMBER]["refusal"]
    _through(app)
    assert not [p for p in run_checks(app) if "not in force" in p]
    documents.obsolete(as_user(app, "zhou"), PROC, "withdrawn")
    result = run(app, ["check"])
    assert result.exit_code == 1 and f"procedure {PROC} is not in force" in result.output and "作废 obsolete" in result.output
    assert f"withdraw this form too (`qms doc obsolete {FORM_NUMBER} --reason …`)" in result.output
    # Withdrawing the form as well settles it: the form stays closed to records, and check has nothing to report.
    documents.new_document(as_user(app, "zhou"), FORM_NUMBER)
    documents.submit(as_user(app, "zhou"), FORM_NUMBER, ["li"], PASSWORD)
    documents.review(as_user(app, "li"), FORM_NUMBER, True, "ok", PASSWORD)
    documents.approve(as_user(app, "wang"), FORM_NUMBER, PASSWORD)
    documents.issue(as_user(app, "zhou"), FORM_NUMBER)
    documents.obsolete(as_user(app, "zhou"), FORM_NUMBER, "withdrawn with its procedure")
    assert not [p for p in run_checks(app) if p.startswith(f"forms/{FORM_NUMBER}.yaml")]
    with pytest.raises(Refused, match=f"form {FORM_NUMBER} is not in force"):
        records.file(as_user(app, "li"), FORM_NUMBER, good_data())


def test_a_bulk_import_onto_a_form_of_a_procedure_not_in_force_is_refused(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _new(app)
    before = _untouched(app)
    with pytest.raises(Refused, match=f"procedure {PROC} is not in force"):
        records.file_many(as_user(app, "li"), FORM_NUMBER, [good_data(), good_data()])
    assert _untouched(app) == before


def test_the_prompting_cli_refuses_before_asking_for_any_field(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _new(app)
    result = run(app, ["--as", "li", "record", "new", FORM_NUMBER], input="\n" * 20)
    assert result.exit_code == 1 and f"procedure {PROC} is not in force" in result.output
    assert "required 必填" not in result.output  # no field was asked for
