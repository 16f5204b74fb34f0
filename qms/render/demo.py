"""The demo's rendering step: every issued procedure and every demo record as PDF into ``records/pdf/``.

It runs last, so it renders whatever the earlier steps filed, on every core, and registers each
file's sha256 so the demo's closing ``verify`` checks the PDFs too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qms.demo_context import DemoContext


def step_render(ctx: DemoContext) -> None:
    """Render every issued procedure and every record to PDF (records/pdf/)."""
    from qms.render.batch import render_all

    app = ctx.app.acting_as("zhou")
    actor = app.actor("render", "render the demo's PDFs")["name"]
    report = render_all(app, actor=actor)
    docs = sum(1 for name in report.rendered if name.startswith("documents/"))
    records = len(report.rendered) - docs
    ctx.say(f"pdf: {docs} document and {records} record PDF(s), {report.pages} pages, in "
            f"{report.out.relative_to(app.workspace.root)}/ (sha256 of each logged for verify)"
            + (f"; {len(report.failed)} FAILED: {report.failed[0][0]}" if report.failed else ""))
