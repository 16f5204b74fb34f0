"""Signatures nobody else can make: Ed25519 keys sealed by the password, checked by `qms verify`.

Each attack is made the way someone holding the folder (or an admin) would: through the store's
own writes, so the audit chain and every object's hash stay intact and only the signature check
can catch it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qms import documents, keys
from qms.errors import AuthError, Refused
from qms.verify import verify_store
from qms.workspace import Workspace
from tests.conftest import Invoke
from tests.doc_fixtures import NUMBER, PW, As, as_, through, write, ws  # noqa: F401 - fixtures

REV = f"{NUMBER}@A/0"


def _issued(ws: Workspace, as_: As) -> dict:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    through(as_)
    return as_("admin").store.get(documents.COLLECTION, REV) or {}


def _problems(as_: As) -> list[str]:
    app = as_("admin")
    return [f"{p.object}: {p.message}" for p in verify_store(app.store, app.workspace.root).problems]


def test_every_signature_carries_an_ed25519_signature_that_verifies(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    assert [s["meaning"] for s in rev["signatures"]] == ["编制 prepared", "审核 reviewed", "批准 approved"]
    assert all(s["ed25519"] and s["key"] for s in rev["signatures"])
    report = verify_store(as_("admin").store, ws.root)
    assert report.ok, report.problems
    assert report.signatures["counts"] == {"verified": 3, "unsigned (legacy)": 0, "failed": 0}


def test_the_private_key_is_stored_only_sealed_by_the_password(ws: Workspace, as_: As) -> None:
    stored = as_("admin").store.get("users", "wang") or {}
    assert "private" not in json.dumps(stored) and stored["key"]["sealed"]
    assert keys.unlock(stored["key"], "not-the-password") is None
    assert keys.unlock(stored["key"], PW) is not None
    # Nor does the user listing show the sealed key.
    assert "sealed" not in json.dumps(as_("admin").users.list())


def test_a_signature_copied_to_another_revision_fails_verify(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    write(ws, "QP-9.1-02")
    documents.new_document(as_("zhou"), "QP-9.1-02")
    documents.submit(as_("zhou"), "QP-9.1-02", ["li"], PW)
    app = as_("admin")
    other = app.store.get(documents.COLLECTION, "QP-9.1-02@A/0") or {}
    approval = dict(rev["signatures"][-1], sha256=other["content_sha256"])
    other["signatures"].append(approval)
    app.store.put(documents.COLLECTION, "QP-9.1-02@A/0", other, actor="admin", action="doc.edit")
    problems = _problems(as_)
    assert len(problems) == 1
    assert problems[0].startswith(f"{documents.COLLECTION}/QP-9.1-02@A/0: the 批准 approved signature of wang")
    assert "copied here from another object" in problems[0]


def test_a_signature_forged_without_the_password_fails_verify(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    app = as_("admin")
    # Someone without wang's password makes a key of their own and signs in wang's name with it.
    forger = Ed25519PrivateKey.generate()
    fake = dict(rev["signatures"][-1], at="2026-11-02T10:00:00")
    fake["ed25519"] = keys.sign_bytes(forger, keys.signature_message(f"{documents.COLLECTION}/{REV}", fake))
    rev["signatures"][-1] = fake
    app.store.put(documents.COLLECTION, REV, rev, actor="admin", action="doc.edit")
    (problem,) = _problems(as_)
    assert "the 批准 approved signature of wang (2026-11-02T10:00:00) does not verify under wang's key" in problem


def test_a_signature_under_a_key_never_registered_for_the_signer_fails_verify(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    app = as_("admin")
    # zhao signs with his own (registered) key, but in wang's name.
    zhao_key, zhao_private = app.users.unlock_key("zhao", PW)
    fake = dict(rev["signatures"][-1], key=zhao_key["id"])
    fake["ed25519"] = keys.sign_bytes(zhao_private, keys.signature_message(f"{documents.COLLECTION}/{REV}", fake))
    rev["signatures"][-1] = fake
    app.store.put(documents.COLLECTION, REV, rev, actor="admin", action="doc.edit")
    (problem,) = _problems(as_)
    assert f"was made with key {zhao_key['id']}, which the audit log never registered for wang" in problem


def test_after_an_admin_reset_the_user_cannot_sign_until_choosing_their_own_password(ws: Workspace, as_: As) -> None:
    write(ws)
    documents.new_document(as_("zhou"), NUMBER)
    documents.submit(as_("zhou"), NUMBER, ["li"], PW)
    documents.review(as_("li"), NUMBER, True, "ok", PW)
    as_("admin").users.set_password("wang", "admin-knows-1", actor="admin", by_password=PW)
    with pytest.raises(Refused, match="reset by admin .* must choose their own with `qms user passwd`"):
        documents.approve(as_("wang"), NUMBER, "admin-knows-1")
    rev = as_("admin").store.get(documents.COLLECTION, REV) or {}
    assert rev["state"] == "in_review" and len(rev["signatures"]) == 2
    # wang's own new password gives a key of his own, which signs.
    as_("wang").users.set_password("wang", "wang-own-pass-1", actor="wang")
    documents.approve(as_("wang"), NUMBER, "wang-own-pass-1")
    assert verify_store(as_("admin").store, ws.root).ok


def test_a_signature_made_under_an_admin_reset_key_is_named_by_verify(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    app = as_("admin")
    app.users.set_password("wang", "admin-knows-1", actor="admin", by_password=PW)
    # The admin, knowing the password they set, signs by hand what the software refuses to sign.
    stored, private = app.users.unlock_key("wang", "admin-knows-1")
    fake = dict(rev["signatures"][-1], key=stored["id"], at="2026-11-02T11:00:00")
    fake["ed25519"] = keys.sign_bytes(private, keys.signature_message(f"{documents.COLLECTION}/{REV}", fake))
    rev["signatures"][-1] = fake
    app.store.put(documents.COLLECTION, REV, rev, actor="admin", action="doc.edit")
    (problem,) = _problems(as_)
    assert f"was made under key {stored['id']}, which admin set by resetting wang's password" in problem
    assert "admin-reset key" in problem


def test_a_reset_does_not_let_the_new_password_sign_under_the_old_key(ws: Workspace, as_: As) -> None:
    _issued(ws, as_)
    app = as_("admin")
    old = (app.store.get("users", "wang") or {})["key"]
    app.users.set_password("wang", "admin-knows-1", actor="admin", by_password=PW)
    new = (app.store.get("users", "wang") or {})["key"]
    assert new["id"] != old["id"] and new["origin"] == keys.ADMIN_RESET
    assert keys.unlock(old, "admin-knows-1") is None
    # The reset is registered by an entry the admin signed; earlier signatures still verify, under the old key.
    (entry,) = [e for e in app.store.audit.entries() if e.get("action") == "user.passwd"]
    assert entry["actor"] == "admin" and entry["detail"]["key"]["attest"]["ed25519"]
    report = verify_store(app.store, ws.root)
    assert report.ok
    wang = [s for s in report.signatures["signatures"] if s["name"] == "wang"]
    assert [(s["key"], s["status"]) for s in wang] == [(old["id"], "verified")]


def test_an_admin_reset_needs_the_admins_own_password(ws: Workspace, as_: As) -> None:
    app = as_("admin")
    entries = len(list(app.store.audit.entries()))
    with pytest.raises(AuthError, match="needs your own password"):
        app.users.set_password("wang", "admin-knows-1", actor="admin")
    with pytest.raises(AuthError, match="wrong password for 'admin'"):
        app.users.set_password("wang", "admin-knows-1", actor="admin", by_password="guess-guess")
    assert len(list(app.store.audit.entries())) == entries


def test_signatures_from_before_signing_keys_are_unsigned_legacy_not_failures(ws: Workspace, as_: As) -> None:
    rev = _issued(ws, as_)
    app = as_("admin")
    rev["signatures"] = [{k: v for k, v in s.items() if k not in ("key", "ed25519")} for s in rev["signatures"]]
    app.store.put(documents.COLLECTION, REV, rev, actor="admin", action="doc.edit")
    report = verify_store(app.store, ws.root)
    assert report.ok
    assert report.signatures["counts"] == {"verified": 0, "unsigned (legacy)": 3, "failed": 0}


def test_verify_lists_each_signature_with_its_key(ws: Workspace, as_: As, invoke: Invoke) -> None:
    _issued(ws, as_)
    wang_key = (as_("admin").store.get("users", "wang") or {})["key"]["id"]
    result = invoke("verify", "--signatures")
    assert result.exit_code == 0, result.output
    assert f"verified: {documents.COLLECTION}/{REV} 批准 approved by wang at 2026-11-02T09:00:00, key {wang_key} (enrolment)" \
        in result.output
    assert "signatures: 3 verified (Ed25519), 0 unsigned (legacy), 0 failed" in result.output


def test_an_acknowledgement_given_with_the_password_is_signed_and_verified(ws: Workspace, as_: As,
                                                                          invoke: Invoke) -> None:
    _issued(ws, as_)
    result = invoke("--as", "zhao", "doc", "acknowledge", NUMBER)
    assert result.exit_code == 0, result.output
    app = as_("admin")
    ack = app.store.get("acknowledgements", f"{REV}@zhao") or {}
    assert ack["signature"]["meaning"] == "阅知 acknowledged" and ack["signature"]["ed25519"]
    assert verify_store(app.store, ws.root).signatures["counts"]["verified"] == 4
    # Moved to another user's acknowledgement, it no longer verifies.
    app.store.put("acknowledgements", f"{REV}@li", dict(ack, name="li"), actor="admin", action="doc.acknowledge")
    (problem,) = _problems(as_)
    assert problem.startswith(f"acknowledgements/{REV}@li: the 阅知 acknowledged signature of zhao")


def test_a_signed_record_move_copied_to_another_record_fails_verify(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from qms import records
    from tests.recordkit import FORM_NUMBER, PASSWORD, as_user, good_data, make_workspace

    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    app = make_workspace(tmp_path / "ws")
    first, second = (str(records.file(as_user(app, "li"), FORM_NUMBER, good_data())["number"]) for _ in range(2))
    for number in (first, second):
        records.update(as_user(app, "li"), number, {"analysis": "包装不良"})
        records.move(as_user(app, "li"), number, "analysed")
    records.move(as_user(app, "wang"), first, "approved", password=PASSWORD)
    signed = records.get(app, first)["signatures"][-1]
    assert signed["ed25519"] and verify_store(app.store, app.workspace.root).ok
    # The approval of the first record, put on the second one as if wang had approved it too.
    other = app.store.get("records", second) or {}
    other["state"] = "approved"
    other["signatures"].append(signed)
    app.store.put("records", second, other, actor="admin", action="record.move")
    problems = [f"{p.object}: {p.message}" for p in verify_store(app.store, app.workspace.root).problems]
    assert problems == [f"records/{second}: the 批准 approved signature of wang ({signed['at']}) does not verify "
                        f"under wang's key {signed['key']}: it was copied here from another object, altered, "
                        f"or made without wang's password"]


def test_a_user_from_before_signing_keys_gets_one_registered_at_the_first_signature(ws: Workspace, as_: As) -> None:
    app = as_("admin")
    wang = app.store.get("users", "wang") or {}
    del wang["key"]
    app.store.put("users", "wang", wang, actor="admin", action="user.set")
    rev = _issued(ws, as_)
    (entry,) = [e for e in app.store.audit.entries() if e.get("action") == "user.key"]
    assert entry["actor"] == "wang" and entry["detail"]["key"]["origin"] == keys.OWN
    assert rev["signatures"][-1]["key"] == entry["detail"]["key"]["id"]
    assert verify_store(app.store, ws.root).ok
