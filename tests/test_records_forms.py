"""Forms: listing, checking, and records pinned to the form revision they were filed on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from recordkit import (
    FORM_NUMBER,
    SIMPLE,
    TEST_FORM,
    as_user,
    good_data,
    make_workspace,
    run,
    write_form,
)

from qms import forms, records, validation
from qms.app import App
from qms.checks import run_checks
from qms.errors import Refused, ValidationFailed
from qms.workspace import init_workspace


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def test_form_list_and_show(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws", users=False)
    listed = run(app, ["form", "list"])
    assert listed.exit_code == 0
    rows = [line.split() for line in listed.output.splitlines()]
    assert ["QR-9.9-01", "A/0", "TJ", "QP-9.9-01", "测试检验记录", "Test", "Inspection", "Record"] in rows
    shown = run(app, ["form", "show", FORM_NUMBER])
    assert "* received_at" in shown.output and "检验员 Inspector" in shown.output and "one of 一般/重大" in shown.output
    missing = run(app, ["form", "show", "QR-0.0-99"])
    assert missing.exit_code == 2 and "no form 'QR-0.0-99'" in missing.output


def test_form_list_says_so_when_forms_is_empty(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    for path in ws.forms.glob("*.yaml"):
        path.unlink()
    from recordkit import make_host

    result = run(App(ws, make_host()), ["form", "list"])
    assert result.exit_code == 0 and "no forms in forms/" in result.output


def test_check_reports_malformed_forms_and_shared_prefixes(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws", users=False)
    write_form(app.workspace, {**SIMPLE, "number": "QR-9.9-03", "prefix": "TJ"})
    broken = {**SIMPLE, "number": "QR-9.9-04", "prefix": "XX", "edition": 1,
              "schema": {"type": "object", "properties": {"a": {"type": "strin"}}}}
    write_form(app.workspace, broken)
    (app.workspace.forms / "QR-9.9-05.yaml").write_text("number: [unclosed\n", encoding="utf-8")
    problems = [p for p in run_checks(app) if p.startswith("forms/")]
    assert "forms/QR-9.9-03.yaml: record prefix 'TJ' is already used by form QR-9.9-01" in problems
    assert any(p.startswith("forms/QR-9.9-04.yaml: edition 1 must be a quoted string") for p in problems)
    assert any("QR-9.9-04.yaml: schema at properties/a/type is not valid JSON Schema 2020-12" in p for p in problems)
    assert any(p.startswith("forms/QR-9.9-05.yaml line 2: not valid YAML") for p in problems)


def test_a_record_stays_pinned_to_its_form_revision(tmp_path: Path) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    old = records.file(app, FORM_NUMBER, good_data())
    revised = yaml.safe_load(yaml.safe_dump(TEST_FORM))
    revised["edition"] = "A/1"
    revised["schema"]["required"].append("batch")
    revised["schema"]["properties"]["batch"] = {"type": "string", "title": "批号", "x-en": "Batch"}
    revised["schema"]["properties"]["quantity"]["minimum"] = 5
    write_form(app.workspace, revised)
    # New records need the new field; the old record is still valid against its own edition.
    with pytest.raises(ValidationFailed, match=r"batch \(批号 Batch\): is required"):
        records.file(app, FORM_NUMBER, good_data())
    new = records.file(app, FORM_NUMBER, good_data(batch="B-7", quantity=5))
    assert (old["form_edition"], new["form_edition"]) == ("A/0", "A/1")
    old_form = records.pinned_form(app, records.get(app, old["number"]))
    assert "batch" not in old_form["schema"]["properties"]
    assert validation.problems(app, old_form, old["data"]) == []
    updated = records.update(app, old["number"], {"analysis": "来料不良"})
    assert updated["form_edition"] == "A/0"
    assert forms.pinned_editions(app, FORM_NUMBER) == ["A/0", "A/1"]
    assert "A/0, A/1" in run(app, ["form", "show", FORM_NUMBER]).output


def test_editing_a_used_form_without_raising_its_edition_is_refused(tmp_path: Path) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    records.file(app, FORM_NUMBER, good_data())
    changed = yaml.safe_load(yaml.safe_dump(TEST_FORM))
    changed["title"] = "测试检验记录（改）"
    write_form(app.workspace, changed)
    with pytest.raises(Refused, match="raise the edition"):
        records.file(app, FORM_NUMBER, good_data())
    assert len(app.store.keys("records")) == 1
