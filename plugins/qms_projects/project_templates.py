"""Project templates (项目模板): ordered stages with their gates, read from YAML data files.

A template is a data file a quality officer writes without Python: ``project_templates/ID.yaml`` in
this package ships the three of QP-8.3-01 (systems integration, fit-out, inspection), and a workspace
adds or overrides templates in its own ``project-templates/ID.yaml`` (same id → the workspace's
file wins). Every file is checked against ``template.schema.json`` (JSON Schema 2020-12) and then
for what a schema cannot say: posts, stages and payments that are named must exist, limits must be
understood, stage ids must be unique.

A project keeps a snapshot of the template it was registered with (QP-8.3-01 §5.1.3), so changing
a template never changes a project already under way.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from qms.api import NotFound, UsageError, parse_limit

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


PACKAGE_DIR = Path(__file__).resolve().parent / "project_templates"
SCHEMA_PATH = Path(__file__).resolve().parent / "template.schema.json"
WORKSPACE_DIR = "project-templates"


@cache
def _validator() -> Draft202012Validator:
    # jsonschema costs over a second to import (its format checkers); only checking a template needs it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def template_problems(template: Any, where: str = "template") -> list[str]:
    """Every problem with one template, each one line naming the file and the place."""
    if not isinstance(template, dict):
        return [f"{where}: must be a mapping of keys to values"]
    problems = []
    for error in sorted(_validator().iter_errors(template), key=lambda e: list(map(str, e.absolute_path))):
        path = "/".join(str(p) for p in error.absolute_path) or "(top)"
        problems.append(f"{where}: {path}: {error.message}")
    if problems:
        return problems
    posts = {p["id"]: p for p in template["posts"]}
    if len(posts) != len(template["posts"]):
        problems.append(f"{where}: post ids must be unique")
    stage_ids = [s["id"] for s in template["stages"]]
    if len(set(stage_ids)) != len(stage_ids):
        problems.append(f"{where}: stage ids must be unique")
    if template.get("baseline_stage") and template["baseline_stage"] not in stage_ids:
        problems.append(f"{where}: baseline_stage {template['baseline_stage']!r} is not a stage")
    committee = template.get("committee")
    if committee and committee["post"] not in posts:
        problems.append(f"{where}: committee post {committee['post']!r} is not among the posts")
    payments_so_far: list[str] = []
    for i, stage in enumerate(template["stages"]):
        at = f"{where}: stages/{i} ({stage['id']})"
        for key in ("lead", "qualified_lead", "consent_if_lead_busy"):
            if stage.get(key) and stage[key] not in posts:
                problems.append(f"{at}: {key} {stage[key]!r} is not among the posts")
        if stage.get("lead") in posts and posts[stage["lead"]].get("external"):
            problems.append(f"{at}: the lead {stage['lead']!r} is an external post; a lead must be a workspace user")
        for post in stage["signatures"]:
            if post not in posts:
                problems.append(f"{at}: signature post {post!r} is not among the posts")
        for deliverable in stage["deliverables"]:
            if deliverable.get("post") and deliverable["post"] not in posts:
                problems.append(f"{at}: deliverable {deliverable['id']} names post {deliverable['post']!r}, which does not exist")
        for paid in stage.get("requires_payments", []):
            if paid not in payments_so_far:
                problems.append(f"{at}: requires payment {paid!r}, which no earlier stage collects")
        if stage.get("payment"):
            payments_so_far.append(stage["payment"]["id"])
        for limit in [stage.get("limit")] + [c["limit"] for c in stage.get("limit_if", [])]:
            if limit:
                try:
                    parse_limit(limit)
                except UsageError as exc:
                    problems.append(f"{at}: {exc}")
        if stage.get("limit_if") and not stage.get("limit"):
            problems.append(f"{at}: limit_if needs a limit for the ordinary case")
        titles = [step["title"] for step in stage.get("acceptance_steps", [])]
        for title in sorted({t for t in titles if titles.count(t) > 1}):
            problems.append(f"{at}: acceptance step {title} is listed twice")
        if titles and stage.get("acceptance") == "none":
            problems.append(f"{at}: acceptance_steps are listed, but acceptance is none")
    closeout = template.get("closeout") or {}
    for post in closeout.get("signatures", []):
        if post not in posts:
            problems.append(f"{where}: closeout signature post {post!r} is not among the posts")
    scope = closeout.get("scope_confirmation")
    if scope and (scope not in posts or not posts[scope].get("external")):
        problems.append(f"{where}: closeout scope_confirmation {scope!r} must be an external post")
    return problems


def read_template(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The template in ``path`` and its problems."""
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        return None, [f"{where}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    except UnicodeDecodeError:
        return None, [f"{where}: not UTF-8 text; save it as UTF-8"]
    except ValueError as exc:  # PyYAML builds dates itself: 2026-13-45 fails there, not in the parser
        return None, [f"{where}: holds an impossible date ({exc}); write it as YYYY-MM-DD or quote it"]
    problems = template_problems(raw, where)
    if not problems and f"{raw['id']}.yaml" != path.name:
        problems.append(f"{where}: id {raw['id']!r} does not match the file name")
    return (raw if not problems else None), problems


def template_files(workspace_root: Path | None) -> dict[str, Path]:
    """Template files by id: the shipped ones, overridden or extended by the workspace's."""
    found = {p.stem: p for p in sorted(PACKAGE_DIR.glob("*.yaml"))}
    if workspace_root is not None:
        folder = workspace_root / WORKSPACE_DIR
        if folder.is_dir():
            found.update({p.stem: p for p in sorted(folder.glob("*.yaml"))})
    return found


def all_problems(workspace_root: Path | None) -> list[str]:
    """Every problem in every template a workspace can use (for ``qms check``)."""
    out: list[str] = []
    for path in template_files(workspace_root).values():
        _, problems = read_template(path)
        rel = f"{WORKSPACE_DIR}/{path.name}" if path.parent.name == WORKSPACE_DIR else f"(shipped) {path.name}"
        out.extend(f"project template {rel}: {p.split(': ', 1)[1] if ': ' in p else p}" for p in problems)
    return out


def load(workspace_root: Path | None, template_id: str) -> dict[str, Any]:
    """The template ``template_id``; a clear error when missing or malformed."""
    files = template_files(workspace_root)
    path = files.get(template_id)
    if path is None:
        raise NotFound(f"no project template {template_id!r}; choose one of {', '.join(sorted(files))} "
                       f"(list them with `qms projects templates`)")
    template, problems = read_template(path)
    if template is None:
        raise UsageError(f"project template {template_id} is malformed: {'; '.join(problems)}")
    return template


def list_templates(workspace_root: Path | None) -> list[dict[str, Any]]:
    """Every valid template, by id."""
    out = []
    for path in template_files(workspace_root).values():
        template, _ = read_template(path)
        if template is not None:
            out.append(template)
    return sorted(out, key=lambda t: str(t["id"]))


# -- reading a template (plain functions over the dict, used by the rules) ----------------------


def stage_index(template: dict[str, Any], stage_id: str) -> int:
    """The position of ``stage_id`` in the template, or -1."""
    return next((i for i, s in enumerate(template["stages"]) if s["id"] == stage_id), -1)


def post(template: dict[str, Any], post_id: str) -> dict[str, Any]:
    """The post ``post_id`` (a placeholder naming the id when the template lacks it)."""
    return next((p for p in template["posts"] if p["id"] == post_id),
                {"id": post_id, "title": post_id, "title_en": post_id})


def post_label(template: dict[str, Any], post_id: str) -> str:
    """``中文 English`` of a post."""
    p = post(template, post_id)
    return f"{p['title']} {p['title_en']}"


def stage_label(stage: dict[str, Any]) -> str:
    """``中文 English`` of a stage."""
    return f"{stage['title']} {stage['title_en']}"


def step_problem(template: dict[str, Any], stage: dict[str, Any], step: str) -> str | None:
    """Why ``step`` may not be accepted in ``stage``, or ``None``.

    A stage's ``acceptance_steps`` list the work steps accepted in it (by Chinese or English name).
    A template that lists no steps anywhere (an older workspace template) leaves the step free.
    """
    listed = stage.get("acceptance_steps") or []
    if not listed:
        elsewhere = [f"{s['title']} ({', '.join(t['title'] for t in s['acceptance_steps'])})"
                     for s in template["stages"] if s.get("acceptance_steps")]
        if not elsewhere:
            return None
        return (f"{step}: stage {stage_label(stage)} has no work steps to accept; steps are accepted in "
                + "; ".join(elsewhere))
    wanted = step.strip().casefold()
    if any(wanted in (t["title"].casefold(), t["title_en"].casefold()) for t in listed):
        return None
    return (f"{step} is not an acceptance step of stage {stage_label(stage)}; its steps are: "
            + ", ".join(t["title"] for t in listed))


def step_title(stage: dict[str, Any], step: str) -> str:
    """The listed title of ``step`` in ``stage`` (a step given by its English name is filed by its Chinese one)."""
    wanted = step.strip().casefold()
    for listed in stage.get("acceptance_steps") or []:
        if wanted in (listed["title"].casefold(), listed["title_en"].casefold()):
            return str(listed["title"])
    return step


def stage_limit(stage: dict[str, Any], project_data: dict[str, Any]) -> str | None:
    """The stage's time limit for this project (``limit_if`` conditions first)."""
    for case in stage.get("limit_if", []):
        if project_data.get(case["field"]):
            return str(case["limit"])
    return stage.get("limit")


__all__ = [
    "all_problems", "list_templates", "load", "post", "post_label", "read_template", "stage_index", "stage_label",
    "stage_limit", "step_problem", "step_title", "template_files", "template_problems",
]
