"""Benchmark of PDF rendering: seconds per page, a 200-record batch cold on one and two workers, a warm rebuild.

Run: ``.venv/bin/python bench/render.py [--records 200]``. Prints figures; it is not a test.
Targets (issue 5): warm rebuild with one change < 5 % of the cold batch; two workers ≥ 1.6× one.

``--cli N`` measures the shipped command instead, each run a new process (``python -m qms``, every
installed plugin loaded): ``qms render --jobs 2`` cold over N records, then ``qms render --changed``
after one record changed, and after nothing changed, ``--rounds`` times each (p50/p95/p99);
``--before REV`` times another revision's code in the same run (a ``git worktree``), alternating;
``--service`` then repeats the runs with ``qms render-service`` started, the command handed to it.
The user proves who they are by a ``qms login`` made once, as at a terminal (``--password``: by
``QMS_PASSWORD`` on every command, a password hash each time).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from qms.app import App  # noqa: E402
from qms.host import Host, make_plugin_manager  # noqa: E402
from qms.render import stamp as stamps  # noqa: E402
from qms.render.batch import render_all  # noqa: E402
from qms.render.page import procedure_page  # noqa: E402
from qms.render.pdf import render_pdf  # noqa: E402
from qms.workspace import init_workspace  # noqa: E402

ORG = {"name": "示范质量管理有限公司", "name_en": "Reference Quality Co., Ltd."}
FORM: dict[str, Any] = {
    "number": "QR-8.2-01", "title": "客户投诉处理报告", "title_en": "Customer Complaint Report", "edition": "A/0",
    "procedure": "QP-8.2-01", "prefix": "KS", "retention": {"years": 3, "after": "closed"},
    "schema": {"type": "object", "properties": {
        "received_at": {"type": "string", "format": "date-time", "title": "接收时间", "x-en": "Received at"},
        "customer": {"type": "string", "title": "客户名称", "x-en": "Customer"},
        "product": {"type": "string", "title": "产品/服务", "x-en": "Product or service"},
        "description": {"type": "string", "title": "投诉内容", "x-en": "Description"},
        "cause": {"type": "string", "title": "原因分析", "x-en": "Root cause"},
        "action": {"type": "string", "title": "纠正措施", "x-en": "Corrective action"}}},
    "sections": [{"title": "基本信息 Basic information", "fields": ["received_at", "customer", "product"]},
                 {"title": "处理 Handling", "fields": ["description", "cause", "action"]}],
}
PARAGRAPH = ("业务部接到客户投诉后，应在一个工作日内登记并转交品质部；品质部组织相关部门调查原因，"
             "制定纠正措施，并在规定时限内答复客户。处理结果经管理者代表确认后归档保存。")


def chapter(i: int) -> str:
    rows = "\n".join(f"| 步骤 {j} | 品质部 | {j} 个工作日 | 见 [[QR-8.2-01]] |" for j in range(1, 6))
    return (f"## {i} 第{i}章 工作要求\n\n" + "\n\n".join(PARAGRAPH * 2 for _ in range(3)) +
            f"\n\n1. 接收与登记。\n2. 调查与分析。\n3. 纠正与答复。\n\n| 步骤 | 部门 | 时限 | 记录 |\n|---|---|---|---|\n{rows}\n")


def revision(chapters: int) -> dict[str, Any]:
    sig = {"name": "wang", "full_name": "王总经理", "role": "approver", "at": "2026-10-22T10:00:00", "sha256": "a" * 64}
    return {"number": "QP-8.2-01", "title": "客户投诉处理程序", "title_en": "Customer Complaint Handling",
            "type": "procedure", "owner": "品质部", "edition": "A/1", "state": "effective",
            "content": "\n\n".join(chapter(i) for i in range(1, chapters + 1)), "reason": "增加回访要求",
            "signatures": [dict(sig, meaning="编制 prepared"), dict(sig, meaning="审核 reviewed"),
                           dict(sig, meaning="批准 approved")],
            "issued_at": "2026-10-22T10:00:00", "effective_date": "2026-11-01", "review_interval_months": 12}


def per_page(chapters: int) -> tuple[int, float]:
    page = procedure_page(revision(chapters), organisation=ORG, stamp=stamps.controlled())
    t = time.perf_counter()
    result = render_pdf(page)
    return result.pages, time.perf_counter() - t


def record(n: int) -> dict[str, Any]:
    number = f"KS-2026-{n:04d}"
    return {"number": number, "form": "QR-8.2-01", "form_edition": "A/0", "procedure": "QP-8.2-01",
            "procedure_edition": "A/1", "state": "closed", "closed": True,
            "data": {"received_at": "2026-11-02T09:00:00", "customer": f"客户 {n}", "product": "中央空调维修",
                     "description": PARAGRAPH, "cause": "密封圈老化", "action": "更换密封圈并回访"},
            "created_at": "2026-11-02T09:10:00", "created_by": "zhao", "dept": "业务部",
            "history": [{"at": "2026-11-02T09:10:00", "actor": "zhao", "action": "file", "from": None, "to": "open",
                         "note": ""},
                        {"at": "2026-11-04T15:00:00", "actor": "li", "action": "close", "from": "open", "to": "closed",
                         "note": "客户满意"}],
            "signatures": [{"meaning": "批准 approved", "name": "li", "full_name": "李品质", "role": "quality_officer",
                            "at": "2026-11-04T15:00:00", "sha256": "b" * 64}],
            "attachments": [], "amends": None, "amended_by": []}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def spread(values: list[float]) -> str:
    """p50 / p95 / p99 of ``values`` in seconds."""
    return " / ".join(f"{percentile(values, p):.3f}" for p in (50, 95, 99))


def _children_cpu() -> float:
    """User + system CPU seconds of every child process waited for so far (and of their children)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def bench_cli(records: int, rounds: int = 3, before: str | None = None, before_tree: Path | None = None,
              service: bool = False, password: bool = False) -> None:
    """The shipped ``qms render`` in new processes: cold batch, one change, no change (see the docstring).

    With ``before`` the same runs are made with that revision's code too (a ``git worktree`` first on
    ``PYTHONPATH``, its own workspace of the same records), alternating with this tree run by run.
    """
    from qms.testing import PASSWORD

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, Path] = {"this tree": root}
        if before:
            tree = Path(tmp) / "before"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), before], cwd=root, check=True,
                           capture_output=True)
            trees[f"before ({before})"] = tree
        if before_tree:
            trees[f"before ({before_tree})"] = before_tree.resolve()
        try:
            apps: dict[str, App] = {}
            for n_tree, label in enumerate(trees):
                ws = init_workspace(Path(tmp) / f"ws{n_tree}", kind="test")
                (ws.forms / "QR-8.2-01.yaml").write_text(yaml.safe_dump(FORM, allow_unicode=True), encoding="utf-8")
                app = App(ws, Host(make_plugin_manager()))
                app.users.add("admin", "admin", "质量管理部", PASSWORD, actor="admin")
                for n in range(1, records + 1):
                    app.store.put("records", f"KS-2026-{n:04d}", record(n), actor="zhao", action="record.file")
                apps[label] = app
            print(f"# qms render --cli {records}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")

            cpu: dict[tuple[str, str], list[float]] = {}
            runtime = Path(tmp) / "run"
            runtime.mkdir(mode=0o700)

            def run(label: str, *args: str, command: bool = False) -> float:
                tree = trees[label]
                # Bytecode written and used as in an installed copy, for both trees alike.
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                env.update({"XDG_CONFIG_HOME": str(Path(tmp) / "config"), "XDG_RUNTIME_DIR": str(runtime),
                            "PYTHONPATH": os.pathsep.join([str(tree), str(tree / "plugins")])})
                t, used = time.perf_counter(), _children_cpu()
                # Run from the workspace: ``-m`` puts the working directory first on sys.path, and from
                # the repository that would be this tree's qms whatever PYTHONPATH says.
                head = [] if command else ["render"]
                if password:
                    env["QMS_PASSWORD"] = PASSWORD
                proof = ["--as", "admin"] if password else []  # else the login made below
                subprocess.run([sys.executable, "-m", "qms", "--workspace", str(apps[label].workspace.root), *proof,
                                *head, *args], env=env, check=True, capture_output=True,
                               cwd=apps[label].workspace.root)
                took = time.perf_counter() - t
                # CPU seconds of the command and its render workers: what the machine's load does not stretch.
                cpu.setdefault((label, " ".join(args)), []).append(_children_cpu() - used)
                return took

            if not password:
                # As a user at a terminal works: `qms login` once, then commands prove themselves by its token.
                for label in trees:
                    subprocess.run([sys.executable, "-m", "qms", "--workspace", str(apps[label].workspace.root),
                                    "login", "admin", "--password-stdin"], input=f"{PASSWORD}\n".encode(), check=True,
                                   capture_output=True, cwd=apps[label].workspace.root,
                                   env={**os.environ, "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
                                        "PYTHONPATH": os.pathsep.join([str(trees[label]), str(trees[label] / "plugins")])})
            print(f"# proof of the user: {'QMS_PASSWORD with --as (scrypt each command)' if password else 'qms login token'}")
            cold = {label: run(label, "--jobs", "2") for label in trees}
            for label in trees:
                print(f"{label}: qms render --jobs 2, {records} records cold: {cold[label]:.2f} s wall, "
                      f"{cpu[(label, '--jobs 2')][0]:.2f} s CPU")
            changed: dict[str, list[float]] = {label: [] for label in trees}
            unchanged: dict[str, list[float]] = {label: [] for label in trees}
            for i in range(rounds):
                for label, app in apps.items():
                    doc = record(7)
                    doc["data"]["action"] = f"更换密封圈，第 {i + 2} 次回访"
                    app.store.put("records", "KS-2026-0007", doc, actor="zhao", action="record.update")
                    changed[label].append(run(label, "--changed"))
                    unchanged[label].append(run(label, "--changed"))
            for label in trees:
                one, none = percentile(changed[label], 50), percentile(unchanged[label], 50)
                print(f"{label}: qms render --changed, 1 of {records} changed, p50/p95/p99 {spread(changed[label])} s "
                      f"({rounds} runs): {100 * one / cold[label]:.1f} % of its cold batch (target < 5 %)")
                print(f"{label}: qms render --changed, nothing changed, p50/p95/p99 {spread(unchanged[label])} s: "
                      f"{100 * none / cold[label]:.1f} %")
                # Each --changed run alternates: one change, then nothing changed.
                one_cpu, none_cpu = cpu[(label, "--changed")][0::2], cpu[(label, "--changed")][1::2]
                cold_cpu = cpu[(label, "--jobs 2")][0]
                print(f"{label}: CPU seconds, 1 changed p50/p95/p99 {spread(one_cpu)}, nothing changed {spread(none_cpu)}; "
                      f"1 changed ÷ cold batch CPU {100 * percentile(one_cpu, 50) / cold_cpu:.1f} %, ÷ half the cold "
                      f"batch CPU (its wall time on 2 idle cores) {200 * percentile(one_cpu, 50) / cold_cpu:.1f} %")
            if service:
                bench_service(apps["this tree"], run, cpu, cold["this tree"], rounds, records)
        finally:
            if before:
                subprocess.run(["git", "worktree", "remove", "--force", str(trees[f"before ({before})"])], cwd=root,
                               capture_output=True)


