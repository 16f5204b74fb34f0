"""Procedure Markdown to HTML: the parser, the ``[[QR-8.2-01]]`` form references and inert images.

The parser is CommonMark with tables, footnotes and definition lists; YAML front matter is
recognised and dropped (its facts reach the page through the revision, not the body). Raw HTML
is off, so ``<script>`` or ``<img src=file:…>`` typed into a procedure comes out as visible text.
Images are the one Markdown construct that would make WeasyPrint fetch something; only inline
``data:image/…`` images stay images, any other becomes inert text naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

if TYPE_CHECKING:
    from qms.host import Host

#: ``resolve(number)`` gives the form's definition (``number``, ``title``, ``title_en``, ``edition``) or ``None``.
FormResolver = Callable[[str], "dict[str, Any] | None"]

_FORM_REF = re.compile(r"\[\[([A-Za-z0-9][A-Za-z0-9._-]{0,39})\]\]")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/=\s]+$")


def _form_ref_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``[[NUMBER]]`` becomes a ``form_ref`` token (tried before links)."""
    if not state.src.startswith("[[", state.pos):
        return False
    m = _FORM_REF.match(state.src, state.pos)
    if m is None:
        return False
    if not silent:
        token = state.push("form_ref", "", 0)
        token.meta = {"number": m.group(1)}
        token.content = m.group(0)
    state.pos = m.end()
    return True


def form_reference_html(number: str, form: dict[str, Any] | None) -> Markup:
    """《客户投诉处理报告》（QR-8.2-01）, or the number marked as unknown when no form has it."""
    if form is None:
        return Markup('<span class="formref unknown">{}（未找到表单 form not found）</span>').format(number)
    title = form.get("title") or number
    en = form.get("title_en") or ""
    en_html = Markup(' <span class="en">{}</span>').format(en) if en else Markup("")
    return Markup('<span class="formref">《{}》（{}）{}</span>').format(title, form.get("number", number), en_html)


def make_parser(host: Host | None = None, resolve_form: FormResolver | None = None) -> MarkdownIt:
    """The procedure parser; plugins extend it through ``Host.markdown_setup``."""
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable("table")
        .use(front_matter_plugin)
        .use(footnote_plugin)
        .use(deflist_plugin)
    )
    md.inline.ruler.before("link", "form_ref", _form_ref_rule)
    resolver = resolve_form or (lambda _number: None)

    def render_form_ref(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        number = str(tokens[idx].meta["number"])
        form = resolver(number)
        env.setdefault("form_refs", []).append(number)
        return str(form_reference_html(number, form))

    def render_image(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        alt = self.renderInlineAsText(token.children or [], options, env)
        if _DATA_IMAGE.match(src):
            return str(Markup('<img src="{}" alt="{}">').format(src, alt))
        # Anything else (file paths, http URLs, relative names) would be fetched: show it as text.
        return str(Markup('<span class="image-ref">[图 image: {} ({})]</span>').format(alt, src))

    def render_front_matter(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return ""

    md.add_render_rule("form_ref", render_form_ref)
    md.add_render_rule("image", render_image)
    md.add_render_rule("front_matter", render_front_matter)
    if host is not None:
        host.markdown_setup(md)
    return md


def markdown_to_html(
    text: str, *, host: Host | None = None, resolve_form: FormResolver | None = None, env: dict[str, Any] | None = None
) -> Markup:
    """The HTML body of a procedure text (front matter, if any, dropped; raw HTML escaped)."""
    md = make_parser(host, resolve_form)
    return Markup(md.render(text, env if env is not None else {}))


__all__ = ["FormResolver", "form_reference_html", "make_parser", "markdown_to_html"]
