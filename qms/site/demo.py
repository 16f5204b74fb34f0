"""The demo's last step: write the evidence bundle an auditor takes away (``qms demo`` then says how to open the site)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qms.demo_context import DemoContext

BUNDLE_NAME = "evidence-bundle.zip"
SITE_URL = "http://127.0.0.1:8000"


def step_site(ctx: DemoContext) -> None:
    """Export the evidence bundle as the demo auditor (static site, PDFs, JSON, audit log, manifest)."""
    from qms.bundle import export_bundle

    app = ctx.app.acting_as("auditor")
    out = app.workspace.root / BUNDLE_NAME
    result = export_bundle(app, out)
    ctx.say(f"evidence bundle: {out} ({result['files']} files, audit head {result['audit_head'][:16]}); "
            f"check it offline with `qms verify {out}`, or unzip it and open index.html")
