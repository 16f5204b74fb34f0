"""A nonconformity report through CAPA on the command line, and the one CAPA list: due items, figures, board, PDF.

Real ``qms`` commands on a reference workspace with the installed plugins: an internal observation
is raised by hand, contained, analysed by 5-why, given an action due in working days (the National
Day holidays skipped, the adjusted working Saturday counted), done, and checked for effectiveness
by someone independent — the raiser and the action owner are refused in one line each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.recordquery import record_query
from qms.testing import PASSWORD
from qms.workspace import Workspace
from qms import clock, records

from tests.conftest import Invoke

NUMBER = "NC-2026-0001"


@pytest.fixture
def people(add_user: Callable[..., None]) -> None:
    add_user("li", "quality_officer", "品质部")
    add_user("sun", "department", "设备科")
    add_user("zhou", "quality_officer", "质量管理部")


def ok(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output)
    return found


def open_app(workspace: Workspace) -> App:
    return App(Workspace.open(workspace.root), Host(make_plugin_manager()), "admin")


def to_verifying(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Raise, contain, analyse, plan (due in 3 working days from 2026-09-30) and do the action; the stored report."""
    monkeypatch.setenv("QMS_NOW", "2026-09-30T09:00:00")
    raised = ok(invoke("--as", "li", "ncr", "raise", "--description", "量具期间核查记录缺失", "--dept", "设备科",
                       "--severity", "一般", "--json"))
    assert raised["number"] == NUMBER and raised["state"] == "raised"
    assert (raised["data"]["source"], raised["data"]["raised_by"]) == ("internal", "li")
    assert ok(invoke("--as", "li", "ncr", "contain", NUMBER, "--containment", "停用并复测", "--json"))["state"] == "analysis"
    analysed = ok(invoke("--as", "li", "ncr", "analyse", NUMBER, "--why", "为何缺失=未规定频次", "--why", "为何未规定=规程遗漏",
                         "--root-cause", "规程未规定期间核查", "--json"))
    assert analysed["data"]["cause_method"] == "5why" and len(analysed["data"]["whys"]) == 2
    planned = ok(invoke("--as", "li", "ncr", "action", NUMBER, "--action", "修订规程", "--owner", "sun", "--within", "3wd",
                        "--dept", "设备科", "--plan", "--json"))
    # 10-01…10-07 are the National Day holidays; Saturday 10-10 is a working day in 2026.
    assert planned["state"] == "implementing" and planned["data"]["actions"][0]["due"] == "2026-10-10"
    return planned


