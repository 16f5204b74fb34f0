"""Forms as controlled documents: a form edition takes effect only when approved and issued (ISO 9001 7.5.2/7.5.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from recordkit import PASSWORD, SIMPLE, SIMPLE_FORM, as_user, dump, make_workspace, run

from qms import documents, forms, records
from qms.app import App
from qms.checks import run_checks
from qms.errors import Refused, ValidationFailed


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _doc(app: App, name: str, *args: str, password: bool = False) -> dict[str, object]:
    """Run ``qms --as NAME doc ARGS --json`` and return its JSON."""
    extra = ["--password-stdin"] if password else []
    result = run(app, ["--as", name, "doc", *args, *extra, "--json"], input=PASSWORD + "\n" if password else None)
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def _through(app: App, number: str = SIMPLE_FORM, effective: str | None = None) -> None:
    _doc(app, "zhou", "submit", number, "--reviewer", "li", password=True)
    _doc(app, "li", "review", number, "--accept", "--comment", "字段齐全 fields complete", password=True)
    _doc(app, "wang", "approve", number, password=True)
    _doc(app, "zhou", "issue", number, *(["--effective", effective] if effective else []))


def _file(app: App, **data: object) -> dict[str, object]:
    return records.file(as_user(app, "li"), SIMPLE_FORM, {"subject": "来料检验", **data})


def test_a_form_taken_under_control_takes_records_only_once_issued(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    created = _doc(app, "zhou", "new", SIMPLE_FORM)
    assert created["state"] == "draft" and created["type"] == "form" and created["edition"] == "A/0"
    before = sorted(app.store.keys("records"))
    refused = run(app, ["--as", "li", "record", "new", SIMPLE_FORM, "--data", "-"], input=dump({"subject": "x"}))
    assert refused.exit_code == 1 and f"form {SIMPLE_FORM} is not in force" in refused.output
    assert "草稿 draft" in refused.output and "Traceback" not in refused.output
    assert (f"forms/{SIMPLE_FORM}.yaml: form {SIMPLE_FORM} is not in force (A/0 is 草稿 draft); next for {SIMPLE_FORM}: "
            f"edit forms/{SIMPLE_FORM}.yaml, then `qms doc submit`") in run_checks(app)
    _doc(app, "zhou", "submit", SIMPLE_FORM, "--reviewer", "li", password=True)
    _doc(app, "li", "review", SIMPLE_FORM, "--accept", "--comment", "ok", password=True)
    with pytest.raises(Refused, match="审核中 in review"):
        _file(app)
    approved = _doc(app, "wang", "approve", SIMPLE_FORM, password=True)
    # The approved content is the form file's bytes as submitted, signed 编制/审核/批准.
    text = (app.workspace.forms / f"{SIMPLE_FORM}.yaml").read_text(encoding="utf-8")
    assert approved["content"] == text
    assert [s["meaning"] for s in approved["signatures"]] == ["编制 prepared", "审核 reviewed", "批准 approved"]  # type: ignore[index]
    with pytest.raises(Refused, match="已批准 approved"):
        _file(app)
    assert sorted(app.store.keys("records")) == before
    _doc(app, "zhou", "issue", SIMPLE_FORM)
    filed = _file(app)
    assert filed["number"] == "JD-2026-0001" and filed["form_edition"] == "A/0"


def test_a_preparer_may_not_approve_their_own_form(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    documents.new_document(as_user(app, "admin"), SIMPLE_FORM)
    documents.submit(as_user(app, "admin"), SIMPLE_FORM, ["li"], PASSWORD)
    documents.review(as_user(app, "li"), SIMPLE_FORM, True, "ok", PASSWORD)
    with pytest.raises(Refused, match="prepared QR-9.9-02 A/0 and may not approve it"):
        documents.approve(as_user(app, "admin"), SIMPLE_FORM, PASSWORD)


def test_a_new_form_edition_takes_effect_only_when_approved_and_issued(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _doc(app, "zhou", "new", SIMPLE_FORM)
    _through(app)
    revised = _doc(app, "zhou", "revise", SIMPLE_FORM, "--reason", "增加批号 add the batch number")
    assert revised["edition"] == "A/1" and revised["state"] == "draft"
    path = app.workspace.forms / f"{SIMPLE_FORM}.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["edition"] == "A/1" and draft["schema"] == SIMPLE["schema"]
    draft["schema"]["required"].append("batch")
    draft["schema"]["properties"]["batch"] = {"type": "string", "title": "批号", "x-en": "Batch"}
    path.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # The draft in forms/ is not in force: records are still filed on A/0, without the new field.
    assert forms.current_form(app, SIMPLE_FORM)["edition"] == "A/0"
    assert _file(app)["form_edition"] == "A/0"
    _doc(app, "zhou", "submit", SIMPLE_FORM, "--reviewer", "li", password=True)
    _doc(app, "li", "review", SIMPLE_FORM, "--accept", "--comment", "ok", password=True)
    _doc(app, "wang", "approve", SIMPLE_FORM, password=True)
    assert _file(app)["form_edition"] == "A/0"
    _doc(app, "zhou", "issue", SIMPLE_FORM, "--effective", "2026-10-12")
    assert _file(app)["form_edition"] == "A/0"  # issued, effective on the 12th
    from qms import clock

    with clock.frozen_at("2026-10-12T09:00:00"):
        with pytest.raises(ValidationFailed, match="batch"):
            _file(app)
        new = _file(app, batch="B-7")
        assert _doc(app, "zhou", "show", SIMPLE_FORM, "--rev", "A/0")["state"] == "superseded"
    assert new["form_edition"] == "A/1"


def test_a_hand_edit_of_an_issued_form_changes_nothing_filed_and_is_reported(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _doc(app, "zhou", "new", SIMPLE_FORM)
    _through(app)
    path = app.workspace.forms / f"{SIMPLE_FORM}.yaml"
    changed = yaml.safe_load(path.read_text(encoding="utf-8"))
    changed["schema"]["properties"]["subject"]["minLength"] = 50
    path.write_text(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert _file(app)["form_edition"] == "A/0"  # the approved A/0, not the edited file
    assert any(p.startswith(f"forms/{SIMPLE_FORM}.yaml: changed on disk after") for p in run_checks(app))


def test_form_control_shows_in_form_show_and_the_form_document_renders(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    shown = json.loads(run(app, ["form", "show", SIMPLE_FORM, "--json"]).output)
    assert shown["control"]["state"] is None
    _doc(app, "zhou", "new", SIMPLE_FORM)
    _through(app)
    shown = json.loads(run(app, ["form", "show", SIMPLE_FORM, "--json"]).output)
    assert shown["control"] == {"state": "effective", "edition": "A/0", "label": "受控 effective", "latest": "A/0"}
    assert "受控 effective" in run(app, ["form", "show", SIMPLE_FORM]).output
    listed = {r["number"]: r for r in json.loads(run(app, ["form", "list", "--json"]).output)}
    assert listed[SIMPLE_FORM]["control"]["edition"] == "A/0" and listed[SIMPLE_FORM]["refusal"] is None
    out = tmp_path / "form.pdf"
    result = run(app, ["--as", "li", "doc", "pdf", SIMPLE_FORM, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert SIMPLE_FORM in text and "subject" in text and "受控" in text
    assert "F O R M" in text and "P R O C E D U R E" not in text  # the heading is letter-spaced


def test_demo_step_issues_every_form_before_the_first_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qms.demo import core_steps, run_demo
    from qms.document_reviews import tamper_problems
    from qms.host import Host, make_plugin_manager
    from qms.verify import verify_store

    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    monkeypatch.setattr("qms.users._N", 2**4)
    monkeypatch.setattr("qms.demo.demo_steps", lambda host: [s for s in core_steps() if s[1].__name__ in
                                                             ("step_users", "step_documents", "step_forms")])
    app = run_demo(tmp_path / "demo", Host(make_plugin_manager(entrypoints=False))).app
    listed = forms.list_forms(app)
    assert listed and [(f["number"], forms_control(app, f["number"])) for f in listed if forms_control(app, f["number"]) != ("effective", f["edition"], "2026-01-05")] == []
    assert [p for p in run_checks(app) if "not in force" in p] == []
    # A record filed in the demo year before the procedures' revision is pinned to what was in force then.
    from qms import clock

    with clock.frozen_at("2026-03-02T10:00:00"):
        filed = records.file(app.acting_as("zhao"), "QR-8.2-01", {
            "received_at": "2026-03-02T09:30:00", "channel": "电话", "customer": "华美家具", "content": "色差"})
    in_force = forms.current_form(app, "QR-8.2-01")["edition"]
    assert (filed["form_edition"], filed["procedure_edition"]) == (in_force, "A/0")
    assert verify_store(app.store, app.workspace.root).ok and tamper_problems(app) == []


def forms_control(app: App, number: str) -> tuple[str, str, str]:
    rev = documents.get_revision(app, number)
    return rev["state"], rev["edition"], rev["effective_date"]
