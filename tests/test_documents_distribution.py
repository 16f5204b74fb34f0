"""Controlled copies (分发号), recall of old copies, read-and-understood acknowledgements, and the demo step."""

from __future__ import annotations

import pytest

from qms.backend import open_store
from qms import distribution, document_reviews, documents
from qms.errors import NotFound, PermissionDenied, Refused, UsageError
from qms.verify import verify_store
from qms.workspace import Workspace
from tests.conftest import Invoke
from tests.doc_fixtures import NUMBER, PW, As, as_, at, through, write, ws  # noqa: F401 - fixtures

__all__ = ["as_", "ws"]


@pytest.fixture
def issued(ws: Workspace, as_: As) -> str:  # noqa: F811 - the fixture from test_documents
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    return NUMBER


def _new_revision(ws: Workspace, as_: As, effective: str | None = None) -> None:  # noqa: F811
    documents.revise(as_("zhou"), NUMBER, False, "修订")
    path = ws.procedures / f"{NUMBER}.md"
    path.write_text(path.read_text(encoding="utf-8") + "新版本。\n", encoding="utf-8")
    through(as_, effective=effective)


def test_distribute_numbers_copies_per_document(issued: str, as_: As) -> None:  # noqa: F811
    made = distribution.distribute(as_("zhou"), NUMBER, "业务部", holder="zhao", count=2)
    made += distribution.distribute(as_("zhou"), NUMBER, "客户", controlled=False)
    assert [(c["copy_no"], c["edition"], c["dept"], c["controlled"]) for c in made] == [
        ("001", "A/0", "业务部", True), ("002", "A/0", "业务部", True), ("003", "A/0", "客户", False)]
    with pytest.raises(UsageError, match="--to DEPT"):
        distribution.distribute(as_("zhou"), NUMBER, " ")
    with pytest.raises(PermissionDenied):
        distribution.distribute(as_("zhao"), NUMBER, "业务部")
    with pytest.raises(NotFound):
        distribution.distribute(as_("zhou"), "QP-0.0-01", "业务部")


def test_a_draft_is_not_distributed(ws: Workspace, as_: As) -> None:  # noqa: F811
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="only an issued document is distributed"):
        distribution.distribute(as_("zhou"), NUMBER, "业务部")


