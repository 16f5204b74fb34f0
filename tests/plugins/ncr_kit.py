"""Helpers for the nonconformity tests: workspaces with the NCR plugin beside the procedure that raises reports.

The other kits build a workspace with one procedure plugin; these open the same workspace with the
nonconformity plugin added (or without it, to show the other procedures keep working alone).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import qms_ncr.hooks
from qms_ncr.workflow import FORM

from qms import records
from qms.app import App
from qms.testing import make_host

PASSWORD = "demo-pass-2026"


def with_plugins(app: App, *plugins: ModuleType | object, ncr: bool = True) -> App:
    """The workspace of ``app`` opened with ``plugins`` (and the NCR plugin unless ``ncr`` is false), acting as admin."""
    chosen = (*plugins, qms_ncr.hooks) if ncr else plugins
    return App(app.workspace, make_host(chosen)).acting_as("admin")


def reports(app: App) -> list[dict[str, Any]]:
    """Every nonconformity report of the workspace, by number."""
    return sorted(records.list_records(app, FORM), key=lambda r: r["number"])


def audit_entries(app: App, action: str) -> list[dict[str, Any]]:
    """The audit log's entries of ``action`` (``record.nonconformity``, ``record.notify`` …), oldest first."""
    return [e for e in app.store.audit.entries() if e.get("action") == action]
