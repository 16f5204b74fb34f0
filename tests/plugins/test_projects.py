"""QP-8.3-01 project lifecycle: templates, gate ordering, signatures, roll-ups, rectification, change control, time limits."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from projects_kit import NOW, PASSWORD, as_, demo, fitout, inspection, make_app, record
from qms_projects import due, figures, gates, service
from qms_projects import forms as f
from qms_projects import progress as pg
from qms_projects import project_templates as tpl

from qms import records
from qms.app import App
from qms.cli import make_cli
from qms.due import due_items
from qms.errors import Refused, ValidationFailed
from qms.recordquery import record_query
from qms.dates import WorkCalendar


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path)


@pytest.fixture
def materials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    """A fit-out project XM-2026-0001 in stage 3 (材料进场验收), baseline approved."""
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path, "fitout-materials")


def at(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    monkeypatch.setenv("QMS_NOW", moment)


def run(app: App, *args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(make_cli(app.host), ["--workspace", str(app.workspace.root), *args], input=input,
                              catch_exceptions=False)


def facts(app: App, number: str) -> pg.Facts:
    return service.facts(app, number)


# -- templates ---------------------------------------------------------------------------------


def test_shipped_templates_are_valid_and_model_the_seeds() -> None:
    found = {t["id"]: t for t in tpl.list_templates(None)}
    assert set(found) == {"systems-integration", "fit-out", "inspection"}
    assert tpl.all_problems(None) == []
    si = found["systems-integration"]
    text = json.dumps(si, ensure_ascii=False)
    assert "围标" not in text and "陪标" not in text and "渠道" not in text  # bid rigging is not modelled
    leads = [s["lead"] for s in si["stages"]]
    assert leads[0] == "sales" and leads[1] == "presales" and leads[leads.index("pm") - 1] == "presales"
    ids = [s["id"] for s in si["stages"]]
    assert ids.index("bid_review") < ids.index("pricing")  # 质量管理部 reviews before pricing
    fit = found["fit-out"]
    assert [s["title"] for s in fit["stages"] if s.get("acceptance") == "required"] == ["材料进场验收", "隐蔽工程验收", "防水验收", "中期验收", "竣工验收"]
    briefing = next(s for s in fit["stages"] if s["id"] == "briefing")
    assert briefing["limit"] == "24h" and set(briefing["signatures"]) == {"supervisor", "designer", "foreman", "customer"}
    assert {s["payment"]["id"] for s in fit["stages"] if s.get("payment")} == {"midterm", "final"}
    insp = found["inspection"]
    assert [tpl.stage_limit(s, {}) for s in insp["stages"]] == ["1wd", "1wd", "1wd", "1wd", "3wd", "3wd"]
    assert [tpl.stage_limit(s, {"major_overhaul": True}) for s in insp["stages"]][4:] == ["10wd", "10wd"]


def test_a_bad_template_is_named_by_qms_check_and_a_workspace_template_overrides(app: App) -> None:
    folder = app.workspace.root / "project-templates"
    folder.mkdir()
    shipped = yaml.safe_load((tpl.PACKAGE_DIR / "fit-out.yaml").read_text(encoding="utf-8"))
    shipped["edition"] = "A/1"
    shipped["stages"][0]["title"] = "接受任务（本公司）"
    (folder / "fit-out.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    assert tpl.load(app.workspace.root, "fit-out")["edition"] == "A/1"
    assert tpl.all_problems(app.workspace.root) == []
    broken = dict(shipped, id="broken")
    broken["stages"] = [dict(shipped["stages"][0], lead="nobody", signatures=["ghost"])]
    (folder / "broken.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    result = run(app, "check")
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "'nobody' is not among the posts" in result.output
    assert "signature post 'ghost'" in result.output
    assert "'stages' is a required property" in tpl.template_problems({"id": "x", "title": "x", "title_en": "x",
                                                                        "edition": "A/0", "posts": [{"id": "a", "title": "a", "title_en": "a"}]})[0]


def test_a_project_keeps_the_template_edition_it_was_registered_with(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = fitout(app)
    folder = app.workspace.root / "project-templates"
    folder.mkdir()
    shipped = yaml.safe_load((tpl.PACKAGE_DIR / "fit-out.yaml").read_text(encoding="utf-8"))
    (folder / "fit-out.yaml").write_text(yaml.safe_dump(dict(shipped, edition="B/0", stages=shipped["stages"][:2]),
                                                        allow_unicode=True), encoding="utf-8")
    assert len(facts(app, xm).template["stages"]) == 8 and facts(app, xm).data["template_edition"] == "A/1"
    with pytest.raises(ValidationFailed, match="cannot change after registration"):
        records.update(as_(app, "guo"), xm, {"template_edition": "B/0"})


def test_a_project_is_registered_only_with_its_template(app: App) -> None:
    result = run(app, "--as", "wu", "record", "new", f.PROJECT, "--set", "name=X", "--set", "customer=Y",
                 "--set", "template=fit-out", "--set", "template_edition=A/0", "--set", "manager=wu",
                 "--set", "template_snapshot={}")
    assert result.exit_code != 0
    assert "qms projects new" in result.output
    result = run(app, "--as", "guo", "projects", "new", "--template", "fit-out", "--name", "3-201", "--customer", "刘先生",
                 "--manager", "guo", "--team", "foreman=guo", "--team", "customer=刘先生")
    assert result.exit_code == 1 and "briefing_at" in result.output  # the fit-out template needs the briefing time
    assert records.list_records(app, f.PROJECT) == []


# -- gate ordering, deliverables, signatures, hand-overs ---------------------------------------


def test_no_stage_before_the_previous_gate_with_every_deliverable_and_signature(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = inspection(app)
    fang, tang = as_(app, "fang"), as_(app, "tang")
    with pytest.raises(ValidationFailed, match=r"stage 2 委托指令 Commission instruction cannot start before the gate of stage 1"):
        records.file(fang, f.GATE, {"project": xm, "stage": "instruction"})
    with pytest.raises(ValidationFailed, match="cannot start before the gate of stage 1"):
        records.file(fang, f.ACCEPTANCE, {"project": xm, "stage": "planning", "step": "x", "grade": "合格",
                                          "inspected_at": NOW, "inspector": "x"})
    at(monkeypatch, "2026-09-30T11:00:00")
    gate = service.open_gate(fang, xm, decision="通过")["number"]
    with pytest.raises(Refused, match=r"deliverables missing: 商务编号 Business number"):
        records.move(fang, gate, "review")
    records.update(fang, xm, {"business_no": "SW-2026-0001"})
    with pytest.raises(ValidationFailed, match="still open"):
        service.open_gate(fang, xm, decision="通过")  # one open gate review at a time
    records.move(fang, gate, "review")
    with pytest.raises(ValidationFailed, match="cannot be edited"):
        records.update(fang, gate, {"opinion": "补充"})
    with pytest.raises(Refused, match="holds no unsigned post"):
        records.move(tang, gate, "review", password=PASSWORD)
    with pytest.raises(Refused, match=r"signatures missing: 商务部 Commercial Dept"):
        records.move(fang, gate, "decided")
    with pytest.raises(ValidationFailed, match="recorded by signing"):
        records.update(fang, gate, {"signoffs": [{"name": "fang", "at": NOW}]})
    result = records.move(fang, gate, "review", password=PASSWORD)
    assert [e["effect"] for e in result["effects"]] == ["update", "move"] and all(e["applied"] for e in result["effects"])
    decided = record(app, gate)
    assert decided["state"] == "decided" and decided["closed"]
    assert [s["name"] for s in decided["data"]["signoffs"]] == ["fang"]
    assert [s["meaning"] for s in decided["signatures"]] == [f.SIGN_GATE]
    handover = record(app, xm)["data"]["handovers"]
    assert handover == [{"stage": "instruction", "from": "fang", "to": "he", "at": "2026-09-30T11:00:00", "gate": gate}]
    assert pg.progress(facts(app, xm)).index == 1
    with pytest.raises(ValidationFailed, match="already past its gate"):
        records.file(fang, f.GATE, {"project": xm, "stage": "registration"})
    with pytest.raises(ValidationFailed, match="issued as 'SW-2026-0001'"):
        records.update(fang, xm, {"business_no": "SW-2026-0002"})
    with pytest.raises(ValidationFailed, match="hand-over is recorded only"):
        records.update(fang, xm, {"handovers": [*handover, {**handover[0], "stage": "lead_assignment"}]})


def test_external_parties_sign_on_paper_and_each_person_signs_once(materials: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app = materials
    xm = "XM-2026-0001"
    briefing = next(g for g in records.list_records(app, f.GATE) if g["data"]["stage"] == "briefing")
    assert briefing["data"]["external_signoffs"][0]["name"] == "刘先生"
    assert {s["name"] for s in briefing["data"]["signoffs"]} == {"ma", "lin", "guo"}
    d = demo(app)
    d.accept(xm, "2026-10-15T10:00:00", "ma", "瓷砖进场验收", "合格")
    at(monkeypatch, "2026-10-15T15:00:00")
    guo = as_(app, "guo")
    gate = service.open_gate(guo, xm, provided={"materials_record": "CL-01"}, decision="通过")["number"]
    records.move(guo, gate, "review")
    records.move(as_(app, "ma"), gate, "review", password=PASSWORD)
    with pytest.raises(Refused, match="has already signed"):
        records.move(as_(app, "ma"), gate, "review", password=PASSWORD)
    records.move(guo, gate, "review", password=PASSWORD)
    assert record(app, gate)["state"] == "review"  # the customer has not signed (on paper)
    with pytest.raises(Refused, match=r"signatures missing: 客户 Customer（纸面签字 on paper）"):
        records.move(guo, gate, "decided")
    records.move(guo, gate, "withdrawn")
    gate = service.open_gate(guo, xm, provided={"materials_record": "CL-01"}, decision="通过",
                             external=[{"post": "customer", "name": "刘先生", "signed_on": "2026-10-15T15:30:00"}])["number"]
    with pytest.raises(Refused, match="submitted by the stage lead guo"):
        records.move(as_(app, "ma"), gate, "review")
    records.move(guo, gate, "review")
    records.move(as_(app, "ma"), gate, "review", password=PASSWORD)
    records.move(guo, gate, "review", password=PASSWORD)
    assert record(app, gate)["state"] == "decided"
    assert pg.current_stage(facts(app, xm))["id"] == "concealed"


def test_a_busy_lead_needs_the_chief_directors_consent_and_a_lead_needs_a_qualification(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    # 吴项目 leads an unfinished fit-out project (stage 1 is led by its foreman).
    at(monkeypatch, "2026-09-29T09:00:00")
    other = service.register(as_(app, "wu"), "fit-out", name="另一项目", customer="客户", manager="wu",
                             team=[{"post": "foreman", "user": "wu"}], fields={"briefing_at": "2026-10-12T09:00:00"})["number"]
    busy = inspection(app, lead="wu", qualification="")
    free = inspection(app, lead="song")
    d = demo(app)
    for xm in (busy, free):
        d.update("fang", "2026-09-30T10:40:00", xm, {"business_no": f"SW-{xm}"})
        d.gate(xm, "2026-09-30T11:00:00", "fang", ["fang"])
        d.gate(xm, "2026-09-30T14:00:00", "he", ["he"])
        d.update("tang", "2026-09-30T14:30:00", xm, {"serial_no": f"JY-{xm}"})
    stage = pg.current_stage(facts(app, busy))
    posts, why = gates.required_posts(record_query(app), facts(app, busy), stage)
    assert posts == ["dept_head", "chief_director"] and other in why and "wu" in why
    assert gates.required_posts(record_query(app), facts(app, free), stage) == (["dept_head"], "")
    at(monkeypatch, "2026-09-30T15:00:00")
    gate = service.open_gate(as_(app, "tang"), busy, decision="通过")["number"]
    with pytest.raises(Refused, match=r"项目负责人 Project lead: no qualification \(资质\) recorded"):
        records.move(as_(app, "tang"), gate, "review")
    team = [dict(m, qualification="压力容器检验师") if m["post"] == "lead" else m for m in record(app, busy)["data"]["team"]]
    records.update(as_(app, "tang"), busy, {"team": team})
    records.move(as_(app, "tang"), gate, "review")
    records.move(as_(app, "tang"), gate, "review", password=PASSWORD)
    assert record(app, gate)["state"] == "review"
    with pytest.raises(Refused, match="总师办主任 Chief engineer's office director"):
        records.move(as_(app, "tang"), gate, "decided")
    records.move(as_(app, "he"), gate, "review", password=PASSWORD)
    assert record(app, gate)["state"] == "decided"
    d.gate(free, "2026-09-30T15:00:00", "tang", ["tang"])  # a free lead: the department head alone


def test_hold_resume_and_stop_then_close_out(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = inspection(app)
    d = demo(app)
    d.update("fang", "2026-09-30T10:40:00", xm, {"business_no": "SW-1"})
    with pytest.raises(Refused, match="a hold \\(暂停\\) needs the condition to resume"):
        d.gate(xm, "2026-09-30T11:00:00", "fang", ["fang"], decision="暂停")
    records.move(as_(app, "fang"), records.list_records(app, f.GATE)[0]["number"], "withdrawn")
    at(monkeypatch, "2026-09-30T11:30:00")
    hold = service.open_gate(as_(app, "fang"), xm, decision="暂停", extra={"resume_condition": "甲方补交委托书"})["number"]
    records.move(as_(app, "fang"), hold, "review")
    records.move(as_(app, "fang"), hold, "review", password=PASSWORD)
    assert pg.status_label(facts(app, xm)).startswith("暂停") and pg.progress(facts(app, xm)).index == 0
    assert not [i for i in due.items(record_query(app), datetime(2026, 11, 2)) if i["ref"] == xm]
    at(monkeypatch, "2026-10-09T10:00:00")
    stop = service.open_gate(as_(app, "fang"), xm, decision="终止", extra={"termination_reason": "甲方取消委托"})["number"]
    records.move(as_(app, "fang"), stop, "review")
    records.move(as_(app, "fang"), stop, "review", password=PASSWORD)
    assert pg.status_label(facts(app, xm)).startswith("已终止")
    with pytest.raises(ValidationFailed, match="was stopped by"):
        records.file(as_(app, "fang"), f.GATE, {"project": xm, "stage": "registration"})
    with pytest.raises(ValidationFailed, match="a completed close-out needs every gate passed"):
        records.file(as_(app, "fang"), f.CLOSEOUT, {"project": xm, "outcome": "完成", "summary": "x"})
    jx = records.file(as_(app, "fang"), f.CLOSEOUT, {"project": xm, "outcome": "终止", "summary": "委托取消",
                                                     "termination_reason": "甲方取消委托，未开展检验"})["number"]
    with pytest.raises(Refused, match="closed by approving its close-out"):
        records.move(as_(app, "wang"), xm, "closed")
    records.move(as_(app, "wang"), jx, "approved", password=PASSWORD)
    assert record(app, xm)["state"] == "closed" and record(app, jx)["state"] == "archived"
    assert pg.status_label(facts(app, xm)) == "已结项 Closed"


# -- change control ---------------------------------------------------------------------------


def test_change_control_committee_rebaseline_and_history(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, "2026-03-02T09:00:00")
    xm = service.register(app, "systems-integration", name="园区安防", customer="管委会", manager="wu",
                          team=[{"post": "sales", "user": "zhao"}, {"post": "presales", "user": "xu"}],
                          baseline={"scope": "视频监控 120 路", "start": "2026-04-01", "finish": "2026-10-31", "budget": 1200000})["number"]
    change = {"project": xm, "reason": "增加停车场", "description": "增加 16 路",
              "proposed": {"scope": "视频监控 136 路", "start": "2026-04-01", "finish": "2026-11-15", "budget": 1280000}}
    with pytest.raises(ValidationFailed, match="baseline of .* is not approved yet"):
        records.file(as_(app, "wu"), f.CHANGE, change)
    with pytest.raises(Refused, match="registered the project and may not approve its baseline"):
        records.move(app, xm, "active", password=PASSWORD)
    records.update(as_(app, "xu"), xm, {"baseline": {**record(app, xm)["data"]["baseline"], "budget": 1210000}})  # free before approval
    records.move(as_(app, "wang"), xm, "active", password=PASSWORD)
    history = record(app, xm)["data"]["baselines"]
    assert [(b["version"], b["budget"], b["approved_by"], b["change"]) for b in history] == [(1, 1210000, "wang", None)]
    with pytest.raises(ValidationFailed, match="file a change request"):
        records.update(as_(app, "xu"), xm, {"baseline": {**record(app, xm)["data"]["baseline"], "budget": 1}})
    with pytest.raises(ValidationFailed, match="baseline history only grows"):
        records.update(as_(app, "xu"), xm, {"baselines": [{**history[0], "budget": 1}]})
    with pytest.raises(ValidationFailed, match="needs its approval signature"):
        records.update(as_(app, "xu"), xm, {"baselines": [*history, {**history[0], "version": 2}]})
    with pytest.raises(Refused, match="only through a change request"):
        records.move(as_(app, "wang"), xm, "change")
    bg = records.file(as_(app, "wu"), f.CHANGE, change)["number"]
    records.move(as_(app, "wu"), bg, "submitted")
    with pytest.raises(Refused, match="approves with 2 members; 1 would have signed"):
        records.move(as_(app, "wang"), bg, "approved", password=PASSWORD)
    with pytest.raises(Refused, match="is not a member of the 决策委员会"):
        records.move(app, bg, "submitted", password=PASSWORD)  # admin is no committee member
    records.move(as_(app, "chen"), bg, "submitted", password=PASSWORD)
    result = records.move(as_(app, "wang"), bg, "approved", password=PASSWORD)
    assert all(e["applied"] for e in result["effects"]), result["effects"]
    project = record(app, xm)
    assert project["state"] == "change" and project["data"]["baseline"] == change["proposed"]
    at(monkeypatch, "2026-03-06T10:00:00")
    gate = service.open_gate(as_(app, "zhao"), xm, provided={"feasibility_report": "KX-1"}, decision="通过")["number"]
    with pytest.raises(Refused, match="being re-baselined"):
        records.move(as_(app, "zhao"), gate, "review")
    with pytest.raises(ValidationFailed, match="still being decided or re-baselined"):
        records.file(as_(app, "wu"), f.CHANGE, change)
    records.move(as_(app, "chen"), xm, "active", password=PASSWORD)
    baselines = record(app, xm)["data"]["baselines"]
    assert [(b["version"], b["budget"], b["finish"], b["change"]) for b in baselines] == [
        (1, 1210000, "2026-10-31", None), (2, 1280000, "2026-11-15", bg)]
    assert [s["meaning"] for s in record(app, xm)["signatures"]] == [f.SIGN_BASELINE, f.SIGN_REBASELINE]
    records.move(as_(app, "zhao"), gate, "review")  # gates resume once the baseline is re-approved


# -- acceptance, rectification, conditions, payments ------------------------------------------


def test_a_failed_step_opens_a_rectification_order_that_blocks_the_gate(materials: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app = materials
    xm = "XM-2026-0001"
    d = demo(app)
    with pytest.raises(ValidationFailed, match="findings .*is required when a step fails"):
        records.file(as_(app, "ma"), f.ACCEPTANCE, {"project": xm, "stage": "materials", "step": "板材", "grade": "不合格",
                                                    "inspected_at": NOW, "inspector": "马监理"})
    result = d.accept(xm, "2026-10-15T10:00:00", "ma", "板材进场验收", "不合格", findings="含水率超标",
                      treatment="退场更换", responsible="guo", rectify_by="2026-10-17T18:00:00")
    zg = result["rectification"]["number"]
    assert result["acceptance"]["state"] == "signed" and record(app, zg)["data"]["acceptance"] == result["acceptance"]["number"]
    at(monkeypatch, "2026-10-16T09:00:00")
    guo = as_(app, "guo")
    gate = service.open_gate(guo, xm, provided={"materials_record": "CL-01"}, decision="通过",
                             external=[{"post": "customer", "name": "刘先生", "signed_on": "2026-10-16T09:00:00"}])["number"]
    with pytest.raises(Refused, match=f"rectification order {zg} is open"):
        records.move(guo, gate, "review")
    items = {i["ref"]: i for i in due_items(app, datetime(2026, 10, 18)).items}
    assert items[zg]["overdue"] and items[zg]["due"] == "2026-10-17T18:00:00"
    records.update(guo, zg, {"measures": "板材退场，换货复检", "done_at": "2026-10-16T17:00:00"})
    records.move(guo, zg, "rectified")
    records.update(as_(app, "ma"), zg, {"reinspection_grade": "不合格", "reinspected_at": "2026-10-17T09:00:00"})
    with pytest.raises(Refused, match="re-inspection failed"):
        records.move(as_(app, "ma"), zg, "verified", password=PASSWORD)
    records.update(as_(app, "ma"), zg, {"reinspection_grade": "合格"})
    with pytest.raises(Refused, match="responsible for the rectification and may not verify it"):
        records.move(guo, zg, "verified", password=PASSWORD)
    records.move(as_(app, "ma"), zg, "verified", password=PASSWORD)
    records.move(guo, gate, "review")  # nothing blocks the gate any more
    grade = pg.final_grade(facts(app, xm))
    assert grade == "合格"  # rectified, but the failure stays in the 优良率


def test_a_conditional_pass_carries_conditions_as_due_items_until_closed(materials: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app = materials
    xm = "XM-2026-0001"
    d = demo(app)
    d.accept(xm, "2026-10-15T10:00:00", "ma", "瓷砖进场验收", "良好")
    with pytest.raises(Refused, match="conditional pass .* needs its conditions"):
        d.gate(xm, "2026-10-15T15:00:00", "guo", ["ma", "guo"], external=[("customer", "刘先生")], decision="有条件通过")
    records.move(as_(app, "guo"), records.list_records(app, f.GATE, "draft")[0]["number"], "withdrawn")
    gate = d.gate(xm, "2026-10-15T16:00:00", "guo", ["ma", "guo"], external=[("customer", "刘先生")], decision="有条件通过",
                  conditions=[{"text": "补交瓷砖检测报告", "owner": "guo", "due": "2026-10-20"}])
    conditions = record(app, xm)["data"]["conditions"]
    assert conditions == [{"gate": gate, "stage": "materials", "text": "补交瓷砖检测报告", "owner": "guo", "due": "2026-10-20"}]
    item = next(i for i in due_items(app, datetime(2026, 10, 21)).items if i.get("gate") == gate)
    assert item["overdue"] and item["due"] == "2026-10-20T23:59:59" and item["owner"] == "guo"
    d.accept(xm, "2026-10-18T10:00:00", "ma", "水电管线隐蔽验收", "优等")
    at(monkeypatch, "2026-10-18T15:00:00")
    nxt = service.open_gate(as_(app, "guo"), xm, provided={"concealed_record": "YB-1"}, decision="通过",
                            external=[{"post": "customer", "name": "刘先生", "signed_on": "2026-10-18T15:00:00"}])["number"]
    with pytest.raises(Refused, match="condition of .* still open: 补交瓷砖检测报告"):
        records.move(as_(app, "guo"), nxt, "review")
    with pytest.raises(ValidationFailed, match="conditions are added only by a decided gate review"):
        records.update(as_(app, "guo"), xm, {"conditions": [*conditions, {**conditions[0], "gate": nxt}]})
    with pytest.raises(ValidationFailed, match="only closed_on and closed_note"):
        records.update(as_(app, "guo"), xm, {"conditions": [{**conditions[0], "due": "2026-12-31"}]})
    result = run(app, "--as", "guo", "projects", "condition", xm, "1", "--how", "检测报告已归档")
    assert result.exit_code == 0, result.output
    assert record(app, xm)["data"]["conditions"][0]["closed_note"] == "检测报告已归档"
    assert not [i for i in due_items(app, datetime(2026, 10, 21)).items if i.get("gate") == gate]
    records.move(as_(app, "guo"), nxt, "review")


def test_payments_are_tied_to_gates(materials: App) -> None:
    app = materials
    xm = "XM-2026-0001"
    with pytest.raises(ValidationFailed, match=r"中期款 Mid-term payment falls due only when the gate of 中期验收"):
        service.record_payment(as_(app, "guo"), xm, "midterm", 48000, "2026-10-16")
    with pytest.raises(ValidationFailed, match="not a payment of the template"):
        service.record_payment(as_(app, "guo"), xm, "deposit", 1000, "2026-10-16")
    pf = facts(app, xm)
    completion = next(s for s in pf.template["stages"] if s["id"] == "completion")
    assert "payment 中期款 Mid-term payment has not been received" in gates.pass_problems(pf, completion, {})
    pf.project["data"]["payments"] = [{"payment": "midterm", "amount": 48000, "received_on": "2026-11-20"}]
    assert not any("payment" in p for p in gates.pass_problems(pf, completion, {}))


def test_acceptance_rolls_up_per_stage_into_rates_and_a_final_grade() -> None:
    def ys(number: str, stage: str, grade: str, state: str = "signed") -> dict[str, Any]:
        return {"number": number, "state": state, "data": {"stage": stage, "grade": grade, "step": number}}

    rows = [ys("YS-1", "a", "优等"), ys("YS-2", "a", "良好"), ys("YS-3", "a", "合格"), ys("YS-4", "a", "不合格"),
            ys("YS-5", "a", "优等", state="recorded")]
    rolled = pg.rollup(rows)
    assert rolled["total"] == 4 and rolled["counts"] == {"不合格": 1, "合格": 1, "良好": 1, "优等": 1}
    assert rolled["pass_rate"] == 0.75 and rolled["excellent_rate"] == 0.5
    template = {"stages": [{"id": "a", "title": "甲", "title_en": "A"}, {"id": "b", "title": "乙", "title_en": "B"}],
                "posts": [], "excellent_rate": 0.8}
    project = {"number": "XM-1", "state": "active", "data": {"template_snapshot": template}}
    facts_ = pg.Facts(project, {f.ACCEPTANCE: rows, f.RECTIFICATION: []})
    assert pg.final_grade(facts_) is None  # YS-4 failed and is not rectified
    facts_.children[f.RECTIFICATION] = [{"number": "ZG-1", "state": "verified", "data": {"acceptance": "YS-4"}}]
    assert pg.final_grade(facts_) == "合格"  # 优良率 0.5 < 0.8
    facts_.children[f.ACCEPTANCE] = [ys("YS-1", "a", "优等"), ys("YS-2", "a", "良好"), ys("YS-3", "b", "良好"),
                                     ys("YS-6", "b", "优等"), ys("YS-7", "b", "合格")]
    assert pg.final_grade(facts_) == "优良"  # 4/5 = 0.8
    per_stage = {r["stage"]: (r["total"], r["pass_rate"], r["excellent_rate"]) for r in pg.stage_rollups(facts_)}
    assert per_stage == {"a": (2, 1.0, 1.0), "b": (3, 1.0, 0.6667)}
    assert pg.final_grade(pg.Facts(project, {})) is None


# -- time limits -------------------------------------------------------------------------------


def _decided(number: str, stage: str, at_: str, decision: str = "通过") -> dict[str, Any]:
    return {"number": number, "state": "decided", "data": {"stage": stage, "decision": decision},
            "history": [{"at": at_, "from": "review", "to": "decided"}]}


def test_inspection_node_limits_count_chinese_working_days() -> None:
    template = tpl.load(None, "inspection")
    data = {"template_snapshot": template, "received_at": "2026-09-30T10:00:00", "major_overhaul": False}
    project = {"number": "XM-1", "state": "active", "created_at": "2026-09-30T10:30:00", "data": data}
    cal = WorkCalendar()
    f0 = pg.Facts(project, {f.GATE: []})
    # Received on the eve of the National Day holiday: one working day later is Thursday 8 October.
    assert pg.stage_due(f0, cal) == datetime(2026, 10, 8, 10, 0)
    ids = [s["id"] for s in template["stages"]]
    gates_ = [_decided(f"PS-{i}", ids[i], t) for i, t in enumerate(
        ["2026-10-08T09:00:00", "2026-10-08T15:00:00", "2026-10-09T10:00:00", "2026-10-09T16:00:00"])]
    f4 = pg.Facts(project, {f.GATE: gates_})
    assert pg.current_stage(f4)["id"] == "data_investigation"
    # 3 working days from Friday 9 Oct 16:00: Sat 10 Oct is an adjusted working day (调休), then Mon 12, Tue 13.
    assert pg.stage_due(f4, cal) == datetime(2026, 10, 13, 16, 0)
    data["major_overhaul"] = True
    assert pg.stage_due(f4, cal) == datetime(2026, 10, 22, 16, 0)  # 大修: 10 working days
    f5 = pg.Facts(project, {f.GATE: [*gates_, _decided("PS-9", "data_investigation", "2026-10-20T11:00:00")]})
    assert pg.stage_due(f5, cal) == datetime(2026, 11, 3, 11, 0)  # node 6: 10 WD after node 5 (大修)
    data["major_overhaul"] = False
    assert pg.stage_due(f5, cal) == datetime(2026, 10, 23, 11, 0)
    overdue = due.project_items(f4, datetime(2026, 10, 14, 9, 0), cal)
    assert overdue[0]["kind"] == "project-node" and overdue[0]["overdue"] and overdue[0]["limit"] == "3wd"
    holiday = WorkCalendar(holidays=frozenset({datetime(2026, 10, 12).date()}))  # a company closing day from qms.toml
    assert pg.stage_due(f4, holiday) == datetime(2026, 10, 14, 16, 0)


def test_the_technical_briefing_is_due_24_hours_after_it_was_held(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = fitout(app)
    d = demo(app)
    d.move("wang", "2026-10-09T15:00:00", xm, "active", signed=True)
    d.gate(xm, "2026-10-10T10:00:00", "guo", ["deng"])
    row = figures.project_row(facts(app, xm), datetime(2026, 10, 13, 8, 0), WorkCalendar())
    assert row["stage"] == "briefing" and row["limit"] == "24h" and row["next_gate_due"] == "2026-10-13T09:00:00"
    assert row["overdue"] == [] and row["lead"] == "ma"
    late = figures.project_row(facts(app, xm), datetime(2026, 10, 13, 9, 1), WorkCalendar())
    assert [i["kind"] for i in late["overdue"]] == ["project-node"]
    assert late["handovers"][0]["from"] == "guo" and late["handovers"][0]["to"] == "ma"  # the supervisor leads the briefing


def test_an_accident_report_is_due_within_one_day(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = fitout(app)
    at(monkeypatch, "2026-10-20T12:00:00")
    zs = records.file(as_(app, "guo"), f.ACCIDENT, {"project": xm, "occurred_at": "2026-10-20T10:00:00", "severity": "重大",
                                                    "description": "吊顶坍塌"})["number"]
    item = next(i for i in due_items(app, datetime(2026, 10, 21, 9, 59)).items if i["ref"] == zs)
    assert item["due"] == "2026-10-21T10:00:00" and not item["overdue"]
    assert next(i for i in due_items(app, datetime(2026, 10, 21, 10, 1)).items if i["ref"] == zs)["overdue"]
    with pytest.raises(ValidationFailed, match="major accident .* also reported to the 总经理"):
        records.update(as_(app, "guo"), zs, {"treatment": "停工排查", "explanation": "龙骨间距超标", "reported_to": ["工程部经理"]})
    records.update(as_(app, "guo"), zs, {"treatment": "停工排查", "explanation": "龙骨间距超标", "reported_to": ["工程部经理", "总经理"]})
    result = records.move(as_(app, "guo"), zs, "reported", password=PASSWORD)
    assert result["effects"][0]["effect"] == "notify"
    assert not [i for i in due_items(app, datetime(2026, 10, 22)).items if i["ref"] == zs]


def test_an_accident_raised_to_major_after_its_report_notifies_at_once(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    xm = fitout(app)
    at(monkeypatch, "2026-10-20T12:00:00")
    zs = records.file(as_(app, "guo"), f.ACCIDENT, {"project": xm, "occurred_at": "2026-10-20T10:00:00", "severity": "一般",
                                                    "description": "吊顶开裂", "treatment": "停工排查", "explanation": "龙骨间距超标",
                                                    "reported_to": ["工程部经理"]})["number"]
    assert records.move(as_(app, "guo"), zs, "reported", password=PASSWORD)["effects"] == []
    records.update(as_(app, "guo"), zs, {"severity": "重大", "reported_to": ["工程部经理", "总经理"]})
    notices = [e for e in records.audit_trail(app, zs) if e["action"] == "record.notify"]
    assert len(notices) == 1 and notices[0]["detail"]["to"] == "approver" and "重大质量事故" in notices[0]["detail"]["message"]
    records.update(as_(app, "guo"), zs, {"explanation": "龙骨间距超标，吊杆缺失"})  # still 重大: told once
    assert len([e for e in records.audit_trail(app, zs) if e["action"] == "record.notify"]) == 1


# -- status and the dossier --------------------------------------------------------------------


@pytest.mark.slow
def test_status_and_dossier_pdf(materials: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader

    app = materials
    xm = "XM-2026-0001"
    result = run(app, "projects", "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    row = data["projects"][0]
    assert (row["number"], row["stage"], row["stage_index"], row["stages"], row["lead"]) == (xm, "materials", 3, 8, "guo")
    assert data["gates"]["decided"] == 2 and data["gates"]["pass_rate"] == 1.0
    text = run(app, "projects", "status").output
    assert "材料进场验收" in text and "通过率 pass rate 100.0%" in text
    shown = {x["id"]: x for x in app.host.figures(record_query(app), datetime(2026, 11, 2), app.calendar, app.workspace.config.raw)}
    assert {"projects-stages", "projects-gate-pass-rate", "projects-grade-distribution"} <= set(shown)
    assert shown["projects-stages"]["data"][0]["项目 Project"] == xm
    out = tmp_path / "dossier.pdf"
    result = run(app, "--as", "zhou", "projects", "pdf", xm, "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    reader = PdfReader(str(out))
    content = "".join(page.extract_text() for page in reader.pages)
    for expected in (xm, "项目档案", "技术交底", "马监理", "刘先生", "纸面签字", "基线历史", "QP-8.3-01"):
        assert expected in content, expected
    head = json.loads(run(app, "head", "--json").output)
    assert f"链头 chain head #{head['seq']} {head['hash'][:16]}" in content  # the dossier carries the chain head too
    fonts = {str(font) for page in reader.pages for font in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts
    assert run(app, "projects", "pdf", "XM-2099-0001", "-o", str(tmp_path / "x.pdf")).exit_code == 2


@pytest.mark.slow
def test_the_demo_step_runs_the_three_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from projects_kit import host
    from qms_projects.demo import step_projects

    from qms.demo import DemoContext, step_users
    from qms.workspace import init_workspace

    monkeypatch.setenv("QMS_NOW", NOW)
    app = App(init_workspace(tmp_path / "demo", kind="demo"), host())
    ctx = DemoContext(app=app)
    step_users(ctx)
    step_projects(ctx)
    assert __import__("os").environ["QMS_NOW"] == NOW  # the step restores the clock
    rows = {r["template"]: r for r in figures.status(record_query(app), datetime(2026, 11, 2, 9), WorkCalendar())["projects"]}
    assert rows["systems-integration"]["status"] == "已结项 Closed" and rows["systems-integration"]["final_grade"] == "优良"
    fit = rows["fit-out"]
    assert fit["stage"] == "waterproofing" and {i["kind"] for i in fit["overdue"]} == {"project-condition", "project-rectification"}
    insp = rows["inspection"]
    assert insp["stage"] == "data_investigation" and insp["overdue"][0]["due"] == "2026-10-20T09:40:00"
    assert any("blocked" in line and "ZG-" in line for line in ctx.lines)


def test_the_dossier_escapes_what_users_typed(app: App) -> None:
    from qms_projects import dossier

    xm = fitout(app, business_no="<b>SW-7</b>")
    records.update(as_(app, "guo"), xm, {"name": "滨江 <i>3-201</i> & 花园"})
    body = dossier.body(service.facts(app, xm), record_query(app))
    assert "滨江 &lt;i&gt;3-201&lt;/i&gt; &amp; 花园" in body and "&lt;b&gt;SW-7&lt;/b&gt;" in body
    assert "<i>" not in body and "<b>SW-7" not in body
    assert "尚未结项 Not closed out yet" in body  # no close-out yet: the empty line, not an empty section


def test_the_register_entry_page_leaves_the_template_snapshot_to_the_embedded_json(app: App) -> None:
    from qms_projects import layout

    from qms.forms import load_form

    xm = record(app, fitout(app))
    html = app.host.render_record_html(xm, load_form(app, f.PROJECT, xm["form_edition"]))
    assert "滨江花园 3-201 室内装修" in html and "fit-out" in html
    assert "施工进度计划" not in html and "template_snapshot" not in html  # a deliverable of the snapshot's stage 1
    assert layout.record_html({**xm, "form": f.GATE}, {}) is None
