"""References from a record to an object of another procedure (``x-ref``), checked and searched.

A form says that a field names such an object by putting ``x-ref: KIND`` on the field's schema
property, e.g. a maintenance record's measuring instruments::

    instruments_used:
      type: array
      items: {type: string, pattern: '^\\d{6}$'}
      title: 所用计量器具
      x-en: Measuring instruments used
      x-ref: equipment             # each value is an equipment number
      x-ref-when: performed_date   # the date field that says when it was used (default: filing time)

A field naming a person who signs for something (a purchase approver, a calibrator) uses the
core's own kind ``x-ref: user``: each value must be the name of an active user of the workspace,
and ``x-ref-depts: [...]`` / ``x-ref-posts: [...]`` on the property narrow it to users of those
departments or holding those posts (职务); either is enough. The web form offers the active users.
``x-ref-not-dept: FIELD`` asks for independence: the user may not belong to the department the
record's field ``FIELD`` names (an internal auditor of the department being audited, ISO 9001
9.2.2 c); it is checked again whenever that field changes.

Only top-level properties are scanned; a value is a string or a list of strings. When a record is
filed (and for values an update adds) every referenced object is put to the plugins through
``Host.check_reference``; their reasons become validation problems, so a record naming equipment
that is 停用 is refused. ``referencing`` finds every stored record of any form that names an
object, with the date of use, for the out-of-tolerance impact list of ISO 9001 7.1.5.2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms import clock
from qms.recordquery import record_query

if TYPE_CHECKING:
    from qms.app import App

COLLECTION = "records"
#: The kind the core resolves itself, against the workspace's users.
USER = "user"


def ref_fields(form: dict[str, Any], kind: str | None = None) -> dict[str, dict[str, Any]]:
    """The form's top-level fields carrying ``x-ref`` (of ``kind`` when given), with their properties."""
    props = form.get("schema", {}).get("properties", {}) or {}
    return {name: prop for name, prop in props.items()
            if isinstance(prop, dict) and prop.get("x-ref") and (kind is None or prop.get("x-ref") == kind)}


def values(value: Any) -> list[str]:
    """The referenced identifiers in a field value (a string or a list of strings)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def used_on(data: dict[str, Any], prop: dict[str, Any], fallback: str) -> str:
    """The ISO date the referenced object was used: the ``x-ref-when`` field, else ``fallback``."""
    when_field = prop.get("x-ref-when")
    value = data.get(when_field) if isinstance(when_field, str) else None
    return str(value or fallback)[:10]


def problems(app: App, form: dict[str, Any], data: dict[str, Any], record: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(field, reason)`` for every newly referenced object a plugin says may not be used."""
    fields = ref_fields(form)
    if not fields:
        return []
    before = (record or {}).get("data") or {}
    today = clock.now().date().isoformat()
    query = record_query(app)
    found = []
    for name, prop in fields.items():
        # A value the stored record already named was checked when it was added; it stays valid
        # (and shows up in impact lists) even if the object became unusable since.
        old = set(values(before.get(name)))
        apart = prop.get("x-ref-not-dept") if prop["x-ref"] == USER else None
        # Independence depends on the other field too: a changed department is checked against the named users.
        recheck = isinstance(apart, str) and data.get(apart) != before.get(apart)
        for ref in values(data.get(name)):
            if ref in old and not recheck:
                continue
            if prop["x-ref"] == USER:
                found += [(name, reason) for reason in user_problems(app, ref, prop, data)]
                continue
            for reason in app.host.check_reference(str(prop["x-ref"]), ref, used_on(data, prop, today), query):
                found.append((name, reason))
    return found