def test_an_internal_observation_goes_through_capa_and_only_an_independent_person_closes_it(
        invoke: Invoke, people: None, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    to_verifying(invoke, monkeypatch)
    monkeypatch.setenv("QMS_NOW", "2026-10-09T10:00:00")
    done = ok(invoke("--as", "sun", "ncr", "done", NUMBER, "--action", "1", "--result", "规程已修订", "--json"))
    assert done["state"] == "verifying" and done["data"]["actions"][0]["done_on"] == "2026-10-09"
    for who, why in (("li", "li raised this nonconformity and may not verify"),
                     ("sun", "sun owns a corrective action of this nonconformity")):
        refused = invoke("--as", who, "ncr", "verify", NUMBER, "--result", "有效", "--password-stdin", input=PASSWORD + "\n")
        assert refused.exit_code == 1 and why in refused.output and len(refused.output.strip().splitlines()) == 1
    moved = invoke("--as", "li", "record", "move", NUMBER, "closed", "--password-stdin", input=PASSWORD + "\n")
    assert moved.exit_code == 1 and "li raised this nonconformity" in moved.output
    app = open_app(workspace)
    assert records.get(app, NUMBER)["state"] == "verifying" and "verified_by" not in records.get(app, NUMBER)["data"]
    closed = ok(invoke("--as", "zhou", "ncr", "verify", NUMBER, "--result", "抽查一个月记录完整", "--password-stdin", "--json",
                       input=PASSWORD + "\n"))
    assert closed["state"] == "closed" and closed["data"]["verified_by"] == "zhou" and closed["data"]["effective"] == "有效"
    assert [(s["meaning"], s["name"]) for s in closed["signatures"]] == [("有效性验证 verified effective", "zhou")]
    pdf = tmp_path / "nc.pdf"
    assert invoke("--as", "zhou", "record", "pdf", NUMBER, "-o", str(pdf)).exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    for expected in ("不合格报告及纠正措施单", "五个为什么", "未规定频次", "修订规程", "有效性验证", "规程未规定期间核查"):
        assert expected in text, expected
    listed = ok(invoke("ncr", "list", "--json"))
    assert [(r["number"], r["state"], r["open_actions"]) for r in listed] == [(NUMBER, "closed", 0)]


def test_open_actions_of_every_source_are_one_capa_list_in_due_figures_and_the_board(
        invoke: Invoke, people: None, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    to_verifying(invoke, monkeypatch)
    monkeypatch.setenv("QMS_NOW", "2026-10-12T09:00:00")
    items = [i for i in ok(invoke("due", "--json"))["items"] if i["ref"] == NUMBER]
    assert [(i["kind"], i["owner"], i["due"][:10], i["overdue"]) for i in items] == [
        ("capa-action", "sun", "2026-10-10", True)]
    late = ok(invoke("ncr", "actions", "--overdue", "--json"))
    assert [(a["number"], a["index"], a["owner"]) for a in late] == [(NUMBER, 1, "sun")]
    app = open_app(workspace)
    with clock.frozen_at("2026-10-12T09:00:00"):
        now = clock.now()
        figures = {f["id"]: f for f in app.host.figures(record_query(app), now, app.calendar, {})}
        board = app.host.web_page("capa", record_query(app), now, app.calendar, {})
    by_source = figures["ncr-by-source"]["data"]
    assert dict(zip(by_source["keys"], by_source["values"])) == {
        "complaint": 0, "audit": 0, "equipment": 0, "project": 0, "internal": 1}
    assert dict(zip(figures["ncr-by-state"]["data"]["keys"], figures["ncr-by-state"]["data"]["values"]))["implementing"] == 1
    assert [figures[k]["data"]["value"] for k in ("ncr-open", "capa-open", "capa-overdue")] == [1, 1, 1]
    assert board is not None
    [actions, checks, reports, _] = board["sections"]
    assert actions["rows"][0][0] == {"text": NUMBER, "record": NUMBER} and actions["rows"][0][-1]["tone"] == "late"
    assert checks["rows"] == [] and checks["empty"].startswith("没有等待验证")
    assert reports["rows"][0][0]["record"] == NUMBER
    # Done: the action leaves the list and the effectiveness check is due instead.
    invoke("--as", "sun", "ncr", "done", NUMBER, "--action", "1", "--result", "规程已修订")
    items = [i for i in ok(invoke("due", "--json"))["items"] if i["ref"] == NUMBER]
    assert [(i["kind"], i["overdue"]) for i in items] == [("capa-check", False)]
    # The board shows the check waiting: due 10 working days after 10-12, who may not sign it; late after that.
    app = open_app(workspace)
    for at, tone, late in (("2026-10-12T09:00:00", "ok", 0), ("2026-10-27T09:00:00", "late", 1)):
        with clock.frozen_at(at):
            board = app.host.web_page("capa", record_query(app), clock.now(), app.calendar, {})
        assert board is not None
        [actions, checks, _, _] = board["sections"]
        assert actions["rows"] == []
        assert [(r[0]["record"], r[2], r[3], r[4], r[5]) for r in checks["rows"]] == [
            (NUMBER, 1, "2026-10-12 09:00", {"text": "2026-10-26", "tone": tone}, "li、sun")]
        shown = {f["label"]: f["value"] for f in board["figures"]}
        assert (shown["待效果验证 Checks waiting"], shown["逾期验证 Overdue checks"]) == (1, late)


def test_bad_input_is_refused_in_one_line_and_stores_nothing(invoke: Invoke, people: None, workspace: Workspace,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-09-30T09:00:00")
    invoke("--as", "li", "ncr", "raise", "--description", "漏记", "--json")
    invoke("--as", "li", "ncr", "contain", NUMBER, "--containment", "补记")
    app = open_app(workspace)
    before = records.get(app, NUMBER)
    for args, why in ((["analyse", NUMBER, "--root-cause", "x", "--why", "没有等号"], "write it as 'WHY=ANSWER'"),
                      (["analyse", NUMBER, "--root-cause", "x", "--why", "a=b", "--cause", "法:c"], "one of the two"),
                      (["analyse", NUMBER, "--root-cause", "x", "--cause", "天:c"], "人/机/料/法/环/测"),
                      (["action", NUMBER, "--action", "a", "--owner", "sun", "--within", "soon"], "--within 'soon'"),
                      (["done", NUMBER, "--action", "1", "--result", "x"], "has no actions yet"),
                      (["raise", "--description", "x", "--source", "equipment"], "source_ref")):
        result = invoke("--as", "li", "ncr", *args)
        assert result.exit_code in (1, 2) and why in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert records.get(app, NUMBER) == before and len(records.list_records(app, "QR-10.2-01")) == 1
