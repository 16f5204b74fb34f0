"""The core's own demonstration steps: users, controlled documents, rendering and the auditor site."""

from __future__ import annotations

from qms.hookspecs import DemoStep, hookimpl


@hookimpl
def qms_demo_steps() -> list[DemoStep]:
    """Users first, documents next, then (after the procedure plugins) rendering and the site."""
    from qms.demo import step_users
    from qms.documents_demo import step_documents
    from qms.render.demo import step_render
    from qms.site.demo import step_site

    return [(0, step_users), (10, step_documents), (90, step_render), (100, step_site)]
