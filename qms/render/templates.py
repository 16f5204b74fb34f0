"""Plugin templates: each procedure plugin's ``templates/`` folder over the core's base templates and macros.

A plugin lays out its record bodies, cards and reports as Jinja2 templates in its own package
(``qms_equipment/templates/card.html.j2``) and renders them with
``templates("qms_equipment").render("card.html.j2", record=...)``. Its templates may extend or
import the core's (``base.html.j2``, ``macros.html.j2`` with ``table``, ``rows``, ``heading`` and
``signatures``) and use the core's filters (``when``, ``day``, ``css``, ``money``, and ``signer``: a
signature's post, else its role's display name). Autoescaping is
on, so every user-typed value is escaped unless a template is told it is already safe markup.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from markupsafe import Markup

from qms.dates import show_date, show_time
from qms.render.page import TEMPLATES, css_string
from qms.users import signer_title


def money(value: Any) -> str:
    """An amount in yuan with two decimals (``¥2,000.00``); a dash when missing."""
    if value in (None, ""):
        return "—"
    try:
        return f"¥{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


class Templates:
    """The templates of one plugin package, with the core's as fallback."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.env = Environment(
            loader=ChoiceLoader([PackageLoader(package, "templates"), FileSystemLoader(str(TEMPLATES))]),
            autoescape=True, undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters.update(when=show_time, day=show_date, css=css_string, money=money, signer=signer_title)

    def render(self, name: str, **context: Any) -> Markup:
        """The rendered template ``name`` as safe markup (its inputs were escaped while rendering)."""
        return Markup(self.env.get_template(name).render(**context))


@cache
def templates(package: str) -> Templates:
    """The (cached) templates of plugin package ``package``, e.g. ``templates("qms_property")``."""
    return Templates(package)


__all__ = ["Templates", "money", "templates"]
