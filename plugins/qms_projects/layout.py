"""Record layouts of the project forms: the generic layout, without the register entry's template snapshot.

The snapshot (the whole template as registered) is evidence, not reading matter: it stays in the
record and in the ``record.json`` embedded in the PDF, while the page names the template and edition.
"""

from __future__ import annotations

from typing import Any


from qms.api import generic_record_html

from qms_projects import forms as f


def record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The register entry's HTML body, or ``None`` for the other forms (the core's layout serves them)."""
    if record.get("form") != f.PROJECT:
        return None
    data = {k: v for k, v in (record.get("data") or {}).items() if k != "template_snapshot"}
    return generic_record_html({**record, "data": data}, form)
