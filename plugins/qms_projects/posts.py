"""Who may act for a post of a project, and which signatures fill which required posts.

A template names posts (监理, 总师办主任, 质量管理部 …). On a project a post is filled by the team
members named for it; a post nobody is named for may be filled by any user the template's
``match`` allows (by role or department). External posts (客户, 接收方) sign on paper and are
recorded by name and time. Each person fills at most one required post of a gate, so the check is a
matching of signers to posts (augmenting paths; a gate has a handful of posts).
"""

from __future__ import annotations

from typing import Any

from qms_projects import project_templates as tpl


def is_external(template: dict[str, Any], post_id: str) -> bool:
    """Whether ``post_id`` signs on paper (customer, receiving party)."""
    return bool(tpl.post(template, post_id).get("external"))


def qualifies(template: dict[str, Any], team: list[dict[str, Any]], user: dict[str, Any], post_id: str) -> bool:
    """Whether ``user`` (``name``, ``role``, ``dept``) may act for ``post_id`` on this project."""
    named = {m.get("user") for m in team if m.get("post") == post_id and m.get("user")}
    if named:
        return user.get("name") in named
    match = tpl.post(template, post_id).get("match") or {}
    return user.get("role") in (match.get("roles") or []) or user.get("dept") in (match.get("depts") or [])


def assign(template: dict[str, Any], team: list[dict[str, Any]], posts: list[str],
           signers: list[dict[str, Any]]) -> dict[str, str]:
    """The largest assignment of distinct signers to the internal ``posts``: {post: signer name}."""
    owner: dict[str, str] = {}  # post -> signer name
    by_name = {s["name"]: s for s in signers}

    def place(name: str, seen: set[str]) -> bool:
        for post_id in posts:
            if post_id in seen or not qualifies(template, team, by_name[name], post_id):
                continue
            seen.add(post_id)
            if post_id not in owner or place(owner[post_id], seen):
                owner[post_id] = name
                return True
        return False

    for name in by_name:
        place(name, set())
    return owner


def missing(template: dict[str, Any], team: list[dict[str, Any]], posts: list[str], signers: list[dict[str, Any]],
            external: list[dict[str, Any]]) -> list[str]:
    """The required posts not yet signed for, as ``中文 English`` labels."""
    internal = [p for p in posts if not is_external(template, p)]
    filled = assign(template, team, internal, signers)
    paper = {e.get("post") for e in external if e.get("name")}
    out = [tpl.post_label(template, p) for p in internal if p not in filled]
    out += [tpl.post_label(template, p) + "（纸面签字 on paper）" for p in posts if is_external(template, p) and p not in paper]
    return out


def can_add(template: dict[str, Any], team: list[dict[str, Any]], posts: list[str], signers: list[dict[str, Any]],
            user: dict[str, Any]) -> bool:
    """Whether one more signature by ``user`` fills a required internal post still open."""
    internal = [p for p in posts if not is_external(template, p)]
    before = len(assign(template, team, internal, signers))
    after = len(assign(template, team, internal, [*signers, user]))
    return after > before


__all__ = ["assign", "can_add", "is_external", "missing", "qualifies"]
