"""Workflows: every reason a move is refused (nothing changes), signed moves, effects, the default workflow."""

from __future__ import annotations

from pathlib import Path

import pytest
from recordkit import (
    FORM_NUMBER,
    PASSWORD,
    SIMPLE_FORM,
    RecordsTestPlugin,
    as_user,
    good_data,
    make_workspace,
    run,
)

from qms import records
from qms.app import App
from qms.audit import digest
from qms.errors import AuthError, PermissionDenied, Refused
from qms.verify import verify_store


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _filed(app: App, **data: object) -> str:
    return str(records.file(as_user(app, "li"), FORM_NUMBER, good_data(**data))["number"])


def _refused(app: App, user: str, number: str, target: str) -> str:
    before = app.store.get("records", number)
    with pytest.raises(Refused) as info:
        records.move(as_user(app, user), number, target, password=PASSWORD)
    assert app.store.get("records", number) == before  # a refused move changes nothing
    return str(info.value)


def test_every_refusal_reason_is_named(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _filed(app)
    assert "no transition from registered to closed; from registered a record may move to: analysed" in \
        _refused(app, "li", number, "closed")
    assert "'done' is not a state of QR-9.9-01 records (states: registered, analysed, approved, closed)" in \
        _refused(app, "li", number, "done")
    text = _refused(app, "zhao", number, "analysed")
    assert "role: zhao (department, 业务部) may not move it from registered to analysed; that needs one of: quality_officer, 品质部" in text
    assert "missing fields: state analysed requires analysis (原因分析 Cause analysis)" in text
    major = _filed(app, severity="重大", analysis="x")
    assert "plugin veto: a major complaint (重大) needs the general manager's review first" in _refused(app, "li", major, "analysed")
    with pytest.raises(PermissionDenied, match="may not move records"):
        records.move(as_user(app, "auditor"), number, "analysed")


def test_the_cli_prints_the_refusal_and_exits_1(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _filed(app)
    result = run(app, ["--as", "zhao", "record", "move", number, "analysed"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {number} cannot move to analysed: role: zhao")


def test_a_signed_move_needs_the_password_and_records_a_signature(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _filed(app, analysis="来料不良")
    records.move(as_user(app, "li"), number, "analysed")
    with pytest.raises(AuthError, match="wrong password"):
        records.move(as_user(app, "wang"), number, "approved", password="wrong-password")
    with pytest.raises(Refused, match="signed act"):
        records.move(as_user(app, "wang"), number, "approved")
    assert records.get(app, number)["state"] == "analysed"
    wrong = run(app, ["--as", "wang", "record", "move", number, "approved", "--password-stdin"], input="nope-nope\n")
    assert wrong.exit_code == 1 and "wrong password" in wrong.output
    ok = run(app, ["--as", "wang", "record", "move", number, "approved", "--password-stdin"], input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    rec = records.get(app, number)
    (sig,) = rec["signatures"]
    assert (sig["meaning"], sig["name"], sig["role"]) == ("批准 approved", "wang", "approver")
    assert sig["sha256"] == digest({"number": number, "form": FORM_NUMBER, "form_edition": "A/0", "state": "approved",
                                    "data": rec["data"]})
    assert rec["history"][-1] | {"at": None} == {"at": None, "actor": "wang", "action": "move", "from": "analysed",
                                                "to": "approved", "note": ""}


def test_closed_records_are_immutable(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = str(records.file(as_user(app, "li"), SIMPLE_FORM, {"subject": "x"})["number"])
    records.move(as_user(app, "li"), number, "closed")
    rec = records.get(app, number)
    assert rec["closed"] and rec["state"] == "closed"
    assert "is closed; closed records are immutable" in _refused(app, "li", number, "open")
    with pytest.raises(Refused, match="is closed and cannot be changed"):
        records.update(as_user(app, "li"), number, {"subject": "y"})


def test_after_transition_effects_are_applied_and_logged(tmp_path: Path) -> None:
    plugin = RecordsTestPlugin()
    app = make_workspace(tmp_path / "ws", plugin)
    other = str(records.file(as_user(app, "li"), SIMPLE_FORM, {"subject": "follow-up"})["number"])
    number = _filed(app, analysis="来料不良")
    plugin.effects = [
        {"effect": "notify", "to": "approver", "message": "请审批"},
        {"effect": "update", "record": other, "fields": {"subject": "follow-up of " + number}, "reason": "linked"},
        {"effect": "move", "record": other, "state": "closed", "reason": "done with it"},
        {"effect": "move", "record": "JD-2026-0999", "state": "closed", "reason": "missing"},
    ]
    records.move(as_user(app, "li"), number, "analysed")
    result = records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    assert [e["applied"] for e in result["effects"]] == [True, True, True, False]
    assert "no record 'JD-2026-0999'" in result["effects"][3]["error"]
    follow = records.get(app, other)
    assert follow["state"] == "closed" and follow["data"]["subject"] == f"follow-up of {number}"
    assert follow["history"][-1]["note"] == f"effect of {number} → approved: done with it"
    actions = [e["action"] for e in records.audit_trail(app, number)]
    assert actions[-2:] == ["record.notify", "record.effect_failed"]
    assert verify_store(app.store, app.workspace.root).ok


def test_default_workflow_and_history_command(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = str(records.file(as_user(app, "li"), SIMPLE_FORM, {"subject": "x"})["number"])
    assert records.get(app, number)["state"] == "open"
    assert run(app, ["--as", "li", "record", "move", number, "closed", "--note", "完成"]).exit_code == 0
    history = run(app, ["record", "history", number])
    assert "open → closed  完成" in history.output and "record.move" in history.output
    listed = run(app, ["record", "list", SIMPLE_FORM, "--state", "closed"])
    assert number in listed.output
    assert number not in run(app, ["record", "list", SIMPLE_FORM, "--state", "open"]).output