def bench_service(app: App, run: Any, cpu: dict[tuple[str, str], list[float]], cold: float, rounds: int,
                  records: int) -> None:
    """The same runs with ``qms render-service`` started: the command handed to the service (this tree only)."""
    label = "this tree"
    t = time.perf_counter()
    run(label, "render-service", "start", "--idle-minutes", "10", command=True)
    print(f"service: qms render-service start (until it answers): {time.perf_counter() - t:.2f} s")
    try:
        cold_served = run(label, "--all", "--jobs", "2")
        print(f"service: qms render --all --jobs 2, {records} records: {cold_served:.2f} s wall "
              f"(the client's CPU only: {cpu[(label, '--all --jobs 2')][0]:.2f} s)")
        changed: list[float] = []
        unchanged: list[float] = []
        for i in range(rounds):
            doc = record(7)
            doc["data"]["action"] = f"更换密封圈，服务第 {i + 2} 次回访"
            app.store.put("records", "KS-2026-0007", doc, actor="zhao", action="record.update")
            changed.append(run(label, "--changed"))
            unchanged.append(run(label, "--changed"))
        one = percentile(changed, 50)
        print(f"service: qms render --changed, 1 of {records} changed, p50/p95/p99 {spread(changed)} s ({rounds} runs): "
              f"{100 * one / cold:.1f} % of the cold batch without the service, {100 * one / cold_served:.1f} % of "
              f"the batch through the service (target < 5 %)")
        print(f"service: qms render --changed, nothing changed, p50/p95/p99 {spread(unchanged)} s")
    finally:
        run(label, "render-service", "stop", command=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--cli", type=int, metavar="N", help="only the shipped command over N records (new processes)")
    parser.add_argument("--rounds", type=int, default=3, help="with --cli: runs of each --changed case")
    parser.add_argument("--before", metavar="REV", help="with --cli: also time this revision's code, alternating")
    parser.add_argument("--before-tree", metavar="DIR", type=Path, help="with --cli: also time the code in DIR")
    parser.add_argument("--password", action="store_true",
                        help="with --cli: prove the user by QMS_PASSWORD on each command instead of a `qms login`")
    parser.add_argument("--service", action="store_true",
                        help="with --cli: then the same with `qms render-service` started (this tree)")
    args = parser.parse_args()
    os.environ["QMS_NOW"] = "2026-11-22T09:00:00"
    if args.cli:
        bench_cli(args.cli, args.rounds, args.before, args.before_tree, args.service, args.password)
        return
    per_page(1)  # warm up: the WeasyPrint import and font loading are not per page
    for chapters in (0, 32):  # the control page alone; about twenty pages
        pages, secs = per_page(chapters)
        print(f"procedure {pages:2d} page(s): {secs:.2f} s, {secs / pages:.2f} s/page")
    if args.records < 1:
        return
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws", kind="test")  # honours its fixed QMS_NOW
        (ws.forms / "QR-8.2-01.yaml").write_text(yaml.safe_dump(FORM, allow_unicode=True), encoding="utf-8")
        app = App(ws, Host(make_plugin_manager()))
        for n in range(1, args.records + 1):
            app.store.put("records", f"KS-2026-{n:04d}", record(n), actor="zhao", action="record.file")
        times: dict[int, float] = {}
        for workers in (1, 2):
            out = Path(tmp) / f"pdf{workers}"
            t = time.perf_counter()
            report = render_all(app, actor="bench", out=out, jobs=workers)
            times[workers] = time.perf_counter() - t
            print(f"batch of {len(report.rendered)} record PDFs cold, {workers} worker(s): {times[workers]:.1f} s "
                  f"({len(report.rendered) / times[workers]:.2f} PDF/s)")
        changed = record(7)
        changed["data"]["action"] = "更换密封圈，第二次回访客户满意"
        app.store.put("records", "KS-2026-0007", changed, actor="zhao", action="record.update")
        t = time.perf_counter()
        report = render_all(app, actor="bench", out=Path(tmp) / "pdf2", jobs=2)
        warm = time.perf_counter() - t
        print(f"same batch again, one record changed: {warm:.2f} s, rendered {len(report.rendered)}, "
              f"skipped {len(report.skipped)} ({100 * warm / times[2]:.1f} % of the cold 2-worker batch, "
              f"{100 * warm / times[1]:.1f} % of the cold 1-worker batch)")
        print(f"speed-up of 2 workers over 1: {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
