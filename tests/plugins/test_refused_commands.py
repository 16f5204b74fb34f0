"""A refused plugin command changes nothing: every multi-write command of the four plugins, refused at a late step.

Each case prepares a workspace through the plugins' own services, snapshots every file under
``records/`` (the TinyDB buckets, the numbering sequences, blobs and ``audit.log``), runs one
command through the real CLI in a way that passes its first writes and is refused at a later one
(a move the user's department may not make, a signature with a wrong password), and then checks
the exit code, the one-line message and that the bytes of every file are the same as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from qms import clock, records
from qms.app import App
from qms.cli import build
from qms.workspace import Workspace

OUTSIDER = ("sun_out", "department", "财务部", "孙财务")


@dataclass(frozen=True)
class Case:
    """A workspace to prepare, the user who runs the command, its arguments and what the refusal says."""

    prepare: Callable[[Path], tuple[App, list[str]]]
    user: str
    says: str
    input: str | None = None


def _property(tmp_path: Path) -> App:
    import property_kit as pk

    clock.set_now(pk.NOW)
    app = pk.make_app(tmp_path)
    app.users.add(OUTSIDER[0], OUTSIDER[1], OUTSIDER[2], pk.PASSWORD, actor="admin", full_name=OUTSIDER[3])
    return app


def _issued_pass(app: App, **over: str) -> str:
    import property_kit as pk
    from qms_property import passes

    return str(passes.issue(app, pk.external_pass(**over), receipt="SJ-1")["number"])


def prop_pass_issue(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    return app, ["property", "pass", "issue", "--set", "applicant=某物流", "--set", "vehicle_category=外部车辆",
                 "--set", "handling_dept=采购部", "--set", "letter_reason=送货", "--set", "period_until=2026-12-31",
                 "--set", "documents=驾驶证", "--set", "plate=沪A12345", "--receipt", "SJ-1"]


def prop_pass_renew(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    return app, ["property", "pass", "renew", _issued_pass(app), "--until", "2027-06-30"]


def prop_pass_return(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    return app, ["property", "pass", "return", _issued_pass(app)]


def prop_pass_lost(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    return app, ["property", "pass", "lost", _issued_pass(app), "--note", "司机报告遗失"]


def prop_pass_refund(tmp_path: Path) -> tuple[App, list[str]]:
    from qms_property import passes

    app = _property(tmp_path)
    number = _issued_pass(app)
    passes.hand_back(app, number)
    # 财务部 may refund; an outsider of another department may not.
    app.users.add("ye", "department", "采购部", "demo-pass-2026", actor="admin", full_name="叶采购")
    return app, ["property", "pass", "refund", number, "--voucher", "CW-1"]


def prop_dispatch(tmp_path: Path) -> tuple[App, list[str]]:
    import property_kit as pk

    app = _property(tmp_path)
    fw = records.file(app, "QR-8.5-01", pk.request())["number"]
    return app, ["property", "request", "dispatch", fw, "--class", "A", "--technician", "张师傅",
                 "--set", "response_late_reason=另一现场"]


def prop_handoff(tmp_path: Path) -> tuple[App, list[str]]:
    import property_kit as pk

    app = _property(tmp_path)
    pk.add_complaint_handlers(app)
    fw = records.file(app, "QR-8.5-01", pk.complaint_request())["number"]
    return app, ["property", "request", "handoff", fw]


def _dispatched(app: App) -> str:
    import property_kit as pk
    from qms_property import intake

    fw = records.file(app, "QR-8.5-01", pk.request())["number"]
    return str(intake.dispatch(app, fw, "A", technician="张师傅", extra={"response_late_reason": "另一现场"})["number"])


def prop_repair_complete(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    pg = _dispatched(app)
    records.update(app, pg, {"arrived_at": "2026-11-02T09:05:00"})
    records.move(app, pg, "arrived")
    return app, ["property", "repair", "complete", pg, "--set", "work_done=更换角阀", "--set", "voucher_signed_by=王女士",
                 "--set", "voucher_signed_at=2026-11-02T10:00:00", "--set", "completed_at=2026-11-02T10:00:00",
                 "--set", "charge=0"]


def _completed(app: App) -> str:
    import property_kit as pk

    pg = _dispatched(app)
    pk.arrive_and_complete(app, pg, arrived="2026-11-02T09:05:00", completed="2026-11-02T10:00:00", charge=0)
    return pg


def prop_repair_visit(tmp_path: Path) -> tuple[App, list[str]]:
    app = _property(tmp_path)
    return app, ["property", "repair", "visit", _completed(app), "--method", "电话", "--satisfaction", "满意", "--resolved",
                 "--at", "2026-11-02T11:00:00"]


def prop_repair_revisit(tmp_path: Path) -> tuple[App, list[str]]:
    from qms_property import repairs

    app = _property(tmp_path)
    wh = repairs.visit(app, _completed(app), method="电话", satisfaction="不满意", resolved=False, feedback="仍漏水",
                       visitor="钱物业", visited_at="2026-11-02T11:00:00")["visit"]["number"]
    return app, ["property", "repair", "revisit", wh, "--action", "更换配件", "--office-report", "已解决",
                 "--satisfaction", "满意", "--at", "2026-11-02T12:00:00"]


def equipment_register(tmp_path: Path) -> tuple[App, list[str]]:
    import equipment_kit as ek

    clock.set_now("2026-01-08T09:00:00")
    app = ek.make_app(tmp_path)
    # A workspace with a filing-only role: a clerk files the card, the status move after it is refused.
    toml = app.workspace.root / "qms.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[roles]\n", '[roles]\nclerk = ["record.file"]\n', 1),
                    encoding="utf-8")
    app = App(Workspace.open(app.workspace.root), app.host)
    app.users.add("clerk", "clerk", "设备科", ek.PASSWORD, actor="admin", full_name="设备文员")
    sets = [a for k, v in ek.machine().items() if k not in ("unit_code",) for a in ("--set", f"{k}={v}")]
    return app, ["equipment", "register", "--unit", "101", "--status", "备用", *sets]


def equipment_calibrate(tmp_path: Path) -> tuple[App, list[str]]:
    import equipment_kit as ek

    clock.set_now("2026-01-08T09:00:00")
    app = ek.make_app(tmp_path)
    ek.registered(app, ek.instrument())
    clock.set_now("2026-05-20T16:00:00")
    return app, ["equipment", "calibrate", "102001", "--date", "2026-05-20", "--result", "合格", "--password-stdin",
                 "--set", "as_found=在允差内", "--set", "as_left=在允差内", "--set", "calibrated_by=li",
                 "--set", "certificate_no=JL-1", "--set", "provider_accreditation=CNAS L0000"]


def projects_accept(tmp_path: Path) -> tuple[App, list[str]]:
    import projects_kit as jk

    app = jk.make_app(tmp_path, "fitout-materials")
    clock.set_now("2026-10-15T10:00:00")
    return app, ["projects", "accept", "XM-2026-0001", "--step", "瓷砖进场验收", "--grade", "合格", "--inspector", "马监理",
                 "--password-stdin"]


CASES = {
    "property pass issue": Case(prop_pass_issue, OUTSIDER[0], "may not move it from applied to issued"),
    "property pass renew": Case(prop_pass_renew, OUTSIDER[0], "may not move it from issued to renewed"),
    "property pass return": Case(prop_pass_return, OUTSIDER[0], "may not move it from issued to returned"),
    "property pass lost": Case(prop_pass_lost, OUTSIDER[0], "may not move it from issued to lost"),
    "property pass refund": Case(prop_pass_refund, "ye", "may not move it from returned to refunded"),
    "property request dispatch": Case(prop_dispatch, OUTSIDER[0], "may not move it from registered to dispatched"),
    "property request handoff": Case(prop_handoff, OUTSIDER[0], "may not move it from registered to handed_over"),
    "property repair complete": Case(prop_repair_complete, OUTSIDER[0], "may not move it from arrived to completed"),
    "property repair visit": Case(prop_repair_visit, OUTSIDER[0], "may not move it from recorded to closed"),
    "property repair revisit": Case(prop_repair_revisit, OUTSIDER[0], "may not move it from escalated to closed"),
    "equipment register": Case(equipment_register, "clerk", "may not move records"),
    "equipment calibrate": Case(equipment_calibrate, "li", "wrong password", input="not-the-password\n"),
    "projects accept": Case(projects_accept, "ma", "wrong password", input="not-the-password\n"),
}


def store_files(app: App) -> dict[str, bytes]:
    """Every file under records/ by its path, with its bytes (the lock file holds none).

    ``records/cache/`` is left out: it is derived data that any read may fill in (a command reads
    the records before it writes), never trusted over the files it is derived from.
    """
    root = app.workspace.records
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "cache"}


def digests(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_a_refused_command_changes_nothing(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    case = CASES[name]
    app, args = case.prepare(tmp_path)
    before = store_files(app)
    argv = ["--workspace", str(app.workspace.root), "--as", case.user, *args]
    result = CliRunner().invoke(build(argv), argv, input=case.input, catch_exceptions=False)
    assert result.exit_code != 0, result.output
    assert case.says in result.output
    assert "Traceback" not in result.output
    assert digests(store_files(app)) == digests(before)
