"""``qms doc``: controlled documents: create, submit, review, approve, issue, revise, withdraw, distribute."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from qms import distribution, documents
from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.completion import complete_documents
from qms.cli.pdf import PDF_OUT, write_page
from qms.document_files import next_review
from qms.errors import UsageError


@click.group()
def doc() -> None:
    """Controlled documents (受控文件): procedures, manuals, work instructions, forms, external documents.

    Lifecycle: draft → in_review → approved → issued/effective → superseded, or obsolete.

    \b
    Example:
      qms doc new QP-8.2-01 --as zhou
      qms doc submit QP-8.2-01 --reviewer li --as zhou
      qms doc list
    """


def _label(rev: dict[str, Any]) -> str:
    return f"{rev['number']} {rev['edition']} [{rev['state_label']}]"


@doc.command("new")
@click.argument("number", shell_complete=complete_documents)
@click.option("--title", help="Chinese title, e.g. 客户投诉处理程序 (taken from the file if it exists).")
@click.option("--title-en", help="English title, e.g. Customer Complaint Handling.")
@click.option("--type", "doc_type", type=click.Choice(list(documents.TYPES)), help="Document type (default procedure).")
@click.option("--owner", help="Owning department, e.g. 品质部.")
@click.option("--reason", default="", help="Why the document is created (default 首次发布 first issue).")
@click.option("--review-interval", type=click.IntRange(1, 120), help="Months between periodic reviews (default from qms.toml).")
@click.option("--source", help="External documents: issuer, e.g. 国家标准化管理委员会.")
@click.option("--version", "version", help="External documents: version or date, e.g. 2016-12-30.")
@click.option("--ref", help="External documents: the issuer's identifier, e.g. GB/T 19001-2016.")
@json_option
@pass_app
def doc_new(app: App, number: str, title: str | None, title_en: str | None, doc_type: str | None, owner: str | None,
            reason: str, review_interval: int | None, source: str | None, version: str | None, ref: str | None,
            as_json: bool) -> None:
    """Create document NUMBER as a draft: writes procedures/NUMBER.md, or takes an existing file under control.

    \b
    Examples:
      qms doc new QP-8.2-01 --title 客户投诉处理程序 --title-en "Customer Complaint Handling" --owner 品质部 --as zhou
      qms doc new QE-7.5-01 --type external --title "质量管理体系 要求" --owner 质量管理部 \\
          --ref "GB/T 19001-2016" --source 国家标准化管理委员会 --version 2016-12-30 --as zhou
    """
    external = None
    if source or version or ref:
        external = {"ref": ref or "", "source": source or "", "version": version or "", "review_status": "pending"}
    rev = documents.new_document(app, number, title=title, title_en=title_en, doc_type=doc_type, owner=owner,
                                 reason=reason, review_interval_months=review_interval, external=external)
    if as_json:
        echo_json(rev)
        return
    click.echo(f"created {_label(rev)} {rev['title']}; edit {documents.relpath(number)}, then "
               f"`qms doc submit {number} --reviewer NAME`")


@doc.command("submit")
@click.argument("number", shell_complete=complete_documents)
@click.option("--reviewer", "reviewers", multiple=True, required=True, help="A reviewer (审核); repeatable.")
@password_option
@json_option
@pass_app
def doc_submit(app: App, number: str, reviewers: tuple[str, ...], password_stdin: bool, as_json: bool) -> None:
    """Submit the draft for review (draft → in_review), signing it 编制 prepared; asks for your password.

    \b
    Example:
      qms doc submit QP-8.2-01 --reviewer li --as zhou
    """
    password = read_password(password_stdin, "Password to sign 编制 prepared")
    rev = documents.submit(app, number, list(reviewers), password)
    if as_json:
        echo_json(rev)
        return
    click.echo(f"{_label(rev)}: signed 编制 prepared by {app.actor_name} over sha256 {rev['content_sha256'][:12]}…; "
               f"waiting for review by {', '.join(rev['reviewers'])}")


@doc.command("review")
@click.argument("number", shell_complete=complete_documents)
@click.option("--accept/--reject", default=None, help="The review decision (审核).")
@click.option("--periodic", is_flag=True, help="Record a periodic review of the revision in force instead.")
@click.option("--comment", default="", help="Review comment; required to reject and for a periodic review.")
@password_option
@json_option
@pass_app
def doc_review(app: App, number: str, accept: bool | None, periodic: bool, comment: str, password_stdin: bool, as_json: bool) -> None:
    """Review the revision in review (--accept signs 审核 reviewed; --reject returns it to draft),
    or with --periodic confirm the document in force is still suitable. Asks for your password.

    \b
    Examples:
      qms doc review QP-8.2-01 --accept --comment "符合要求" --as li
      qms doc review QP-8.2-01 --periodic --comment "仍然适用 still suitable" --as li
    """
    if periodic:
        if accept is not None:
            raise UsageError("--periodic records a periodic review; leave out --accept/--reject")
        password = read_password(password_stdin, "Password to sign the periodic review")
        rev = documents.periodic_review(app, number, comment, password)
        if as_json:
            echo_json(rev)
            return
        click.echo(f"{_label(rev)}: periodic review recorded; next review due {next_review(rev)}")
        return
    if accept is None:
        raise UsageError("say --accept or --reject (or --periodic for a periodic review)")
    password = read_password(password_stdin, "Password to sign 审核 reviewed")
    rev = documents.review(app, number, accept, comment, password)
    if as_json:
        echo_json(rev)
        return
    if accept:
        waiting = [r for r in rev["reviewers"] if r not in {x["name"] for x in rev["reviews"]}]
        more = f"waiting for {', '.join(waiting)}" if waiting else "ready for `qms doc approve`"
        click.echo(f"{_label(rev)}: signed 审核 reviewed by {app.actor_name}; {more}")
    else:
        click.echo(f"{_label(rev)}: rejected by {app.actor_name} ({comment}); edit the file and submit again")


@doc.command("approve")
@click.argument("number", shell_complete=complete_documents)
@password_option
@json_option
@pass_app
def doc_approve(app: App, number: str, password_stdin: bool, as_json: bool) -> None:
    """Approve the reviewed revision (in_review → approved), signing it 批准; asks for your password.

    \b
    Example:
      qms doc approve QP-8.2-01 --as wang
    """
    password = read_password(password_stdin, "Password to sign 批准 approved")
    rev = documents.approve(app, number, password)
    if as_json:
        echo_json(rev)
        return
    click.echo(f"{_label(rev)}: signed 批准 approved by {app.actor_name}; issue it with `qms doc issue {number}`")


@doc.command("issue")
@click.argument("number", shell_complete=complete_documents)
@click.option("--effective", metavar="DATE", help="Effective (实施) date YYYY-MM-DD; default today.")
@json_option
@pass_app
def doc_issue(app: App, number: str, effective: str | None, as_json: bool) -> None:
    """Issue the approved revision (发布); it takes effect on --effective and supersedes the previous one then.

    \b
    Example:
      qms doc issue QP-8.2-01 --effective 2026-12-01 --as zhou
    """
    rev = documents.issue(app, number, effective)
    if as_json:
        echo_json(rev)
        return
    note = f"; supersedes {rev['supersedes']} from then" if rev.get("supersedes") else ""
    click.echo(f"{_label(rev)}: issued, effective {rev['effective_date']}{note}")


@doc.command("revise")
@click.argument("number", shell_complete=complete_documents)
@click.option("--minor/--major", default=True, help="Minor change A/0→A/1 (default) or re-edition A/3→B/0.")
@click.option("--reason", default="", help="Why the document changes (修订原因); required.")
@json_option
@pass_app
def doc_revise(app: App, number: str, minor: bool, reason: str, as_json: bool) -> None:
    """Start a new draft revision of an issued document; the file becomes editable again.

    \b
    Example:
      qms doc revise QP-8.2-01 --minor --reason "回访时限由7天改为5天" --as zhou
    """
    rev = documents.revise(app, number, not minor, reason)
    if as_json:
        echo_json(rev)
        return
    click.echo(f"{_label(rev)}: new draft from {rev['supersedes']} ({rev['reason']}); edit {documents.relpath(number)}")


@doc.command("obsolete")
@click.argument("number", shell_complete=complete_documents)
@click.option("--reason", default="", help="Why the document is withdrawn (作废原因); required.")
@json_option
@pass_app
def doc_obsolete(app: App, number: str, reason: str, as_json: bool) -> None:
    """Withdraw a document without successor (作废); its revisions stay retrievable, marked obsolete.

    \b
    Example:
      qms doc obsolete QW-8.5-03 --reason "业务终止" --as zhou
    """
    rev = documents.obsolete(app, number, reason)
    if as_json:
        echo_json(rev)
        return
    click.echo(f"{_label(rev)}: withdrawn ({reason}); recall copies with `qms doc recall {number}`")


@doc.command("list")
@click.option("--all", "show_all", is_flag=True, help="Every revision in every state, not only what is in force.")
@click.option("--type", "doc_type", type=click.Choice(list(documents.TYPES)),
              help="Only this type; --type external shows the external documents register.")
@click.option("--search", metavar="TEXT", help="Only documents whose number, title or text contains TEXT.")
@json_option
@pass_app
def doc_list(app: App, show_all: bool, doc_type: str | None, search: str | None, as_json: bool) -> None:
    """List documents in force (on the date QMS_NOW gives, default today), or every revision with --all.

    \b
    Examples:
      qms doc list
      qms doc list --all --json
      qms doc list --type external
    """
    rows = documents.list_documents(app, show_all=show_all, doc_type=doc_type, search=search)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        if search:
            click.echo(f"no document matches {search} 无匹配文件")
        elif not documents.list_documents(app, show_all=True):
            click.echo("no controlled documents yet 暂无受控文件; take a procedure under control with `qms doc new NUMBER`")
        elif doc_type:
            click.echo(f"no {doc_type} documents" + ("" if show_all else " in force; see every revision with --all"))
        else:
            click.echo("no documents in force; see every revision with --all")
        return
    for r in rows:
        ext = r.get("external") or {}
        extra = (f"  [{ext.get('ref', '')} · {ext.get('source', '')} · {ext.get('version', '')} · "
                 f"评审 reviewed {r.get('last_review') or '-'}]" if ext else "")
        review = f"  next review {r['next_review']}" if r.get("next_review") else ""
        click.echo(f"{r['number']:<12} {r['edition']:<5} {r['state_label']:<22} {r.get('effective_date') or '-':<10}  "
                   f"{r['title']} {r.get('title_en', '')}  ({r.get('owner', '')}){extra}{review}")


@doc.command("clauses")
@json_option
@pass_app
def doc_clauses(app: App, as_json: bool) -> None:
    """Map ISO 9001 clauses that need documented information to the documents in force; show gaps.

    \b
    Example:
      qms doc clauses
    """
    from qms.clauses import clause_map

    rows = clause_map(app)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        covered = ", ".join(r["documents"]) or "缺 GAP: no document in force cites it"
        click.echo(f"{r['clause']:<6} {r['label']}: {covered}")
    gaps = sum(not r["documents"] for r in rows)
    click.echo(f"{len(rows) - gaps} of {len(rows)} clauses covered" + (f"; {gaps} gap(s)" if gaps else ""))


@doc.command("show")
@click.argument("number", shell_complete=complete_documents)
@click.option("--rev", "edition", metavar="EDITION", help="A given revision, e.g. A/0 (default: the one in force).")
@click.option("--source", "source", is_flag=True, help="Print the exact controlled file as approved (to restore it).")
@json_option
@pass_app
def doc_show(app: App, number: str, edition: str | None, source: bool, as_json: bool) -> None:
    """Show a revision with its control block and the stored (approved) text.

    \b
    Examples:
      qms doc show QP-8.2-01
      qms doc show QP-8.2-01 --rev A/0
    """
    rev = documents.get_revision(app, number, edition)
    if source:
        if not rev.get("source"):
            raise UsageError(f"{number} {rev['edition']} is a draft; its file is the editable copy")
        click.echo(rev["source"], nl=False)
        return
    if as_json:
        echo_json(rev)
        return
    click.echo(f"文件编号 Number: {rev['number']}    版号/状态 Edition: {rev['edition']}    [{rev['state_label']}]")
    click.echo(f"标题 Title: {rev['title']} {rev.get('title_en', '')}")
    click.echo(f"类型 Type: {documents.TYPES.get(rev['type'], rev['type'])}    归口部门 Owner: {rev.get('owner', '')}    "
               f"语言 Language: {rev.get('language', 'zh')}")
    if rev.get("external"):
        ext = rev["external"]
        click.echo(f"外来文件 External: {ext.get('ref', '')}  来源 Source: {ext.get('source', '')}  "
                   f"版本 Version: {ext.get('version', '')}")
    for s in rev["signatures"]:
        click.echo(f"{s['meaning']}: {s['full_name']} ({s['name']}, {s['role']}) {s['at']}  sha256 {s['sha256'][:16]}…")
    click.echo(f"发布 Issued: {rev.get('issued_at') or '-'}    实施 Effective: {rev.get('effective_date') or '-'}")
    if rev["state"] == "superseded":
        click.echo(f"已替代 SUPERSEDED by {rev.get('superseded_by')} from {rev.get('superseded_at')}: for reference only")
    if rev["state"] == "obsolete":
        click.echo(f"作废 OBSOLETE since {rev.get('obsoleted_at')} ({rev.get('obsolete_reason')}): for reference only")
    click.echo(f"修订原因 Reason: {rev.get('reason', '')}    content sha256 {rev['content_sha256']}")
    click.echo("")
    click.echo(rev["content"])


@doc.command("history")
@click.argument("number", shell_complete=complete_documents)
@json_option
@pass_app
def doc_history(app: App, number: str, as_json: bool) -> None:
    """The 修订记录 of a document: every revision with its reason, signatures and dates.

    \b
    Example:
      qms doc history QP-8.2-01
    """
    revs = documents.history(app, number)
    if as_json:
        echo_json([{k: v for k, v in r.items() if k not in ("content", "source")} for r in revs])
        return
    for r in revs:
        click.echo(f"{r['edition']:<5} {r['state_label']:<22} 实施 {r.get('effective_date') or '-':<10}  "
                   f"修订原因 {r.get('reason', '')}")
        for s in r["signatures"]:
            click.echo(f"      {s['meaning']}: {s['full_name']} ({s['name']}) {s['at']}")
        for e in r.get("history", []):
            click.echo(f"      {e['at']} {e['actor']} {e['action']} {e['from']}→{e['to']} {e.get('note', '')}".rstrip())


@doc.command("diff")
@click.argument("number", shell_complete=complete_documents)
@click.argument("old")
@click.argument("new")
@json_option
@pass_app
def doc_diff(app: App, number: str, old: str, new: str, as_json: bool) -> None:
    """Show what changed between two revisions (unified diff of their text).

    \b
    Example:
      qms doc diff QP-8.2-01 A/0 A/1
    """
    text = documents.diff(app, number, old, new)
    if as_json:
        echo_json({"number": number, "old": old, "new": new, "same": not text, "diff": text})
        return
    click.echo(text if text else f"{number}: {old} and {new} have the same text", nl=not text)


@doc.command("distribute")
@click.argument("number", shell_complete=complete_documents)
@click.option("--to", "dept", required=True, help="Receiving department, e.g. 品质部.")
@click.option("--holder", default="", help="The user holding the copy (optional).")
@click.option("--copies", "count", default=1, type=int, help="How many copies (default 1).")
@click.option("--uncontrolled", is_flag=True, help="Copies handed outside: stamped 非受控, never recalled.")
@click.option("--rev", "edition", metavar="EDITION", help="Distribute this issued revision (default: in force).")
@json_option
@pass_app
def doc_distribute(app: App, number: str, dept: str, holder: str, count: int, uncontrolled: bool,
                   edition: str | None, as_json: bool) -> None:
    """Issue numbered controlled copies (分发号) of a document to a department.

    \b
    Example:
      qms doc distribute QP-8.2-01 --to 业务部 --holder zhao --as zhou
    """
    made = distribution.distribute(app, number, dept, holder, not uncontrolled, count, edition)
    if as_json:
        echo_json(made)
        return
    for c in made:
        kind = "受控 CONTROLLED" if c["controlled"] else "非受控 UNCONTROLLED"
        click.echo(f"{c['number']} {c['edition']} 分发号 {c['copy_no']} → {c['dept']} {c['holder']} [{kind}]")


@doc.command("recall")
@click.argument("number", shell_complete=complete_documents)
@click.option("--copy", "copy_nos", multiple=True, metavar="NO", help="Record this copy (分发号) as returned; repeatable.")
@click.option("--all", "all_out", is_flag=True, help="Record every outstanding old copy as returned.")
@json_option
@pass_app
def doc_recall(app: App, number: str, copy_nos: tuple[str, ...], all_out: bool, as_json: bool) -> None:
    """List controlled copies of superseded or obsolete revisions still out, or record their return.

    \b
    Examples:
      qms doc recall QP-8.2-01
      qms doc recall QP-8.2-01 --copy 001 --as zhou
    """
    if copy_nos or all_out:
        done = distribution.recall(app, number, list(copy_nos), all_out)
        if as_json:
            echo_json(done)
            return
        for c in done:
            click.echo(f"recalled {c['number']} {c['edition']} 分发号 {c['copy_no']} from {c['dept']}")
        click.echo(f"{len(done)} cop{'y' if len(done) == 1 else 'ies'} recalled")
        return
    out = distribution.outstanding(app, number)
    if as_json:
        echo_json(out)
        return
    for c in out:
        click.echo(f"{c['number']} {c['edition']} [{documents.STATES[c['revision_state']]}] 分发号 {c['copy_no']} "
                   f"at {c['dept']} {c['holder']} since {c['issued_at'][:10]}")
    click.echo(f"{len(out)} old cop{'y' if len(out) == 1 else 'ies'} still out" if out
               else f"no old copies of {number} are out")


@doc.command("acknowledge")
@click.argument("number", shell_complete=complete_documents)
@password_option
@json_option
@pass_app
def doc_acknowledge(app: App, number: str, password_stdin: bool, as_json: bool) -> None:
    """Record that you read and understood the revision in force (已阅知), signed with your password.

    The password comes from QMS_PASSWORD when set, else --password-stdin or the prompt.

    \b
    Example:
      qms doc acknowledge QP-8.2-01 --as zhao
    """
    password = os.environ.get("QMS_PASSWORD") or read_password(password_stdin, "Password to sign 阅知 acknowledged")
    ack = distribution.acknowledge(app, number, password)
    if as_json:
        echo_json(ack)
        return
    click.echo(f"{ack['name']} acknowledged {ack['number']} {ack['edition']} (sha256 {ack['content_sha256'][:12]}…)")


@doc.command("unacknowledged")
@click.argument("number", required=False, shell_complete=complete_documents)
@json_option
@pass_app
def doc_unacknowledged(app: App, number: str | None, as_json: bool) -> None:
    """List who has not yet acknowledged the revision in force (owner department and copy holders).

    \b
    Example:
      qms doc unacknowledged QP-8.2-01
    """
    rows = distribution.unacknowledged(app, number)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['number']} {r['edition']}  {r['name']} {r['full_name']} ({r['dept']})")
    click.echo(f"{len(rows)} acknowledgement(s) outstanding" if rows else "everyone has acknowledged")


@doc.command("pdf")
@click.argument("number", shell_complete=complete_documents)
@click.option("--rev", "edition", metavar="EDITION", help="The edition, e.g. A/1 (default: the one in force).")
@click.option("-o", "--output", type=PDF_OUT, help="The PDF file to write (default ./NUMBER_EDITION.pdf).")
@click.option("--copy", "copy_no", type=int, metavar="N", help="Controlled copy number from the distribution register.")
@click.option("--holder", metavar="DEPT", help="The department holding that controlled copy.")
@click.option("--uncontrolled", is_flag=True, help="Stamp 非受控 UNCONTROLLED, for copies handed outside.")
@json_option
@pass_app
def doc_pdf(app: App, number: str, edition: str | None, output: Path | None, copy_no: int | None,
            holder: str | None, uncontrolled: bool, as_json: bool) -> None:
    """Render a controlled document as PDF: control block, 修订记录, status stamp on every page.

    The stamp follows the revision: 受控 CONTROLLED (a registered copy with --copy/--holder, else the
    master copy), 非受控 UNCONTROLLED with --uncontrolled, 草稿 DRAFT, 已替代 SUPERSEDED, 作废 OBSOLETE.

    \b
    Examples:
      qms doc pdf QP-8.2-01 -o QP-8.2-01.pdf
      qms doc pdf QP-8.2-01 --copy 5 --holder 品质部 --as zhou
      qms doc pdf QP-8.2-01 --rev A/0 --uncontrolled
    """
    from qms.render.sources import document_page, file_name

    if (copy_no is None) != (not holder):
        raise UsageError("a controlled copy needs both --copy N and --holder DEPT")
    page = document_page(app, number, edition, copy=copy_no, holder=holder, uncontrolled=uncontrolled)
    if copy_no is not None:
        # Printing a numbered controlled copy is a distribution act: say who did it.
        actor = app.actor("doc.distribute", "print a controlled copy")["name"]
        app.store.log_event("event", f"pdf:{number}", actor=actor, action="doc.pdf.copy",
                            detail={"number": number, "copy": f"{copy_no:03d}", "holder": holder})
    from qms.documents import get_revision

    rev = get_revision(app, number, edition)
    write_page(app, page, file_name(number, str(rev["edition"])), output, as_json)
