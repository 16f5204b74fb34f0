"""Who you are is proven, not claimed: `qms login`, QMS_PASSWORD, QMS_TOKEN; `--as` alone changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qms.backend import open_store
from qms.workspace import Workspace
from tests.conftest import Invoke
from tests.doc_fixtures import NUMBER, PW, ws, write  # noqa: F401 - fixtures


def _entries(ws: Workspace) -> list[dict]:
    return list(open_store(ws).audit.entries())


@pytest.fixture
def nopw(monkeypatch: pytest.MonkeyPatch) -> None:
    """No QMS_PASSWORD: the command must prove who it is some other way."""
    monkeypatch.delenv("QMS_PASSWORD", raising=False)


def test_as_without_a_login_or_password_is_refused_and_changes_nothing(ws: Workspace, invoke: Invoke,
                                                                        nopw: None) -> None:
    write(ws)
    before = _entries(ws)
    result = invoke("--as", "zhou", "doc", "new", NUMBER)
    assert result.exit_code != 0
    assert result.output.strip() == ("Error: --as zhou alone proves nothing: run `qms login zhou` first, or set "
                                     "QMS_PASSWORD (QMS_TOKEN for scripts); nothing was changed")
    assert _entries(ws) == before and not open_store(ws).query("revisions")
    named = invoke("doc", "new", NUMBER, env={"QMS_USER": "zhou"})
    assert named.exit_code != 0 and "run `qms login zhou` first" in named.output
    assert _entries(ws) == before


def test_the_admin_reset_attack_is_refused_without_the_admins_password(ws: Workspace, invoke: Invoke,
                                                                        nopw: None) -> None:
    before = _entries(ws)
    result = invoke("--as", "admin", "user", "passwd", "wang", "--password-stdin", input="new-pass-2026\n")
    assert result.exit_code != 0 and "run `qms login admin` first" in result.output
    assert _entries(ws) == before


def test_a_wrong_qms_password_is_refused(ws: Workspace, invoke: Invoke) -> None:
    write(ws)
    result = invoke("--as", "zhou", "doc", "new", NUMBER, env={"QMS_PASSWORD": "not-zhous-pass"})
    assert result.exit_code != 0 and "wrong password for 'zhou'" in result.output
    assert not open_store(ws).query("revisions")


def test_read_only_commands_stay_open(ws: Workspace, invoke: Invoke, nopw: None) -> None:
    assert invoke("--as", "zhou", "user", "list").exit_code == 0
    assert invoke("verify").exit_code == 0


def test_login_keeps_a_token_in_the_users_config_and_only_its_hash_in_the_workspace(
        ws: Workspace, invoke: Invoke, nopw: None, tmp_path: Path) -> None:
    write(ws)
    result = invoke("login", "zhou", "--password-stdin", input=PW + "\n")
    assert result.exit_code == 0, result.output
    assert "logged in as zhou" in result.output
    saved = json.loads((tmp_path / "config" / "qms" / "logins.json").read_text(encoding="utf-8"))
    token = saved[str(ws.root.resolve())]["token"]
    assert (tmp_path / "config" / "qms" / "logins.json").stat().st_mode & 0o077 == 0
    assert all(token not in p.read_text(encoding="utf-8", errors="ignore") for p in ws.records.rglob("*") if p.is_file())
    assert [e["actor"] for e in _entries(ws) if e["action"] == "user.login"] == ["zhou"]
    # Without --as, the logged-in user acts.
    made = invoke("doc", "new", NUMBER)
    assert made.exit_code == 0, made.output
    assert _entries(ws)[-1]["actor"] == "zhou"
    # Logging out revokes the token (logged): the next change is refused.
    assert invoke("logout").exit_code == 0
    assert [e["actor"] for e in _entries(ws) if e["action"] == "user.logout"] == ["zhou"]
    again = invoke("doc", "new", "QP-9.1-02")
    assert again.exit_code != 0 and "qms login NAME" in again.output


def test_a_login_with_a_wrong_password_is_refused_and_logs_nothing(ws: Workspace, invoke: Invoke, nopw: None) -> None:
    before = _entries(ws)
    result = invoke("login", "zhou", "--password-stdin", input="wrong-one\n")
    assert result.exit_code != 0 and "wrong password for 'zhou'" in result.output
    assert _entries(ws) == before


def test_a_login_is_for_its_user_only(ws: Workspace, invoke: Invoke, nopw: None) -> None:
    write(ws)
    assert invoke("login", "zhou", "--password-stdin", input=PW + "\n").exit_code == 0
    result = invoke("--as", "li", "doc", "new", NUMBER)
    assert result.exit_code != 0 and "run `qms login li` first" in result.output


def test_admin_actions_need_the_admins_own_password_even_when_logged_in(ws: Workspace, invoke: Invoke,
                                                                         nopw: None) -> None:
    assert invoke("login", "admin", "--password-stdin", input=PW + "\n").exit_code == 0
    before = _entries(ws)
    result = invoke("user", "add", "sun", "--role", "department", "--dept", "业务部", "--password-stdin",
                    input="sun-pass-2026\n")
    assert result.exit_code != 0 and "adding a user needs your own password (admin)" in result.output
    assert _entries(ws) == before
    ok = invoke("user", "add", "sun", "--role", "department", "--dept", "业务部", "--password-stdin",
                input="sun-pass-2026\n", env={"QMS_PASSWORD": PW})
    assert ok.exit_code == 0, ok.output


def test_a_script_token_made_by_an_admin_acts_as_its_user(ws: Workspace, invoke: Invoke, nopw: None) -> None:
    write(ws)
    made = invoke("--as", "admin", "token", "create", "--user", "zhou", "--expires", "2027-01-31",
                  env={"QMS_PASSWORD": PW})
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("qms_")
    assert [e["detail"]["user"] for e in _entries(ws) if e["action"] == "token.create"] == ["zhou"]
    used = invoke("doc", "new", NUMBER, env={"QMS_TOKEN": token})
    assert used.exit_code == 0, used.output
    assert _entries(ws)[-1]["actor"] == "zhou"
    # The token is zhou's, not anyone's.
    other = invoke("--as", "li", "doc", "new", "QP-9.1-02", env={"QMS_TOKEN": token})
    assert other.exit_code != 0 and "QMS_TOKEN belongs to zhou, not li" in other.output
    # A script token acts as its user even where someone else is logged in.
    assert invoke("login", "li", "--password-stdin", input=PW + "\n").exit_code == 0
    write(ws, "QP-9.1-02")
    assert invoke("doc", "new", "QP-9.1-02", env={"QMS_TOKEN": token}).exit_code == 0
    assert _entries(ws)[-1]["actor"] == "zhou"


def test_an_expired_or_revoked_token_is_refused(ws: Workspace, invoke: Invoke, nopw: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(ws)
    token = invoke("--as", "admin", "token", "create", "--user", "zhou", "--expires", "2026-11-03",
                   env={"QMS_PASSWORD": PW}).stdout.strip()
    monkeypatch.setenv("QMS_NOW", "2026-11-04T09:00:00")
    late = invoke("doc", "new", NUMBER, env={"QMS_TOKEN": token})
    assert late.exit_code != 0 and "the token of zhou expired at 2026-11-03T23:59:59" in late.output
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    (row,) = json.loads(invoke("token", "list", "--json").output)
    assert invoke("--as", "admin", "token", "revoke", row["id"], env={"QMS_PASSWORD": PW}).exit_code == 0
    revoked = invoke("doc", "new", NUMBER, env={"QMS_TOKEN": token})
    assert revoked.exit_code != 0 and "unknown or was revoked" in revoked.output
    assert not open_store(ws).query("revisions")


def test_an_admin_reset_password_cannot_sign_as_the_user(ws: Workspace, invoke: Invoke) -> None:
    from qms import documents

    write(ws)
    assert invoke("--as", "zhou", "doc", "new", NUMBER).exit_code == 0
    assert invoke("--as", "zhou", "doc", "submit", NUMBER, "--reviewer", "li", "--password-stdin",
                  input=PW + "\n").exit_code == 0
    assert invoke("--as", "li", "doc", "review", NUMBER, "--accept", "--password-stdin", input=PW + "\n").exit_code == 0
    reset = invoke("--as", "admin", "user", "passwd", "wang", "--password-stdin", input="admin-knows-1\n")
    assert reset.exit_code == 0, reset.output
    signed = invoke("--as", "wang", "doc", "approve", NUMBER, "--password-stdin", input="admin-knows-1\n",
                    env={"QMS_PASSWORD": "admin-knows-1"})
    assert signed.exit_code != 0
    assert "wang's password was reset by admin" in signed.output and "`qms user passwd`" in signed.output
    rev = open_store(ws).get(documents.COLLECTION, f"{NUMBER}@A/0") or {}
    assert rev["state"] == "in_review"
    assert invoke("verify").exit_code == 0
