"""QP-8.2-01: the reply to a 重大 or 特殊重大 complaint is approved by the 总经理 or the 管理者代表 (by post).

Any approver may approve the reply to an ordinary (一般) complaint; a major one needs a user whose
post (职务) is 总经理 or 管理者代表, checked by the core on the signed move, with one refusal line
that names the posts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qms import records
from qms.app import App
from qms.cli import make_cli
from qms.errors import Refused
from tests.plugins.complaints_kit import CUSTOMER, PASSWORD, at, file, make_app, step, to_investigating


def run_cli(app: App, *args: str, input: str | None = None) -> Result:
    with at("2026-10-13T10:00:00"):
        return CliRunner().invoke(make_cli(app.host), ["--workspace", str(app.workspace.root), *args], input=input,
                                  catch_exceptions=False)


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def _drafted(app: App, **over: object) -> str:
    number = file(app, **over)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-13T09:00:00", "reply_drafted", CUSTOMER)
    return number


def test_a_major_complaints_reply_needs_the_general_manager_or_the_management_representative(app: App) -> None:
    major = _drafted(app, compensation_claimed=True)
    entries = len(list(app.store.audit.entries()))
    with pytest.raises(Refused, match="needs post 总经理 or post 管理者代表") as refused:
        step(app, major, "xu", "2026-10-13T10:00:00", "reply_approved", sign=True)
    assert "\n" not in str(refused.value) and "xu has post 副总经理" in str(refused.value)
    assert records.get(app, major)["state"] == "reply_drafted" and not records.get(app, major)["signatures"]
    assert len(list(app.store.audit.entries())) == entries
    step(app, major, "chen", "2026-10-13T10:00:00", "reply_approved", sign=True)
    (signature,) = records.get(app, major)["signatures"]
    assert signature["name"] == "chen" and signature["post"] == "管理者代表"


def test_a_special_major_complaints_reply_is_refused_to_other_approvers_on_the_command_line(app: App) -> None:
    special = _drafted(app, amount_involved=20000)
    result = run_cli(app, "--as", "xu", "record", "move", special, "reply_approved", "--password-stdin",
                     input=PASSWORD + "\n")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "needs post 总经理 or post 管理者代表" in result.output
    step(app, special, "wang", "2026-10-13T10:00:00", "reply_approved", sign=True)
    assert records.get(app, special)["state"] == "reply_approved"


def test_an_ordinary_complaints_reply_may_be_approved_by_any_approver(app: App) -> None:
    ordinary = _drafted(app)
    step(app, ordinary, "xu", "2026-10-13T10:00:00", "reply_approved", sign=True)
    assert records.get(app, ordinary)["state"] == "reply_approved"


def test_my_work_offers_a_major_complaints_reply_only_to_the_posts_that_may_approve_it(app: App) -> None:
    from qms import mywork

    major, ordinary = _drafted(app, compensation_claimed=True), _drafted(app)

    def waiting(name: str) -> set[str]:
        work = mywork.my_work(app, app.users.get(name), now=datetime(2026, 10, 13, 10, 0))
        return {i["ref"] for i in work["items"] if i["kind"] == "signature" and i.get("to") == "reply_approved"}

    assert waiting("chen") == {major, ordinary}
    assert waiting("xu") == {ordinary}
