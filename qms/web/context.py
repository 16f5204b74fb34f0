"""What every page of the web workspace shares: the signed-in user's App, the CSRF check, rendering and refusals.

Each request acts as the user of its session (``app.acting_as``), so the core services check that
user's role exactly as the CLI checks ``--as``. Core errors become pages: a validation failure is
shown beside the fields, a refusal or a permission error as one line above the form, and nothing
is stored in either case.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, render_template, request, session

from qms.app import App
from qms.errors import AuthError, NotFound, PermissionDenied, QMSError, Refused, ValidationFailed
from qms.site.auth import csrf_ok, csrf_token
from qms.web import lang

#: HTTP status of each kind of refusal.
STATUS: tuple[tuple[type[QMSError], int], ...] = (
    (PermissionDenied, 403), (NotFound, 404), (Refused, 409), (ValidationFailed, 422), (AuthError, 401),
)


def status_of(exc: QMSError) -> int:
    """The HTTP status for a core error (400 for plain bad input)."""
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def acting(app: App) -> App:
    """The workspace acting as the signed-in user."""
    return app.acting_as(g.user["name"])


def require_csrf() -> None:
    """Refuse a POST whose form lacks the session's CSRF token (400, nothing done)."""
    if not csrf_ok(session, request.form.get("csrf") or request.headers.get("X-CSRF-Token")):
        abort(400, description="csrf")


def t(zh: str, en: str) -> str:
    """``zh`` or ``en`` in the session's language."""
    return lang.pick(lang.current(session), zh, en)


def page(template: str, title: tuple[str, str], status: int = 200, **context: Any) -> Response:
    """A workspace page in the session's language."""
    html = render_template(f"work/{template}", title=t(*title), csrf=csrf_token(session), **context)
    return Response(html, status=status, mimetype="text/html")


def may(app: App, permission: str) -> bool:
    """Whether the signed-in user's role carries ``permission`` (only to decide what to offer)."""
    return app.workspace.config.allows(str(g.user.get("role", "")), permission)


__all__ = ["STATUS", "acting", "may", "page", "require_csrf", "status_of", "t"]
