"""The demo's controlled-documents step: every workspace procedure through its whole lifecycle.

zhou (文控) prepares, li or chen reviews, wang approves, zhou issues and distributes; one procedure
is revised to A/1 with a reason, the old copies are recalled and the new ones handed out; one
external standard is registered; a department user acknowledges the revision in force.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qms import distribution, documents, forms
from qms.clock import frozen_at
from qms.frontmatter import front_matter

if TYPE_CHECKING:
    from qms.app import App
    from qms.demo_context import DemoContext

REVISED = "QP-8.2-01"
#: The reference procedures and forms take effect at the start of the demo year, before the first record is filed.
IN_FORCE_FROM = "2026-01-05T09:00:00"
EXTERNAL = {"number": "QE-7.5-01", "title": "质量管理体系 要求", "title_en": "Quality management systems — Requirements",
            "owner": "质量管理部", "ref": "GB/T 19001-2016", "source": "国家市场监督管理总局 / 国家标准化管理委员会 SAMR/SAC",
            "version": "2016-12-30"}


def _as(ctx: DemoContext, name: str) -> App:
    return ctx.app.acting_as(name)


def _through(ctx: DemoContext, number: str, reviewer: str) -> None:
    """Submit, review, approve and issue the current draft of ``number``."""
    from qms.demo_context import DEMO_PASSWORD

    documents.submit(_as(ctx, "zhou"), number, [reviewer], DEMO_PASSWORD)
    documents.review(_as(ctx, reviewer), number, True, "内容完整，符合要求 complete and adequate", DEMO_PASSWORD)
    documents.approve(_as(ctx, "wang"), number, DEMO_PASSWORD)
    documents.issue(_as(ctx, "zhou"), number)


def step_documents(ctx: DemoContext) -> None:
    """Controlled documents: prepare, review, approve, issue, distribute, revise, register an external standard."""
    ws = ctx.app.workspace
    numbers = []
    for path in sorted(ws.procedures.glob("*.md")):
        meta, _ = front_matter(path.read_text(encoding="utf-8"))
        number = str((meta or {}).get("number") or path.stem)
        numbers.append(number)
    reviewers = ("li", "chen")
    with frozen_at(IN_FORCE_FROM):
        for i, number in enumerate(numbers):
            documents.new_document(_as(ctx, "zhou"), number)
            _through(ctx, number, reviewers[i % 2])
            owner = documents.get_revision(ctx.app, number)["owner"] or "质量管理部"
            distribution.distribute(_as(ctx, "zhou"), number, owner)
    ctx.say(f"documents: {len(numbers)} procedures prepared by zhou, reviewed by li/chen, approved by wang, "
            f"issued and distributed to their owning departments")
    if not numbers:
        return
    target = REVISED if REVISED in numbers else numbers[0]
    distribution.distribute(_as(ctx, "zhou"), target, "业务部", holder="zhao")
    distribution.distribute(_as(ctx, "zhou"), target, "客户 customer", controlled=False)
    documents.revise(_as(ctx, "zhou"), target, False, "明确投诉回访时限与记录要求 clarify the follow-up time limit and its record")
    path = documents.workspace_path(ctx.app, target)
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") +
                    "\n\n## 修订说明 Revision note\n\n本版 A/1 明确：投诉处理完毕后 7 日内完成回访并填写"
                    "[[QR-8.2-02]]。\nEdition A/1: the follow-up is made within 7 days of closing the complaint "
                    "and recorded on [[QR-8.2-02]].\n", encoding="utf-8")
    _through(ctx, target, "chen")
    out = distribution.outstanding(ctx.app, target)
    distribution.recall(_as(ctx, "zhou"), target, [], all_outstanding=True)
    for dept in sorted({c["dept"] for c in out}):
        distribution.distribute(_as(ctx, "zhou"), target, dept, holder="zhao" if dept == "业务部" else "")
    ctx.say(f"revision: {target} A/0 → A/1 (reason given), issued; A/0 superseded, {len(out)} old controlled "
            f"cop{'y' if len(out) == 1 else 'ies'} recalled and replaced")
    ext = EXTERNAL
    documents.new_document(_as(ctx, "zhou"), ext["number"], title=ext["title"], title_en=ext["title_en"],
                           doc_type="external", owner=ext["owner"],
                           external={"ref": ext["ref"], "source": ext["source"], "version": ext["version"]})
    _through(ctx, ext["number"], "li")
    ctx.say(f"external: {ext['number']} {ext['ref']} {ext['title']} registered and reviewed")
    from qms.demo_context import DEMO_PASSWORD

    distribution.acknowledge(_as(ctx, "zhao"), target, DEMO_PASSWORD)
    pending = distribution.unacknowledged(ctx.app, target)
    ctx.say(f"acknowledged: zhao read {target} A/1; {len(pending)} holder(s) still to acknowledge it")


def step_forms(ctx: DemoContext) -> None:
    """Controlled forms: every form of the workspace prepared, reviewed, approved and issued as a document of its own."""
    numbers = [str(f["number"]) for f in forms.list_forms(ctx.app)]
    with frozen_at(IN_FORCE_FROM):
        for i, number in enumerate(numbers):
            documents.new_document(_as(ctx, "zhou"), number)
            _through(ctx, number, ("chen", "li")[i % 2])
    issued = sorted({str(documents.get_revision(ctx.app, n)["edition"]) for n in numbers})
    ctx.say(f"forms: {len(numbers)} forms (表单) taken under document control: prepared by zhou, reviewed by "
            f"li/chen, approved by wang and issued at their file's edition ({', '.join(issued)}); records are "
            f"filed on the issued edition only")
