"""The examples in every command's --help work when copied into a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Invoke
from qms.backend import copy_workspace


def test_as_may_follow_the_command_as_the_examples_write_it(invoke: Invoke, add_user) -> None:  # type: ignore[no-untyped-def]
    add_user("zhao", "department", "业务部")
    data = "received_at=2026-11-05T09:00:00", "channel=电话", "customer=某某公司", "content=漏水"
    result = invoke("record", "new", "QR-8.2-01", *(a for d in data for a in ("--set", d)), "--as", "zhao")
    assert result.exit_code == 0, result.output
    assert "filed KS-2026-0001" in result.output
    shown = invoke("record", "show", "KS-2026-0001", "--json", "--as=zhao")
    assert '"created_by": "zhao"' in shown.output
    # A value that merely contains the text is left where it is.
    assert invoke("record", "update", "KS-2026-0001", "--set", "customer=--as", "--as", "zhao").exit_code == 0


# -- every Example(s): line of every --help, run on a copy of the demonstration workspace -----------------

NOW = "2026-12-05T10:00:00"

#: Examples that cannot run on a server or in a test, and why.
NOT_RUN = {
    "qms demo": "builds a whole demonstration (the fixture below is one)",
    "qms serve": "starts a server that does not return",
    "qms render": "renders every PDF of the workspace (minutes; covered by tests/test_render_cli.py)",
    "qms --as auditor export bundle": "renders every PDF into a bundle (minutes; covered by tests/test_bundle.py)",
    "qms verify evidence": "needs the bundle of the example above",
    "qms verify --since": "needs a head kept from an earlier visit (covered by tests/test_anchors.py)",
    "qms store migrate": "moves the whole store to a server (covered by tests/test_pg_migrate.py)",
    "qms --as admin store migrate": "moves the whole store to a server (covered by tests/test_pg_migrate.py)",
}

#: Examples that show one step of a sequence (or name a record of another state) and are refused on
#: the demo's state by a rule of the quality system, not by the command line: the refusal they get,
#: which shows the command itself was understood.
STATE_BOUND = {
    "qms doc new QP-8.2-01": "already exists",
    "qms doc new QE-7.5-01": "already exists",
    "qms doc submit QP-8.2-01": "submitting needs a revision that is a draft",
    "qms doc review QP-8.2-01 --accept": "a review needs a revision that is in review",
    "qms doc approve QP-8.2-01": "approval needs a revision that is in review",
    "qms doc issue QP-8.2-01": "effective date 2026-12-01 is in the past",
    "qms doc obsolete QW-8.5-03": "no controlled document 'QW-8.5-03'",
    "qms doc acknowledge QP-8.2-01": "already acknowledged",
    "qms doc recall QP-8.2-01 --copy 001": "was already recalled",
    "qms doc pdf QP-8.2-01 --rev A/0 --uncontrolled": "copies (--copy/--holder/--uncontrolled) are issued only of",
    "qms record move KS-2026-0001 closed": "no transition from investigating to closed",
    "qms projects pay XM-2026-0003 midterm": "falls due only when the gate of 中期验收",
    "qms property request dispatch FW-2026-0001": "FW-2026-0001 is closed",
    "qms property request handoff FW-2026-0002": "is a 报修 request, not 投诉",
    "qms property repair complete PG-2026-0001": "PG-2026-0001 cannot be completed",
    "qms property repair visit PG-2026-0001": "a return visit follows completion",
    "qms property repair revisit WH-2026-0002": "only those get a repeat visit",
    "qms property pass refund TX-2026-0002": "a deposit is refunded only once",
    "qms retention dispose KS-2023-0001": "list records past retention",
    "qms ncr contain NC-2026-0001": "NC-2026-0001 is closed and cannot be changed",
    "qms ncr analyse NC-2026-0001": "NC-2026-0001 is closed; causes are analysed in state analysis",
    "qms ncr action NC-2026-0001": "NC-2026-0001 is closed; actions are planned",
    "qms ncr done NC-2026-0001": "NC-2026-0001 is closed; actions are recorded done",
    "qms ncr verify NC-2026-0001": "NC-2026-0001 is closed; its effectiveness is checked",
    "qms --as zhou review gather GP-2026-0002": "its inputs are kept as the meeting saw them",
    "qms --as zhou review output GP-2026-0002": "outputs are decided at the meeting",
    "qms --as wang review approve GP-2026-0002": "only a held review",
    # A token for a service user the demo does not have, and an id only a real token list shows.
    "qms token create --user ci": "no user 'ci'",
    "qms token revoke 3f2a9c1b77de": "tokens have an id starting",
}


def _help_examples() -> list[str]:
    """Every example command line of every group and command's help, continuation lines joined."""
    import click

    from qms.cli import build

    found: list[str] = []

    def walk(group: click.Group) -> None:
        for _, command in sorted(group.commands.items()):
            lines = (command.help or "").splitlines()
            inside, current = False, ""
            for raw in lines:
                text = raw.strip()
                if text in ("Example:", "Examples:"):
                    inside = True
                    continue
                if inside and not text:
                    inside = False
                if inside:
                    current = f"{current} {text}".strip()
                    if current.endswith("\\"):
                        current = current[:-1].rstrip()
                        continue
                    if current not in found:
                        found.append(current)
                    current = ""
            if isinstance(command, click.Group):
                walk(command)

    walk(build([]))
    return found


