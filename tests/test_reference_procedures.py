"""Checks on the reference quality system's procedure texts in ``procedures/``.

Each file must carry the agreed YAML front matter, the seven fixed sections, and a ``[[QR-…]]``
reference to every form it lists (and to no form it does not list).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

PROCEDURES = Path(__file__).resolve().parent.parent / "procedures"

#: The fixed document and form numbers every part of qms codes against.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "QP-7.5-01": ("质量管理部", []),
    "QP-7.5-02": ("质量管理部", []),
    "QP-8.2-01": ("品质部", ["QR-8.2-01", "QR-8.2-02"]),
    "QP-7.1-01": ("设备科", [f"QR-7.1-0{i}" for i in range(1, 7)]),
    "QP-8.3-01": ("项目部", [f"QR-8.3-0{i}" for i in range(1, 8)]),
    "QP-8.5-01": ("物业管理部", [f"QR-8.5-0{i}" for i in range(1, 5)]),
    "QP-10.2-01": ("质量管理部", ["QR-10.2-01"]),
    "QP-9.3-01": ("质量管理部", ["QR-9.3-01"]),
    "QP-9.2-01": ("质量管理部", ["QR-9.2-01", "QR-9.2-02"]),
}

REQUIRED_KEYS = {
    "number", "title", "title_en", "type", "owner", "edition", "review_interval_months", "iso_clauses", "forms",
}

SECTIONS = ["1 目的", "2 适用范围", "3 职责", "4 术语和定义", "5 工作程序", "6 时限要求", "7 相关文件和记录"]

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)


def split(path: Path) -> tuple[dict[str, Any], str]:
    """Return the parsed front matter and the Markdown body of a procedure file."""
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    assert match, f"{path.name}: no YAML front matter between --- lines"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, match.group(2)


def test_the_reference_procedures_exist() -> None:
    assert set(EXPECTED) <= {p.stem for p in PROCEDURES.glob("*.md")}


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_front_matter(number: str) -> None:
    meta, _ = split(PROCEDURES / f"{number}.md")
    owner, forms = EXPECTED[number]
    assert REQUIRED_KEYS <= meta.keys(), f"missing keys: {REQUIRED_KEYS - meta.keys()}"
    assert meta["number"] == number
    assert meta["type"] == "procedure"
    assert meta["owner"] == owner
    assert meta["edition"] == "A/0"  # a quoted string, not parsed as anything else
    assert meta["review_interval_months"] == 12
    assert meta["forms"] == forms
    assert meta["iso_clauses"] and all(re.fullmatch(r"\d+(\.\d+)*", c) for c in meta["iso_clauses"])
    assert re.search(r"[\u4e00-\u9fff]", meta["title"]) and meta["title_en"].isascii()


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_sections_in_order(number: str) -> None:
    _, body = split(PROCEDURES / f"{number}.md")
    headings = re.findall(r"^## (.+)$", body, re.M)
    found = [next((h for h in headings if h.startswith(s)), None) for s in SECTIONS]
    assert None not in found, f"missing sections: {[s for s, h in zip(SECTIONS, found) if h is None]}"
    assert [headings.index(h) for h in found] == sorted(headings.index(h) for h in found)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_form_references(number: str) -> None:
    meta, body = split(PROCEDURES / f"{number}.md")
    referenced = set(re.findall(r"\[\[([^\]]+)\]\]", body))
    assert set(meta["forms"]) <= referenced, f"listed but not referenced: {set(meta['forms']) - referenced}"
    assert referenced <= set(meta["forms"]), f"referenced but not listed: {referenced - set(meta['forms'])}"
    section7 = body.split("## 7 ", 1)[1]
    for form in meta["forms"]:
        assert f"[[{form}]]" in section7, f"{form} not in section 7"


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_footnotes_resolve(number: str) -> None:
    _, body = split(PROCEDURES / f"{number}.md")
    used = set(re.findall(r"\[\^([^\]]+)\](?!:)", body))
    defined = set(re.findall(r"^\[\^([^\]]+)\]:", body, re.M))
    assert used == defined


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_body_parses_as_markdown(number: str) -> None:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    _, body = split(PROCEDURES / f"{number}.md")
    html = MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin).render(body)
    assert html.count("<table>") >= 3  # responsibilities, definitions, time limits
    assert "[^" not in html  # every footnote became a footnote
