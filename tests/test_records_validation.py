"""Record validation: every problem at once, nested paths, formats, bilingual labels, plugin rules, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from recordkit import (
    FORM_NUMBER,
    TEST_FORM,
    as_user,
    dump,
    good_data,
    make_workspace,
    run,
)

from qms import records, validation
from qms.errors import ValidationFailed


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def test_several_errors_are_reported_at_once_with_paths_and_labels(tmp_path: Path) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    bad = {"received_at": "yesterday", "customer": "", "quantity": 0, "severity": "minor",
           "inspector": {"email": "not-an-email"}, "colour": "red"}
    with pytest.raises(ValidationFailed) as info:
        records.file(app, FORM_NUMBER, bad)
    problems = info.value.problems
    assert "received_at (接收时间 Received at): must be a date and time YYYY-MM-DDTHH:MM:SS, not 'yesterday'" in problems
    assert "customer (客户名称 Customer): must not be empty" in problems
    assert "quantity (数量 Quantity): must be at least 1, not 0" in problems
    assert "severity (严重程度 Severity): must be one of 一般, 重大, not 'minor'" in problems
    assert "inspector.name (姓名 Name): is required 必填" in problems
    assert "inspector.email (电子邮箱 E-mail): must be an e-mail address, not 'not-an-email'" in problems
    assert f"colour: is not a field of form {FORM_NUMBER}; remove it" in problems
    assert len(problems) == 7
    assert app.store.keys("records") == []


def test_formats_are_checked_and_local_times_accepted() -> None:
    form = TEST_FORM
    assert validation.schema_problems(form, good_data(received_at="2026-09-30T10:00")) == []
    assert validation.schema_problems(form, good_data(received_at="2026-09-30 10:00:00+08:00")) == []
    assert validation.schema_problems(form, good_data(closed_at="2026-02-30")) == [
        "closed_at (结案日期 Closed on): must be a date YYYY-MM-DD, not '2026-02-30'"]
    assert validation.schema_problems(form, good_data(received_at="2026-09-30")) == [
        "received_at (接收时间 Received at): must be a date and time YYYY-MM-DDTHH:MM:SS, not '2026-09-30'"]
    assert validation.schema_problems(form, good_data(quantity="2")) == [
        "quantity (数量 Quantity): must be a whole number, not '2'"]


def test_a_plugin_cross_field_rule_is_labelled_and_joins_schema_problems(tmp_path: Path) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    with pytest.raises(ValidationFailed) as info:
        records.file(app, FORM_NUMBER, good_data(closed_at="2026-09-01"))
    assert info.value.problems == [
        "closed_at (结案日期 Closed on): must not be earlier than received_at (接收时间)"]
    with pytest.raises(ValidationFailed) as info:
        records.file(app, FORM_NUMBER, good_data(closed_at="2026-09-01", quantity=-1))
    # The schema problem is reported; the plugin still runs on otherwise schema-valid data.
    assert len(info.value.problems) == 2


def test_cli_prints_one_line_exits_1_and_stores_nothing(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    result = run(app, ["--as", "li", "record", "new", FORM_NUMBER, "--data", "-"],
                 input=dump({"customer": "", "inspector": {}}))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "3 problem(s)" in result.output and "received_at (接收时间 Received at): is required 必填" in result.output
    assert app.store.keys("records") == []


def test_yaml_data_file_with_dates_is_filed(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    data = tmp_path / "r.yaml"
    data.write_text("received_at: 2026-09-30T10:00:00\ncustomer: 甲公司\ninspector: {name: 张检}\nclosed_at: 2026-10-08\n",
                    encoding="utf-8")
    result = run(app, ["--as", "li", "record", "new", FORM_NUMBER, "--data", str(data)])
    assert result.exit_code == 0, result.output
    rec = records.get(app, "TJ-2026-0001")
    assert rec["data"]["received_at"] == "2026-09-30T10:00:00" and rec["data"]["closed_at"] == "2026-10-08"


def test_interactive_prompts_ask_each_field_with_bilingual_labels(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    answers = "\n".join(["2026-09-30T10:00", "乙公司", "3", "一般", '{"name": "王检"}', "", "", "是"]) + "\n"
    result = run(app, ["--as", "li", "record", "new", FORM_NUMBER], input=answers)
    assert result.exit_code == 0, result.output
    assert "接收时间 Received at" in result.output and "检验员 Inspector" in result.output
    rec = records.get(app, "TJ-2026-0001")
    assert rec["data"] == {"received_at": "2026-09-30T10:00", "customer": "乙公司", "quantity": 3, "severity": "一般",
                           "inspector": {"name": "王检"}, "urgent": True}


def test_a_user_without_permission_cannot_file(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    result = run(app, ["--as", "auditor", "record", "new", FORM_NUMBER, "--data", "-"], input=dump(good_data()))
    assert result.exit_code == 1 and "may not file" in result.output
    assert app.store.keys("records") == []
