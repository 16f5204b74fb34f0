"""A workspace for the web workspace tests: the four shipped plugins, the demo's users and one procedure in force.

``build(root)`` makes it with the real services: every shipped procedure plugin is loaded as the
CLI loads it, the users are the demo's (``zhao`` a 业务部 clerk, ``li`` a 品质部 quality officer,
``zhou`` the document controller, ``wang`` and ``chen`` approvers, ``auditor``), and QP-8.2-01 is
prepared by zhou, reviewed by li, approved by wang and issued at A/0.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qms import documents
from qms.app import App
from qms.clock import frozen_at
from qms.demo_context import DEMO_PASSWORD, DEMO_USERS
from qms.host import Host, make_plugin_manager
from qms.testing import add_users
from qms.workspace import init_workspace

PW = DEMO_PASSWORD
NOW = "2026-11-02T09:00:00"
PROC = "QP-8.2-01"
COMPLAINT = "QR-8.2-01"


def host() -> Host:
    """The built-ins and every installed plugin, found through their entry points like the CLI finds them."""
    return Host(make_plugin_manager())


def build(root: Path) -> App:
    """The workspace at ``root``, acting as nobody."""
    ws = init_workspace(root, kind="test")
    app = App(ws, host())
    add_users(app, DEMO_USERS, password=PW)
    with frozen_at("2026-10-01T09:00:00"):
        documents.new_document(app.acting_as("zhou"), PROC)
        documents.submit(app.acting_as("zhou"), PROC, ["li"], PW)
        documents.review(app.acting_as("li"), PROC, True, "完整 complete", PW)
        documents.approve(app.acting_as("wang"), PROC, PW)
        documents.issue(app.acting_as("zhou"), PROC)
    return app


def csrf(html: str) -> str:
    """The CSRF token of a page (its first form's, or the workspace pages' meta tag)."""
    found = re.search(r'name="csrf" value="([^"]+)"', html) or re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: Any, name: str, password: str = PW) -> Any:
    """Log ``client`` in as ``name``; the login response."""
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf(page.text), "name": name, "password": password})


__all__ = ["COMPLAINT", "NOW", "PROC", "PW", "build", "csrf", "host", "login"]
