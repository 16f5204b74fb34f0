"""Helpers for the internal audit tests: a workspace with users of several departments, a procedure in
force for the clause map, and valid programme and audit data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qms_audit.hooks
from qms import documents
from qms.api import DEMO_PASSWORD, DEMO_USERS
from qms.app import App
from qms.testing import make_app as make_test_app

PASSWORD = DEMO_PASSWORD
NOW = "2026-11-02T09:00:00"  # a Monday

#: zhou of 质量管理部 audits; li of 品质部 is audited; chen (管理者代表) approves the programme.
USERS = DEMO_USERS[:6]  # admin, zhou, li, wang, chen, zhao as the demo has them

_TEMPLATES: dict[tuple[Path, tuple[object, ...]], Path] = {}


def make_app(tmp_path: Path, plugins: tuple[object, ...] = (qms_audit.hooks,)) -> App:
    """A workspace acted in by zhou, with QP-8.2-01 (citing 8.2.1 … 8.2.3) issued and in force.

    The first workspace per list of plugins is kept as a template and copied for later tests:
    hashing passwords and signing the document's lifecycle are the slow parts.
    """
    key = (tmp_path.parent, plugins)
    template = _TEMPLATES.get(key)
    if template is None:
        template = tmp_path.parent / f"audit-template-{len(_TEMPLATES)}" / "ws"
        app = make_test_app(template, plugins, USERS, password=PASSWORD)
        issue_procedure(app, "QP-8.2-01")
        _TEMPLATES[key] = template
    return make_test_app(tmp_path / "ws", plugins, template=template).acting_as("zhou")


def issue_procedure(app: App, number: str) -> None:
    """Take ``number`` under control and through review and approval, issued in force from today."""
    documents.new_document(app.acting_as("zhou"), number)
    documents.submit(app.acting_as("zhou"), number, ["li"], PASSWORD)
    documents.review(app.acting_as("li"), number, True, "同意", PASSWORD)
    documents.approve(app.acting_as("wang"), number, PASSWORD)
    documents.issue(app.acting_as("zhou"), number)


def programme(**over: Any) -> dict[str, Any]:
    """A valid 2026 programme: 品质部 in October, 业务部 in December."""
    data: dict[str, Any] = {"year": 2026, "objective": "验证体系有效实施", "prepared_by": "zhou",
                            "audits": [{"dept": "品质部", "clauses": ["7.1.5", "8.2"], "month": "2026-10"},
                                       {"dept": "业务部", "clauses": ["8.2"], "month": "2026-12"}]}
    data.update(over)
    return data


def audit(**over: Any) -> dict[str, Any]:
    """A valid audit of 品质部 against 7.1.5 and 8.2 by zhou of 质量管理部."""
    data: dict[str, Any] = {"dept": "品质部", "clauses": ["7.1.5", "8.2"], "auditor": "zhou", "planned_on": "2026-10-20"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}
