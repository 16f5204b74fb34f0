"""Users' posts (职务), changing and deactivating users, and workflows that require a post or a department.

A post is the office a user signs in (总经理, 管理者代表, 文控 …). ``qms user set`` and ``qms user
deactivate`` are admin-only and logged; a deactivated user keeps their signatures but can no longer
act, sign or log in. A transition may require a post or department (``Transition(posts=…, depts=…)``
or the ``qms_transition_signers`` hook); the core refuses the move in one line naming the post.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from recordkit import FORM_NUMBER, PASSWORD, WORKFLOW, RecordsTestPlugin, as_user, good_data, make_workspace, run

from qms import hookimpl, records
from qms.app import App
from qms.errors import AuthError, Refused
from qms.registry import Registry, Transition, Workflow
from qms.site.app import create_app
from qms.site.throttle import Throttle
from qms.verify import verify_store


def _audit(app: App, action: str) -> list[dict[str, Any]]:
    return [e for e in app.store.audit.entries() if e.get("action") == action]


def _analysed(app: App) -> str:
    number = str(records.file(as_user(app, "li"), FORM_NUMBER, good_data())["number"])
    records.update(as_user(app, "li"), number, {"analysis": "包装不良"})
    records.move(as_user(app, "li"), number, "analysed")
    return number


# -- posts on users ------------------------------------------------------------------------------


def test_user_add_takes_a_post_and_list_shows_post_and_active_state(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    added = run(app, ["--as", "admin", "user", "add", "chen", "--role", "approver", "--dept", "管理者代表",
                      "--post", "管理者代表", "--full-name", "陈管代", "--password-stdin", "--json"],
                input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["post"] == "管理者代表"
    listed = json.loads(run(app, ["user", "list", "--json"]).output)
    chen = next(u for u in listed if u["name"] == "chen")
    assert chen["post"] == "管理者代表" and chen["active"] is True
    table = run(app, ["user", "list"]).output
    assert "职务 Post" in table and "管理者代表" in table and "在职 active" in table


def test_user_set_changes_post_role_and_dept_as_admin_and_is_logged(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    result = run(app, ["--as", "admin", "user", "set", "wang", "--post", "总经理", "--dept", "总经理办公室", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["post"] == "总经理"
    assert app.users.get("wang")["post"] == "总经理"
    (entry,) = _audit(app, "user.set")
    assert entry["actor"] == "admin" and entry["detail"]["post"] == {"from": "", "to": "总经理"}
    assert entry["detail"]["admin_signature"]["by"] == "admin"  # signed by the admin (qms.admin_actions)
    human = run(app, ["--as", "admin", "user", "set", "zhao", "--role", "quality_officer"])
    assert human.exit_code == 0 and "changed user zhao" in human.output
    assert app.users.get("zhao")["role"] == "quality_officer"


def test_user_set_and_deactivate_are_admin_only_and_a_refusal_changes_nothing(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    before = app.users.get("zhao")
    entries = len(list(app.store.audit.entries()))
    for args in (["user", "set", "zhao", "--post", "总经理"], ["user", "deactivate", "zhao", "--reason", "离职"]):
        refused = run(app, ["--as", "li", *args])
        assert refused.exit_code == 1 and "li (quality_officer) may not" in refused.output
        assert "Traceback" not in refused.output and len(refused.output.strip().splitlines()) == 1
    bad_role = run(app, ["--as", "admin", "user", "set", "zhao", "--role", "boss"])
    assert bad_role.exit_code == 2 and "unknown role 'boss'" in bad_role.output
    two_lines = run(app, ["--as", "admin", "user", "set", "zhao", "--post", "总经理\n管理者代表"])
    assert two_lines.exit_code == 2 and "must be one line" in two_lines.output
    nothing = run(app, ["--as", "admin", "user", "set", "zhao"])
    assert nothing.exit_code == 2 and "say what to change" in nothing.output
    no_reason = run(app, ["--as", "admin", "user", "deactivate", "zhao", "--reason", " "])
    assert no_reason.exit_code == 2 and "needs a reason" in no_reason.output
    assert app.users.get("zhao") == before and len(list(app.store.audit.entries())) == entries


def test_a_deactivated_user_can_no_longer_act_or_sign_but_keeps_past_signatures(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _analysed(app)
    records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    done = run(app, ["--as", "admin", "user", "deactivate", "wang", "--reason", "离职 left the company", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["active"] is False
    (entry,) = _audit(app, "user.deactivate")
    assert entry["actor"] == "admin" and entry["reason"] == "离职 left the company"
    assert "已停用 deactivated" in run(app, ["user", "list"]).output
    # --as is refused …
    acting = run(app, ["--as", "wang", "record", "move", number, "closed", "--password-stdin"], input=PASSWORD + "\n")
    assert acting.exit_code == 1 and "'wang' is deactivated" in acting.output
    # … and so is a signature, even with the right password.
    second = _analysed(app)
    with pytest.raises(AuthError, match="deactivated"):
        records.move(as_user(app, "wang"), second, "approved", password=PASSWORD)
    assert records.get(app, second)["state"] == "analysed" and not records.get(app, second)["signatures"]
    # The signature made before stays on the record, and the store still verifies.
    (sig,) = records.get(app, number)["signatures"]
    assert sig["name"] == "wang" and sig["meaning"] == "批准 approved"
    assert "Wang" in run(app, ["record", "show", number]).output
    assert verify_store(app.store, app.workspace.root).ok


def test_a_deactivated_user_is_refused_at_login_and_logged_out(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    flask = create_app(app, secret_key="test-secret")
    client = flask.test_client()

    def login(name: str) -> int:
        with client.get("/login") as page:
            found = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
        assert found
        with client.post("/login", data={"name": name, "password": PASSWORD, "csrf": found.group(1)}) as r:
            return r.status_code

    assert login("zhao") == 302
    with client.get("/work/") as r:
        assert r.status_code == 200
    app.users.deactivate("zhao", "admin", "离职")
    # The open session ends at the next request.
    with client.get("/work/") as r:
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert login("zhao") == 401
    # Counted like any failed login, not logged one by one: the next summary names the user.
    Throttle(app.store).flush()
    (summary,) = _audit(app, "site.login.failures")
    assert summary["detail"]["known_names"] == ["zhao"]


# -- posts and departments on transitions -----------------------------------------------------------


def _plugin_with(transition: Transition) -> RecordsTestPlugin:
    workflow = Workflow(form=WORKFLOW.form, states=WORKFLOW.states, initial=WORKFLOW.initial,
                        transitions=tuple(transition if (t.source, t.target) == (transition.source, transition.target)
                                          else t for t in WORKFLOW.transitions))

    class Plugin(RecordsTestPlugin):
        @hookimpl
        def qms_register_workflows(self, registry: Registry) -> None:
            registry.add_workflow(workflow)

    return Plugin()


def test_a_transition_requiring_a_post_refuses_others_in_one_line_naming_the_post(tmp_path: Path) -> None:
    plugin = _plugin_with(Transition("analysed", "approved", roles=("approver",), signature="批准 approved",
                                     posts=("总经理",)))
    app = make_workspace(tmp_path / "ws", plugin)
    app.users.add("chen", "approver", "质量管理部", PASSWORD, actor="admin", post="管理者代表")
    app.users.change("wang", "admin", post="总经理")
    number = _analysed(app)
    entries = len(list(app.store.audit.entries()))
    refused = run(app, ["--as", "chen", "record", "move", number, "approved", "--password-stdin"],
                  input=PASSWORD + "\n")
    assert refused.exit_code == 1
    line = refused.output.strip()
    assert len(line.splitlines()) == 1 and "needs post 总经理" in line and "chen has post 管理者代表" in line
    assert records.get(app, number)["state"] == "analysed" and len(list(app.store.audit.entries())) == entries
    records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    (sig,) = records.get(app, number)["signatures"]
    assert sig["post"] == "总经理"


def test_a_transition_requiring_a_department_lets_its_members_sign(tmp_path: Path) -> None:
    plugin = _plugin_with(Transition("analysed", "approved", roles=("approver",), signature="批准 approved",
                                     posts=("总经理",), depts=("物资管理部",)))
    app = make_workspace(tmp_path / "ws", plugin)
    app.users.add("xu", "approver", "物资管理部", PASSWORD, actor="admin")
    number = _analysed(app)
    with pytest.raises(Refused, match="needs post 总经理 or department 物资管理部"):
        records.move(as_user(app, "wang"), number, "approved", password=PASSWORD)
    records.move(as_user(app, "xu"), number, "approved", password=PASSWORD)
    assert records.get(app, number)["state"] == "approved"


class SignersByField(RecordsTestPlugin):
    """A major (重大) record's approval needs the general manager; an ordinary one any approver."""

    @hookimpl
    def qms_transition_signers(self, record: dict[str, Any], target: str) -> dict[str, list[str]] | None:
        if record["form"] == FORM_NUMBER and target == "approved" and record["data"].get("severity") == "重大":
            return {"posts": ["总经理"]}
        return None

    @hookimpl
    def qms_check_transition(self, record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
        return []


def test_the_signers_hook_requires_a_post_depending_on_the_record(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws", SignersByField())
    app.users.add("chen", "approver", "质量管理部", PASSWORD, actor="admin", post="管理者代表")
    app.users.change("wang", "admin", post="总经理")
    ordinary = _analysed(app)
    records.move(as_user(app, "chen"), ordinary, "approved", password=PASSWORD)
    major = str(records.file(as_user(app, "li"), FORM_NUMBER, good_data(severity="重大", analysis="x"))["number"])
    records.move(as_user(app, "li"), major, "analysed")
    with pytest.raises(Refused, match="needs post 总经理"):
        records.move(as_user(app, "chen"), major, "approved", password=PASSWORD)
    records.move(as_user(app, "wang"), major, "approved", password=PASSWORD)
    assert records.get(app, major)["state"] == "approved"


class BadSigners(RecordsTestPlugin):
    @hookimpl
    def qms_transition_signers(self, record: dict[str, Any], target: str) -> Any:
        return "总经理" if target == "approved" else None  # not {"posts": [...]}


def test_a_signers_hook_answering_the_wrong_shape_is_a_plugin_error_and_moves_nothing(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws", BadSigners())
    number = _analysed(app)
    result = run(app, ["--as", "wang", "record", "move", number, "approved", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 3 and "qms_transition_signers must return" in result.output
    assert records.get(app, number)["state"] == "analysed"
