"""The management review on the demonstration workspace: its inputs come from what every other procedure filed.

The demo runs every installed procedure's step before the review's, so the 2026 review must show the
complaints, calibrations (the failed one too), property services, projects, the internal audit's
findings and the nonconformity reports they raised, each under its 9.3.2 heading, and the 2025
review's outputs as the status of previous actions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qms import records
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.workspace import Workspace

NOW = "2026-12-05T10:00:00"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration workspace without its forms, PDF and site steps (they add nothing the review reads)."""
    import qms.demo
    from qms.demo_context import step_users
    from qms.documents_demo import step_documents

    root = tmp_path_factory.mktemp("demo") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", NOW)
        mp.setattr(qms.demo, "core_steps", lambda: [(0, step_users), (10, step_documents)])
        qms.demo.run_demo(root, Host(make_plugin_manager()))
    return root


@pytest.fixture
def app(demo: Path) -> App:
    return App(Workspace.open(demo), Host(make_plugin_manager()))


def _heading(record: dict[str, Any], key: str) -> dict[str, Any]:
    return next(h for h in record["data"]["inputs"] if h["key"] == key)


def _figures(record: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in _heading(record, key)["figures"]}


def test_the_2026_review_gathers_every_procedures_records_under_its_heading(app: App) -> None:
    first, second = records.find(app, form="QR-9.3-01")
    assert (first["number"], first["state"], second["number"], second["state"]) == (
        "GP-2026-0001", "approved", "GP-2026-0002", "approved")
    assert [h["clause"] for h in second["data"]["inputs"]] == [
        "9.3.2 a)", "9.3.2 b)", "9.3.2 c) 1)", "9.3.2 c) 2)", "9.3.2 c) 3)", "9.3.2 c) 4)", "9.3.2 c) 5)",
        "9.3.2 c) 6)", "9.3.2 c) 7)", "9.3.2 d)", "9.3.2 e)", "9.3.2 f)"]
    loaded = {name for name, plugin in app.host.pm.list_name_plugin() if plugin is not None}
    assert {s["plugin"] for s in second["data"]["sources"]} >= {"complaints", "equipment", "projects", "property"}
    assert not [s for s in second["data"]["sources"] if s.get("error")]
    customer = _figures(second, "customer")
    assert customer["complaints.received"]["procedures"] == ["QP-8.2-01"] and "property.visit_satisfaction" in customer
    assert {"projects-gate-pass-rate", "property.repairs_overdue"} <= set(_figures(second, "performance"))
    # The failed calibration of the equipment step is in the on-time rate and the register's figures.
    on_time = _figures(second, "monitoring")["equipment.calibration_on_time"]["data"]
    assert on_time["total"] > 0 and on_time["value"] is not None
    assert _figures(second, "resources")["equipment.intact_rate"]["data"]["total"] > 0
    nonconformities, audits = _heading(second, "nonconformities"), _heading(second, "audits")
    if "ncr" in loaded:
        by_source = _figures(second, "nonconformities")["ncr-by-source"]["data"]
        counts = dict(zip(by_source["keys"], by_source["values"], strict=True))
        assert counts["equipment"] >= 1  # the NCR raised by the failed (out-of-tolerance) calibration
        assert "capa-open" in _figures(second, "nonconformities")
    else:
        assert nonconformities["empty"] and nonconformities["note"].startswith("本期无数据")
    if "audit" in loaded:
        assert "audit-findings-by-grade" in _figures(second, "audits")
        if "ncr" in loaded:
            assert counts["audit"] >= 1  # the audit finding's nonconformity report
    else:
        assert audits["empty"]
    # Nothing in the system measures external providers yet: the heading says so.
    assert _heading(second, "providers")["empty"] and _heading(second, "providers")["note"].startswith("本期无数据")


def test_the_2025_reviews_outputs_are_the_2026_reviews_previous_actions(app: App) -> None:
    second = records.get(app, "GP-2026-0002")
    assert second["data"]["previous_review"] == "GP-2026-0001"
    (carried,) = _heading(second, "previous_actions")["figures"]
    assert [row[6] for row in carried["data"]["rows"]] == ["已完成 Done", "逾期 Overdue"]


def test_the_demo_reviews_open_outputs_are_due_and_qms_doc_clauses_covers_9_3(app: App, demo: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from qms.cli import build

    monkeypatch.setenv("QMS_NOW", NOW)
    args = ["--workspace", str(demo), "due", "--json"]
    out = CliRunner().invoke(build(args), args)
    assert out.exit_code == 0, out.output
    owners = sorted(i["owner"] for i in json.loads(out.output)["items"] if i["kind"] == "review-output")
    assert owners == ["qian", "sun", "zhao", "zhou"]  # the three of 2026 and the one left open from 2025
    args = ["--workspace", str(demo), "doc", "clauses", "--json"]
    out = CliRunner().invoke(build(args), args)
    assert out.exit_code == 0, out.output
    clauses = {c["clause"]: c["documents"] for c in json.loads(out.output)}
    assert "QP-9.3-01" in clauses["9.3"]
