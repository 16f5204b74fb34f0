"""The fifth procedure, written against ``qms.api`` alone: a training record plugin in ``tests/example_plugin``.

It is tested the way a company would test its own plugin: with the ``qms.testing`` fixtures
(``qms_app``, ``as_user``, ``frozen_clock``, ``file_record``), its form copied into the workspace.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from qms import clock, records
from qms.app import App
from qms.cli import make_cli
from qms.due import due_items
from qms.errors import Refused, ValidationFailed
from qms.testing import PASSWORD

EXAMPLE = Path(__file__).resolve().parent / "example_plugin"
sys.path.insert(0, str(EXAMPLE))

import qms_training.hooks  # noqa: E402

FORM = "QR-7.2-01"
USERS = (("admin", "admin", "质量管理部", "系统管理员"), ("li", "quality_officer", "品质部", "李品质"),
         ("zhou", "quality_officer", "质量管理部", "周讲师"), ("zhao", "department", "业务部", "赵业务"))


@pytest.fixture
def qms_plugins() -> tuple[object, ...]:
    return (qms_training.hooks,)


@pytest.fixture
def qms_users() -> tuple[tuple[str, str, str, str], ...]:
    return USERS


@pytest.fixture
def app(qms_app: App) -> App:
    """The workspace with the plugin's form, as its README tells a company to install it."""
    shutil.copy(EXAMPLE / "qms_training" / "forms" / f"{FORM}.yaml", qms_app.workspace.forms)
    return qms_app


def training(**over: Any) -> dict[str, Any]:
    data = {"topic": "计量器具使用 Use of measuring instruments", "trainer": "zhou", "planned_on": "2026-11-03"}
    data.update(over)
    return data


HELD = {"held_on": "2026-11-04", "attendees": [{"name": "孙设备", "dept": "设备科", "score": 92},
                                               {"name": "<b>钱</b>", "dept": "物业管理部", "score": 85}]}


def test_a_training_is_held_and_evaluated_with_a_signature_by_someone_other_than_the_trainer(
        app: App, file_record: Callable[..., dict[str, Any]], frozen_clock: Callable[[str], None]) -> None:
    frozen_clock("2026-11-04T16:00")
    number = file_record(FORM, training(), by="zhao")["number"]
    assert number == "PX-2026-0001"
    records.update(app.acting_as("zhao"), number, HELD)
    records.move(app.acting_as("zhao"), number, "held")
    records.update(app.acting_as("li"), number, {"evaluation": "考核全部合格 All passed"})
    with pytest.raises(Refused, match="zhou gave this training and may not evaluate it"):
        records.move(app.acting_as("zhou"), number, "evaluated", password=PASSWORD)
    records.move(app.acting_as("li"), number, "evaluated", password=PASSWORD)
    stored = records.get(app, number)
    assert stored["state"] == "evaluated" and stored["closed"]
    assert [s["meaning"] for s in stored["signatures"]] == ["有效性评价 evaluated effective"]


def test_a_department_clerk_may_not_sign_the_evaluation(app: App, file_record: Callable[..., dict[str, Any]]) -> None:
    number = file_record(FORM, {**training(), **HELD, "evaluation": "ok"}, by="zhao", moves=["held"])["number"]
    with pytest.raises(Refused, match="role"):
        records.move(app.acting_as("zhao"), number, "evaluated", password=PASSWORD)
    assert records.get(app, number)["state"] == "held"


def test_a_training_cannot_be_held_before_it_was_planned_nor_list_someone_twice(app: App) -> None:
    with pytest.raises(ValidationFailed) as exc:
        records.file(app.acting_as("zhao"), FORM, training(held_on="2026-11-02",
                                                            attendees=[{"name": "孙"}, {"name": "孙"}]))
    text = str(exc.value)
    assert "must not be earlier than the planned date 2026-11-03" in text and "lists 孙 more than once" in text
    assert records.find(app, form=FORM) == []


def test_the_evaluation_falls_due_twenty_working_days_after_the_training(
        app: App, file_record: Callable[..., dict[str, Any]], frozen_clock: Callable[[str], None]) -> None:
    # Held on Wednesday 2026-09-30: the National Day holiday (10-01..10-07) does not count and the
    # adjusted working Saturday 10-10 does, so the twentieth working day is Tuesday 11-03.
    frozen_clock("2026-10-09")
    number = file_record(FORM, {**training(planned_on="2026-09-30"), **HELD, "held_on": "2026-09-30"},
                         by="zhao", moves=["held"])["number"]
    items = [i for i in due_items(app, now=clock.now()).items if i["kind"] == "training-evaluation"]
    assert [(i["ref"], i["due"]) for i in items] == [(number, "2026-11-03T23:59:59")]


def test_the_record_pdf_carries_the_attendance_sheet_with_user_text_escaped(
        app: App, file_record: Callable[..., dict[str, Any]]) -> None:
    from qms.render.pdf import render_pdf
    from qms.render.sources import record_page_of

    record = file_record(FORM, {**training(), **HELD}, by="zhao", moves=["held"])
    html = record_page_of(app, record).html
    assert "&lt;b&gt;钱&lt;/b&gt;" in html and "<b>钱</b>" not in html
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(record_page_of(app, record)).data)).pages)
    assert "签到表" in text and "Attendance sheet" in text and "孙设备" in text and "92" in text


def test_the_figure_and_the_cli_list(app: App, file_record: Callable[..., dict[str, Any]]) -> None:
    file_record(FORM, training(), by="zhao")
    file_record(FORM, training(topic="5S"), by="li")
    figures = app.host.figures(query=lambda **k: records.find(app, **k), now=clock.now(), calendar=app.calendar,
                               settings={})
    mine = next(f for f in figures if f["id"] == "training.per_department")
    assert mine["data"] == {"labels": ["业务部", "品质部"], "values": [1, 1], "unit": ""}
    argv = ["--workspace", str(app.workspace.root), "training", "list", "--json"]
    result = CliRunner().invoke(make_cli(app.host), argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [r["topic"] for r in json.loads(result.output)] == [training()["topic"], "5S"]


def test_qms_check_reports_the_missing_form(qms_app: App) -> None:
    from qms.checks import run_checks

    assert any("forms/QR-7.2-01.yaml is missing" in p for p in run_checks(qms_app))


def test_the_demo_step_files_a_training(app: App) -> None:
    from qms.demo import DemoContext
    from qms_training.demo import steps

    ctx = DemoContext(app=app)
    [(order, step)] = steps()
    step(ctx)
    assert order == 60 and ctx.lines == ["training: PX-2026-0001"]
    assert records.get(app, "PX-2026-0001")["created_by"] == "li"
