"""Admin actions carry the admin's Ed25519 signature over what they changed, and `qms verify` checks it.

`qms user add/set/deactivate/unlock`, `qms user passwd` of another user and `qms token create` each
sign their audit entry (the action, the object, its new state and the details) with the acting
admin's key; an edit of the user record that re-hashes its log line is named by verify.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qms.backend import open_store
from qms.audit import canonical, digest, entry_hash
from qms.workspace import Workspace
from tests.conftest import ADMIN_PASSWORD, Invoke


def _entries(workspace: Workspace) -> list[dict[str, object]]:
    return list(open_store(workspace).audit.entries())


def _rehash(workspace: Workspace, entries: list[dict[str, object]]) -> None:
    prev, out = "0" * 64, []
    for entry in entries:
        full = {k: v for k, v in entry.items() if k != "hash"} | {"prev": prev}
        full["hash"] = prev = entry_hash(full)
        out.append(canonical(full) + b"\n")
    (workspace.root / "records" / "audit.log").write_bytes(b"".join(out))


def test_every_admin_action_is_signed_by_the_admin_and_verify_counts_them(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None]) -> None:
    add_user("zhao", "department", "业务部")
    for args in (["user", "set", "zhao", "--post", "业务经理"],
                 ["user", "unlock", "zhao"],
                 ["token", "create", "--user", "zhao", "--expires", "2027-01-31"],
                 ["user", "passwd", "zhao", "--password-stdin"],
                 ["user", "deactivate", "zhao", "--reason", "离职 left"]):
        result = invoke("--as", "admin", *args, input="another-pass-2026\n")
        assert result.exit_code == 0, result.output
    admin_actions = {"user.add", "user.set", "user.unlock", "token.create", "user.passwd", "user.deactivate"}
    signed = {e["action"] for e in _entries(workspace)
              if e["action"] in admin_actions and isinstance(e.get("detail"), dict)
              and isinstance(e["detail"].get("admin_signature"), dict)}  # type: ignore[union-attr]
    assert signed == admin_actions
    result = invoke("verify", "--full")
    assert result.exit_code == 0, result.output
    assert "admin actions: 7 signed" in result.output  # the first admin adding itself, then six


@pytest.mark.folder_store  # edits the bucket file and rewrites the log file
def test_a_role_raised_in_the_store_with_its_log_line_rehashed_is_named_by_verify(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None]) -> None:
    add_user("zhao", "department", "业务部")
    store = open_store(workspace)
    bucket = store.bucket_path("users", "zhao")
    data = json.loads(bucket.read_text("utf-8"))
    for doc in data["objects"].values():
        if doc["_key"] == "zhao":
            doc["obj"]["role"] = "admin"
            raised = doc["obj"]
    bucket.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    entries = _entries(workspace)
    line = next(e for e in entries if e["action"] == "user.add" and e["key"] == "zhao")
    line["state"] = digest(raised)
    _rehash(workspace, entries)  # the whole chain, so that the chain itself is intact again
    result = invoke("verify", "--full")
    assert result.exit_code == 1, result.output
    named = [x for x in result.output.splitlines() if f"audit.log entry {line['seq']}" in x]
    assert named and "user.add" in named[0] and "admin" in named[0] and "signature" in named[0], result.output


@pytest.mark.folder_store  # rewrites the log file
def test_an_admin_action_with_its_signature_stripped_is_named_by_verify(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None]) -> None:
    add_user("zhao", "department", "业务部")
    assert invoke("--as", "admin", "user", "set", "zhao", "--role", "approver").exit_code == 0
    entries = _entries(workspace)
    line = next(e for e in entries if e["action"] == "user.set")
    del line["detail"]["admin_signature"]  # type: ignore[union-attr]
    _rehash(workspace, entries)
    result = invoke("verify", "--full")
    assert result.exit_code == 1, result.output
    assert any(f"audit.log entry {line['seq']}" in x and "without" in x for x in result.output.splitlines()), \
        result.output


def test_admin_actions_need_the_password_and_a_refusal_logs_nothing(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None], tmp_path: Path) -> None:
    add_user("zhao", "department", "业务部")
    before = len(_entries(workspace))
    result = invoke("--as", "admin", "user", "set", "zhao", "--post", "x", env={"QMS_PASSWORD": "wrong-pass-2026"})
    assert result.exit_code != 0
    assert len(_entries(workspace)) == before
    assert ADMIN_PASSWORD


@pytest.mark.folder_store  # the checkpoint and the log file are the folder store's
def test_plain_verify_from_a_checkpoint_names_a_later_admin_action_whose_signature_was_removed(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None]) -> None:
    add_user("zhao", "department", "业务部")
    clean = invoke("verify")
    assert clean.exit_code == 0, clean.output  # leaves the checkpoint: the signed entries before it are not re-read
    assert invoke("--as", "admin", "user", "set", "zhao", "--role", "approver").exit_code == 0
    entries = _entries(workspace)
    line = entries[-1]
    assert line["action"] == "user.set"
    del line["detail"]["admin_signature"]  # type: ignore[union-attr]
    _rehash(workspace, entries)  # the verified part keeps its bytes: only the new line differs
    result = invoke("verify")
    assert result.exit_code == 1, result.output
    assert "incremental" in result.output
    assert any(f"audit.log entry {line['seq']}" in x and "without" in x for x in result.output.splitlines()), \
        result.output
