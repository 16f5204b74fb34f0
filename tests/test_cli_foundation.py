"""The command line's contract: version, help with examples, workspaces, users and roles, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from storekit import tampered

from qms.backend import open_store
from qms.cli import build
from qms.workspace import Workspace, init_workspace
from tests.conftest import ADMIN_PASSWORD, Invoke


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            out.extend(_all_commands(command, (*prefix, name)))
    return out


def test_version() -> None:
    result = CliRunner().invoke(build(["--version"]), ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("qms, version ")


def test_every_group_and_command_has_help_with_an_example() -> None:
    cli = build([])
    commands = _all_commands(cli)
    assert {"init", "check", "verify", "plugins", "user", "demo"} <= {path[0] for path, _ in commands}
    for path, _ in commands:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"qms {' '.join(path)} --help shows no example"


def test_init_creates_the_workspace_layout(tmp_path: Path) -> None:
    result = CliRunner().invoke(build([]), ["init", str(tmp_path / "acme"), "--org", "某某科技有限公司"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "acme"
    assert {"qms.toml", "procedures", "forms", "records"} <= {p.name for p in root.iterdir()}
    assert 'name = "某某科技有限公司"' in (root / "qms.toml").read_text(encoding="utf-8")
    again = CliRunner().invoke(build([]), ["init", str(root)])
    assert again.exit_code == 2
    assert "already a workspace" in again.output


def test_workspace_is_found_from_a_subfolder_and_from_the_environment(workspace: Workspace, tmp_path: Path) -> None:
    sub = workspace.root / "procedures"
    found = subprocess.run([sys.executable, "-m", "qms", "check", "--json"], cwd=sub, capture_output=True, text=True)
    assert '"problems"' in found.stdout, found.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env_found = subprocess.run([sys.executable, "-m", "qms", "user", "list"], cwd=elsewhere, capture_output=True,
                               text=True, env={"PATH": "/usr/bin:/bin", "QMS_WORKSPACE": str(workspace.root)})
    assert env_found.returncode == 0, env_found.stderr


def test_outside_any_workspace_says_so_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "qms", "user", "list"], cwd=tmp_path, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not inside a qms workspace" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_workspace_path_that_does_not_exist(tmp_path: Path) -> None:
    argv = ["--workspace", str(tmp_path / "missing"), "user", "list"]
    result = CliRunner().invoke(build(argv), argv)
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_malformed_qms_toml_is_one_line_and_changes_nothing(invoke: Invoke, workspace: Workspace, admin: str) -> None:
    store = open_store(workspace)  # opened while qms.toml can still be read
    audit_before = store.audit_bytes()
    (workspace.root / "qms.toml").write_text("[organisation\nname = 'x'\n", encoding="utf-8")
    result = invoke("--as", admin, "user", "add", "x", "--role", "auditor", "--dept", "审核", "--password-stdin",
                    input="whatever-1\n")
    assert result.exit_code == 2
    assert "qms.toml is not valid TOML" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert store.audit_bytes() == audit_before


def test_wrongly_typed_config_value(invoke: Invoke, workspace: Workspace) -> None:
    text = (workspace.root / "qms.toml").read_text(encoding="utf-8")
    (workspace.root / "qms.toml").write_text(text.replace("review_interval_months = 12", 'review_interval_months = "x"'),
                                              encoding="utf-8")
    result = invoke("user", "list")
    assert result.exit_code == 2
    assert "documents.review_interval_months" in result.output


def test_users_add_list_and_roles(invoke: Invoke, admin: str, add_user: object, workspace: Workspace) -> None:
    add_user("li", "department", "品质部", full_name="李明")  # type: ignore[operator]
    listed = invoke("user", "list", "--json")
    assert '"li"' in listed.output and '"department"' in listed.output and "password" not in listed.output
    stored = open_store(workspace).get("users", "li")
    assert stored is not None and stored["password"].startswith("scrypt$") and "demo-pass-2026" not in str(stored)
    refused = invoke("--as", "li", "user", "add", "x", "--role", "admin", "--dept", "x", "--password-stdin",
                     input="longenough\n")
    assert refused.exit_code == 1
    assert "li (department) may not add users" in refused.output
    assert open_store(workspace).get("users", "x") is None


def test_first_user_must_be_admin(invoke: Invoke) -> None:
    result = invoke("user", "add", "li", "--role", "department", "--dept", "品质部", "--password-stdin", input="abcdefgh1\n")
    assert result.exit_code == 2
    assert "first user" in result.output


def test_unknown_user_and_missing_actor_are_refused(invoke: Invoke, admin: str) -> None:
    unknown = invoke("--as", "nobody", "user", "add", "x", "--role", "auditor", "--dept", "x", "--password-stdin",
                     input="abcdefgh1\n")
    assert unknown.exit_code == 1 and "unknown user 'nobody'" in unknown.output
    anonymous = invoke("user", "add", "x", "--role", "auditor", "--dept", "x", "--password-stdin", input="abcdefgh1\n")
    assert anonymous.exit_code == 2 and "--as NAME" in anonymous.output


def test_passwd_needs_the_current_password(invoke: Invoke, admin: str, workspace: Workspace) -> None:
    before = open_store(workspace).get("users", admin)
    wrong = invoke("--as", admin, "user", "passwd", "--password-stdin", input="not-it\nnew-password-1\n")
    assert wrong.exit_code == 1 and "wrong password" in wrong.output
    assert open_store(workspace).get("users", admin) == before
    right = invoke("--as", admin, "user", "passwd", "--password-stdin", input=f"{ADMIN_PASSWORD}\nnew-password-1\n")
    assert right.exit_code == 0, right.output
    from qms.users import check_password

    after = open_store(workspace).get("users", admin)
    assert after is not None and check_password("new-password-1", after["password"])


def test_unknown_role_is_refused(invoke: Invoke, admin: str) -> None:
    result = invoke("--as", admin, "user", "add", "x", "--role", "boss", "--dept", "x", "--password-stdin",
                    input="abcdefgh1\n")
    assert result.exit_code == 2 and "unknown role 'boss'" in result.output


def test_verify_names_a_hand_edited_user(invoke: Invoke, admin: str, add_user: object, workspace: Workspace) -> None:
    add_user("li", "department")  # type: ignore[operator]
    assert invoke("verify").exit_code == 0
    with tampered(open_store(workspace), "users", "li", lambda user: {**user, "role": "admin"}):
        result = invoke("verify")
    assert result.exit_code == 1
    assert "CHANGED users/li" in result.output
    assert "users/admin" not in result.output


def test_init_is_refused_in_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    result = CliRunner().invoke(build([]), ["init", str(tmp_path / "busy")])
    assert result.exit_code == 2 and "not empty" in result.output


@pytest.mark.parametrize("bad", ["a b", "x" * 41, "../etc"])
def test_bad_user_names(invoke: Invoke, admin: str, bad: str) -> None:
    result = invoke("--as", admin, "user", "add", bad, "--role", "auditor", "--dept", "x", "--password-stdin",
                    input="abcdefgh1\n")
    assert result.exit_code == 2 and "user name" in result.output


def test_reference_workspace_ships_with_the_package(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ref")
    assert ws.config.organisation