EXAMPLES = _help_examples()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration workspace without its PDF and site steps (they take minutes and add no state)."""
    import qms.demo
    from qms.demo_context import step_users
    from qms.documents_demo import step_documents
    from qms.host import Host, make_plugin_manager

    root = tmp_path_factory.mktemp("demo") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", NOW)
        mp.setattr(qms.demo, "core_steps", lambda: [(0, step_users), (10, step_documents)])
        qms.demo.run_demo(root, Host(make_plugin_manager()))
    return root


def _files(folder: Path) -> None:
    """The files the examples name, as a clerk would have them."""
    (folder / "complaint.yaml").write_text("received_at: 2026-12-05T09:00:00\nchannel: 电话\ncustomer: 某某公司\n"
                                           "content: 阀门漏水\n", encoding="utf-8")
    (folder / "meter.yaml").write_text(
        "name: 数字万用表\ncategory: 计量器具\nmodel: UT61E\nroute: 购置\nprice: 1650\ndept: 品质部\nadministrator: 李品质\n"
        "location: 质检试验室\nacceptance_date: 2026-12-01\nacceptance_result: 合格\nacceptance_equipment: 孙设备\n"
        "acceptance_user: 李品质\nacceptance_purchasing: 郑采购\nacceptance_technical: 冯技术\nmeasuring: true\n"
        "cal_mode: 内校\ncal_cycle_months: 6\n", encoding="utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 photo")
    (folder / "requests.csv").write_text("received_at,channel,call_answered,requester_kind,requester_name,building,"
                                         "request_type,urgency,description\n"
                                         "2026-12-05T08:30:00,电话,是,业主,王女士,A栋,报修,一般,厨房水龙头漏水\n",
                                         encoding="utf-8")


def test_the_examples_are_found() -> None:
    assert len(EXAMPLES) > 80
    assert any(e.startswith("qms equipment calibrate 102003") for e in EXAMPLES)


def _not_run(example: str) -> bool:
    return any(example.startswith(prefix) for prefix in NOT_RUN)


RUN = [e for e in EXAMPLES if not _not_run(e)]
PARSED_ONLY = [e for e in EXAMPLES if _not_run(e)]


def test_every_example_left_unrun_is_still_in_a_help_text() -> None:
    # The list of examples that are parsed but not run may not outlive the examples it names.
    for prefix in NOT_RUN:
        assert any(e.startswith(prefix) for e in EXAMPLES), prefix


@pytest.mark.parametrize("example", PARSED_ONLY, ids=[e[:70] for e in PARSED_ONLY])
def test_an_example_too_long_to_run_here_is_still_a_valid_command_line(example: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The command path exists and click accepts every option and argument it gives (nothing is run)."""
    import shlex

    import click

    from qms.cli import build

    argv = shlex.split(example, comments=True)[1:]
    monkeypatch.chdir(tmp_path)
    for arg in argv:  # the files an example reads (a bundle or head kept from an earlier visit) exist
        if arg.endswith((".zip", ".json")):
            (tmp_path / arg).write_text("{}", encoding="utf-8")
    command: click.Command = build(argv)
    ctx = command.make_context("qms", list(argv))
    while isinstance(command, click.Group):
        name, sub, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None and name, example
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    assert ctx.command is command and not ctx.args, (example, ctx.args)


