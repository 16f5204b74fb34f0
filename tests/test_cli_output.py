"""CLI output for people and scripts: aligned tables with Chinese text, --json on every data command, completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import click
from click.shell_completion import ShellComplete

from qms.cli import build

from conftest import Invoke


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_user_list_aligns_chinese_columns_by_display_width(invoke: Invoke, add_user) -> None:  # type: ignore[no-untyped-def]
    add_user("wang", "approver", "总经理办公室", full_name="王强")
    add_user("li", "quality_officer", "品质部", full_name="李")
    lines = [line for line in invoke("user", "list").output.splitlines() if line.strip()]
    assert lines[0].split()[:2] == ["用户", "User"]
    # The full-name column starts at the same display column on every row, whatever the departments hold.
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"admin", "wang", "li"}
    # The full-name column starts at the same display column on every row, whatever the departments hold.
    starts = {_width(rows["wang"][: rows["wang"].index("王强")]), _width(rows["li"][: rows["li"].rindex("李")])}
    assert len(starts) == 1 and _width(rows["wang"][: rows["wang"].index("王强")]) > _width("wang  approver  总经理办公室")
    assert "\x1b[" not in invoke("user", "list").output  # no colour codes when not on a terminal


def test_every_command_that_prints_data_has_json() -> None:
    without = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])
            elif not any("--json" in p.opts for p in command.params if isinstance(p, click.Option)):
                without.append(" ".join([*prefix, name]))

    walk(build([]), [])
    # These print a status line (or a token, once) or run a server, not data.
    assert set(without) <= {"demo", "init", "serve", "user passwd", "login", "logout", "token create",
                            "token revoke"}, without


def _complete(args: list[str], incomplete: str, cwd: Path) -> list[str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        cli = build([])
        comp = ShellComplete(cli, {}, "qms", "_QMS_COMPLETE")
        return [item.value for item in comp.get_completions(args, incomplete)]
    finally:
        os.chdir(old)


def test_completion_offers_form_record_and_document_numbers(invoke: Invoke, workspace, add_user) -> None:  # type: ignore[no-untyped-def]
    assert "QR-8.2-01" in _complete(["record", "new"], "QR-8.2", workspace.root)
    assert _complete(["doc", "show"], "QP-8.2", workspace.root) in ([], ["QP-8.2-01"])
    assert _complete(["form", "show"], "QR-7.1-0", workspace.root) == [f"QR-7.1-0{i}" for i in range(1, 7)]


def test_completion_script_is_printed_for_bash() -> None:
    env = {**os.environ, "_QMS_COMPLETE": "bash_source"}
    out = subprocess.run([sys.executable, "-m", "qms"], env=env, capture_output=True, text=True).stdout
    assert "_QMS_COMPLETE=bash_complete" in out