def test_recall_lists_old_copies_once_the_new_revision_takes_effect(
    issued: str, ws: Workspace, as_: As, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    distribution.distribute(as_("zhou"), NUMBER, "业务部", holder="zhao")
    distribution.distribute(as_("zhou"), NUMBER, "设备科")
    distribution.distribute(as_("zhou"), NUMBER, "客户", controlled=False)
    _new_revision(ws, as_, effective="2026-11-20")
    assert distribution.outstanding(as_("zhou"), NUMBER) == []  # A/0 still in force
    at(monkeypatch, "2026-11-20T08:00:00")
    out = distribution.outstanding(as_("zhou"), NUMBER)
    assert [(c["copy_no"], c["dept"], c["revision_state"]) for c in out] == [("001", "业务部", "superseded"),
                                                                          ("002", "设备科", "superseded")]
    done = distribution.recall(as_("zhou"), NUMBER, ["1"])
    assert done[0]["copy_no"] == "001" and done[0]["recalled_by"] == "zhou"
    with pytest.raises(Refused, match="already recalled"):
        distribution.recall(as_("zhou"), NUMBER, ["001"])
    with pytest.raises(NotFound, match="no copy 009"):
        distribution.recall(as_("zhou"), NUMBER, ["9"])
    with pytest.raises(UsageError):
        distribution.recall(as_("zhou"), NUMBER, ["abc"])
    assert [c["copy_no"] for c in distribution.recall(as_("zhou"), NUMBER, [], all_outstanding=True)] == ["002"]
    assert distribution.outstanding(as_("zhou"), NUMBER) == []
    assert verify_store(open_store(ws), ws.root).ok


def test_obsolete_copies_are_recalled(issued: str, as_: As) -> None:  # noqa: F811
    distribution.distribute(as_("zhou"), NUMBER, "业务部")
    documents.obsolete(as_("zhou"), NUMBER, "停用")
    assert [c["revision_state"] for c in distribution.outstanding(as_("zhou"), NUMBER)] == ["obsolete"]


def test_acknowledgement_is_pinned_to_the_revision_in_force(issued: str, ws: Workspace, as_: As,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    distribution.distribute(as_("zhou"), NUMBER, "业务部", holder="zhao")
    names = {r["name"] for r in distribution.unacknowledged(as_("aud"), NUMBER)}
    assert names == {"li", "zhao"}  # the owner department 品质部 and the copy holders 业务部; not the auditor
    ack = distribution.acknowledge(as_("zhao"), NUMBER)
    assert ack["edition"] == "A/0" and ack["content_sha256"] == documents.get_revision(as_("aud"), NUMBER)["content_sha256"]
    with pytest.raises(Refused, match="already acknowledged"):
        distribution.acknowledge(as_("zhao"), NUMBER)
    with pytest.raises(PermissionDenied):
        distribution.acknowledge(as_("aud"), NUMBER)
    assert {r["name"] for r in distribution.unacknowledged(as_("aud"), NUMBER)} == {"li"}
    _new_revision(ws, as_)
    # A new revision in force needs a new acknowledgement.
    assert {(r["name"], r["edition"]) for r in distribution.unacknowledged(as_("aud"))} == {("li", "A/1"), ("zhao", "A/1")}
    assert distribution.acknowledge(as_("zhao"), NUMBER)["edition"] == "A/1"
    with pytest.raises(NotFound):
        distribution.unacknowledged(as_("aud"), "QP-0.0-01")


def test_acknowledging_a_draft_is_refused(ws: Workspace, as_: As) -> None:  # noqa: F811
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    with pytest.raises(Refused, match="no effective revision"):
        distribution.acknowledge(as_("zhao"), NUMBER)


def test_cli_distribution_commands(issued: str, ws: Workspace, as_: As, invoke: Invoke) -> None:  # noqa: F811
    r = invoke("--as", "zhou", "doc", "distribute", NUMBER, "--to", "业务部", "--holder", "zhao")
    assert r.exit_code == 0 and "分发号 001 → 业务部 zhao [受控 CONTROLLED]" in r.output
    _new_revision(ws, as_)
    r = invoke("doc", "recall", NUMBER)
    assert r.exit_code == 0 and "分发号 001" in r.output and "1 old copy still out" in r.output
    r = invoke("--as", "zhou", "doc", "recall", NUMBER, "--copy", "001")
    assert r.exit_code == 0 and "1 copy recalled" in r.output
    assert "no old copies" in invoke("doc", "recall", NUMBER).output
    r = invoke("doc", "unacknowledged")
    assert "li" in r.output and "acknowledgement(s) outstanding" in r.output
    r = invoke("--as", "zhao", "doc", "acknowledge", NUMBER)
    assert r.exit_code == 0 and "zhao acknowledged QP-9.1-01 A/1" in r.output


def test_demo_step_runs_every_procedure_through_the_lifecycle(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from qms.demo import core_steps, run_demo
    from qms.host import Host, make_plugin_manager

    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    monkeypatch.setattr("qms.users._N", 2**4)
    monkeypatch.setattr("qms.demo.demo_steps", lambda host: [s for s in core_steps()
                                                             if s[1].__name__ in ("step_users", "step_documents")])
    ctx = run_demo(tmp_path / "demo", Host(make_plugin_manager(entrypoints=False)))
    app = ctx.app
    rows = documents.list_documents(app)
    procedures = sorted(p.stem for p in app.workspace.procedures.glob("*.md") if not p.stem.startswith("QE-"))
    assert sorted(r["number"] for r in rows if r["type"] != "external") == procedures
    assert all(r["state"] == "effective" for r in rows)
    revised = [r for r in rows if r["edition"] == "A/1"]
    assert len(revised) == 1 and revised[0]["reason"]
    history = documents.history(app, revised[0]["number"])
    assert [r["state"] for r in history] == ["superseded", "effective"]
    signers = {s["meaning"]: s["name"] for s in history[-1]["signatures"]}
    assert signers["编制 prepared"] == "zhou" and signers["批准 approved"] == "wang"
    assert signers["审核 reviewed"] in ("li", "chen")
    assert [r["external"]["ref"] for r in rows if r["type"] == "external"] == ["GB/T 19001-2016"]
    assert app.store.query("acknowledgements")
    assert verify_store(app.store, app.workspace.root).ok
    assert document_reviews.tamper_problems(app) == []
