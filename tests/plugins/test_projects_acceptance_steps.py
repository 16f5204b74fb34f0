"""A quality acceptance names a work step of the stage it is recorded in (the stage's list in the project template)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from projects_kit import NOW, PASSWORD, as_, make_app
from qms_projects import forms as f
from qms_projects import project_templates as tpl
from qms_projects import service

from qms import records
from qms.app import App
from qms.cli import make_cli
from qms.errors import ValidationFailed


@pytest.fixture
def materials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    """A fit-out project XM-2026-0001 in stage 3 (材料进场验收), baseline approved."""
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path, "fitout-materials")


def _stored(app: App) -> list[str]:
    return sorted(app.store.keys("records"))


def test_an_acceptance_step_of_another_stage_is_refused_listing_the_stages_steps(materials: App,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = materials
    before = _stored(app)
    monkeypatch.setenv("QMS_NOW", "2026-10-15T10:00:00")
    with pytest.raises(ValidationFailed) as refused:
        service.accept(as_(app, "ma"), "XM-2026-0001", step="卫生间闭水试验（48小时）", grade="合格", inspector="马监理",
                       password=PASSWORD)
    assert str(refused.value).count("\n") == 0
    assert ("step (工序 Work step): 卫生间闭水试验（48小时） is not an acceptance step of stage 材料进场验收 "
            "Materials-arrival acceptance; its steps are: 瓷砖进场验收, 板材进场验收, 水电材料进场验收, 洁具和五金进场验收"
            ) in str(refused.value)
    assert _stored(app) == before
    # A step of the stage, by its Chinese or English name, is accepted and filed by its Chinese name.
    done = service.accept(as_(app, "ma"), "XM-2026-0001", step="瓷砖进场验收", grade="合格", inspector="马监理",
                          password=PASSWORD)
    assert done["acceptance"]["state"] == "signed"
    english = service.accept(as_(app, "ma"), "XM-2026-0001", step="Board arrival", grade="良好", inspector="马监理",
                             password=PASSWORD)
    assert english["acceptance"]["data"]["step"] == "板材进场验收"


def test_the_cli_refusal_is_one_line_and_a_step_cannot_be_moved_to_another_stage_later(
        materials: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app = materials
    monkeypatch.setenv("QMS_NOW", "2026-10-15T10:00:00")
    before = _stored(app)
    result = CliRunner().invoke(make_cli(app.host), [
        "--workspace", str(app.workspace.root), "--as", "ma", "projects", "accept", "XM-2026-0001", "--step", "水电管线隐蔽验收",
        "--grade", "合格", "--inspector", "马监理"])
    assert result.exit_code == 1
    # Refused before the password is asked: the only line is the refusal.
    assert result.output.splitlines() == [
        "Error: XM-2026-0001: 水电管线隐蔽验收 is not an acceptance step of stage 材料进场验收 Materials-arrival acceptance; "
        "its steps are: 瓷砖进场验收, 板材进场验收, 水电材料进场验收, 洁具和五金进场验收"]
    assert _stored(app) == before
    ys = records.file(as_(app, "ma"), f.ACCEPTANCE, {"project": "XM-2026-0001", "stage": "materials", "step": "板材进场验收",
                                                     "grade": "合格", "inspector": "马监理",
                                                     "inspected_at": "2026-10-15T10:00:00"})["number"]
    with pytest.raises(ValidationFailed, match="水电管线隐蔽验收 is not an acceptance step of stage 材料进场验收"):
        records.update(as_(app, "ma"), ys, {"step": "水电管线隐蔽验收"})


def test_every_shipped_stage_with_acceptance_lists_its_steps_and_the_demo_uses_them() -> None:
    for template in tpl.list_templates(None):
        full = tpl.load(None, template["id"])
        for stage in full["stages"]:
            if stage.get("acceptance") == "required":
                assert stage.get("acceptance_steps"), (template["id"], stage["id"])
    broken = {**tpl.load(None, "fit-out")}
    broken["stages"] = [dict(s) for s in broken["stages"]]
    broken["stages"][2]["acceptance_steps"] = [{"title": "瓷砖进场验收", "title_en": "Tile arrival"},
                                               {"title": "瓷砖进场验收", "title_en": "Tiles"}]
    assert tpl.template_problems(broken, "fit-out.yaml") == [
        "fit-out.yaml: stages/2 (materials): acceptance step 瓷砖进场验收 is listed twice"]


def test_an_inspection_project_has_no_work_steps_to_accept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from projects_kit import inspection

    monkeypatch.setenv("QMS_NOW", NOW)
    app = make_app(tmp_path)
    xm = inspection(app)
    before = _stored(app)
    with pytest.raises(ValidationFailed, match="this stage has no quality acceptance of work steps"):
        service.accept(as_(app, "song"), xm, step="卫生间闭水试验（48小时）", grade="合格", inspector="宋检验", password=PASSWORD)
    assert _stored(app) == before