@pytest.mark.slow
@pytest.mark.parametrize("example", RUN, ids=[e[:70] for e in RUN])
def test_help_example_works_when_copied(example: str, demo: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex

    from click.testing import CliRunner

    from qms.cli import build
    from qms.demo_context import DEMO_PASSWORD

    assert example.startswith("qms "), example
    argv = shlex.split(example, comments=True)[1:]
    copy_workspace(demo, tmp_path / "ws")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QMS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("QMS_NOW", NOW)
    monkeypatch.setenv("QMS_PASSWORD", DEMO_PASSWORD)  # every demo user's: it proves who --as names
    _files(tmp_path)
    result = CliRunner().invoke(build(argv), argv, input=f"{DEMO_PASSWORD}\n" * 3)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    bound = next((says for prefix, says in STATE_BOUND.items() if example.startswith(prefix)), None)
    if bound is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code in (1, 2) and bound in result.output, result.output
        assert "No such option" not in result.output and "Usage:" not in result.output


# -- messages name the options the command line really has ------------------------------------------------


def _cli_options() -> set[str]:
    import click

    from qms.cli import build

    found: set[str] = set()

    def walk(command: click.Command) -> None:
        for param in command.params:
            found.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(build([]))
    return found


def test_every_option_a_message_names_exists() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    options = _cli_options() | {"--help"}
    unknown = []
    for path in [*sorted((root / "qms").rglob("*.py")), *sorted((root / "plugins").rglob("*.py"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", line):
                if option not in options:
                    unknown.append(f"{path.relative_to(root)}:{number}: {option}")
    assert unknown == []


def _run(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    from click.testing import CliRunner

    from qms.cli import build

    if not (tmp_path / "ws").exists():
        copy_workspace(demo, tmp_path / "ws")
    from qms.demo_context import DEMO_PASSWORD

    monkeypatch.setenv("QMS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("QMS_NOW", NOW)
    monkeypatch.setenv("QMS_PASSWORD", DEMO_PASSWORD)
    result = CliRunner().invoke(build(list(args)), list(args))
    assert result.exit_code == 1, result.output
    return result.output


@pytest.mark.slow
def test_refusals_of_plugin_commands_name_the_commands_options(demo: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    said = _run(demo, tmp_path, monkeypatch, "--as", "qian", "property", "pass", "issue", "--set", "applicant=某某物流",
                "--set", "vehicle_category=外部车辆", "--set", "handling_dept=采购部", "--set", "letter_reason=送货", "--set", "period_until=2026-12-31",
                "--set", "documents=驾驶证", "--set", "plate=沪A12345")
    assert "--receipt" in said and said.count("\n") == 1
    said = _run(demo, tmp_path, monkeypatch, "--as", "zhao", "complaints", "visit", "KS-2026-0007", "--method", "电话沟通",
                "--satisfaction", "不满意")
    assert "--reason" in said and "--alternatives-told" in said and said.count("\n") == 1