def _listed(prop: dict[str, Any], key: str) -> list[str]:
    value = prop.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def user_problems(app: App, name: str, prop: dict[str, Any], data: dict[str, Any] | None = None) -> list[str]:
    """Why ``name`` may not be given in an ``x-ref: user`` field: unknown, deactivated, wrong department or post,
    or (``x-ref-not-dept``) a member of the department the record's ``data`` names."""
    user = app.store.get("users", name)
    if user is None:
        return [f"{name!r} is not a user of this workspace; give a user name from `qms user list`"]
    if not user.get("active", True):
        return [f"{name} is deactivated; choose an active user"]
    apart = prop.get("x-ref-not-dept")
    if isinstance(apart, str) and data and data.get(apart) and user.get("dept") == data.get(apart):
        return [f"{name} ({user.get('full_name') or name}) belongs to {data[apart]}, the department in this record's "
                f"{apart} field, and is not independent of it; choose a user of another department"]
    depts, posts = _listed(prop, "x-ref-depts"), _listed(prop, "x-ref-posts")
    if (depts or posts) and user.get("dept") not in depts and user.get("post") not in posts:
        who = f"{name} ({user.get('full_name') or name})"
        in_depts, with_posts = " or ".join(depts), " or ".join(posts)
        if depts and posts:
            return [f"{who} is not a user of {in_depts} nor holds the post {with_posts}; choose such a user"]
        if depts:
            return [f"{who} is not a user of {in_depts}; choose a user of {in_depts}"]
        return [f"{who} does not hold the post {with_posts}; choose a user who does"]
    return []


def user_choices(app: App, prop: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The active users for a search-select (``{"id": name, "label": "full name · dept · post"}``),
    only those of the property's ``x-ref-depts`` / ``x-ref-posts`` when it lists them."""
    depts, posts = _listed(prop or {}, "x-ref-depts"), _listed(prop or {}, "x-ref-posts")
    return [{"id": u["name"], "label": " · ".join(x for x in (u.get("full_name"), u.get("dept"), u.get("post")) if x)}
            for u in app.users.list() if u.get("active", True)
            and (not (depts or posts) or u.get("dept") in depts or u.get("post") in posts)]


def choice_key(name: str, prop: dict[str, Any]) -> str:
    """Which list of choices the field ``name`` offers: its kind, or its own for a user field narrowed
    by department or post (so a purchase approver is picked from 物资管理部 only)."""
    kind = str(prop.get("x-ref", ""))
    if kind == USER and (prop.get("x-ref-depts") or prop.get("x-ref-posts")):
        return f"{USER}-{name}"
    return kind


def referencing(app: App, kind: str, ref: str, since: str | None = None) -> list[dict[str, Any]]:
    """Every stored record (any form, any plugin) naming ``ref`` in an ``x-ref: kind`` field.

    Each hit is ``{"number", "form", "title", "field", "used_on", "state", "dept", "created_by"}``;
    ``since`` (ISO date) keeps those used on or after it. Records superseded by an amendment are
    left out (their correction is listed instead). Sorted by date of use, then number.
    """
    from qms import forms

    cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    hits = []
    for _, record in app.store.iter(COLLECTION):
        if record.get("amended_by"):
            continue
        key = (str(record.get("form")), str(record.get("form_edition")))
        if key not in cache:
            try:
                form = forms.load_form(app, key[0], key[1])
            except Exception:  # a form that can no longer be loaded names nothing we can read
                cache[key] = {}
            else:
                cache[key] = {n: {**p, "_title": form.get("title", "")} for n, p in ref_fields(form, kind).items()}
        for name, prop in cache[key].items():
            data = record.get("data") or {}
            if ref not in values(data.get(name)):
                continue
            when = used_on(data, prop, str(record.get("created_at", "")))
            if since and when < since[:10]:
                continue
            hits.append({"number": record["number"], "form": record["form"], "title": prop["_title"],
                         "field": name, "used_on": when, "state": record.get("state", ""),
                         "dept": record.get("dept", ""), "created_by": record.get("created_by", "")})
    return sorted(hits, key=lambda h: (h["used_on"], h["number"]))


def choices(app: App, kind: str) -> list[dict[str, str]]:
    """The objects of ``kind`` the plugins (or, for users, the core) offer for a search-select (``{"id", "label"}``)."""
    from qms.recordquery import record_query

    if kind == USER:
        return user_choices(app)
    return app.host.reference_choices(kind, record_query(app))


__all__ = ["USER", "choice_key", "choices", "problems", "ref_fields", "referencing", "used_on", "user_choices",
           "user_problems", "values"]
