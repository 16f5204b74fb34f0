"""The render service in real processes: `qms render` handed to it, the same PDFs and audit entries, refusals, stale code, idle stop, privacy."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.render import service
from qms.workspace import Workspace
from tests.test_render_cli import NUMBER, ws  # noqa: F401 - the fixture: one procedure, two records

REPO = Path(__file__).resolve().parent.parent
RECORDS = ["records/QR-9.8-01/TT-2026-0001.pdf", "records/QR-9.8-01/TT-2026-0002.pdf"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of every `qms` process here (and of this one): the test's own runtime folder for the socket."""
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    return dict(os.environ)


@pytest.fixture
def running(ws: Workspace, env: dict[str, str]) -> Any:  # noqa: F811
    """A render service started for ``ws`` by the shipped command; stopped (or killed) afterwards."""
    started = qms(ws, env, "render-service", "start", "--idle-minutes", "10", "--json", user=None)
    assert started.returncode == 0, started.stderr
    status = json.loads(started.stdout)
    assert status["running"] and status["started_now"]
    yield status
    qms(ws, env, "render-service", "stop", user=None)
    _gone(status["pid"])


def qms(ws: Workspace, env: dict[str, str], *args: str, user: str | None = "zhou",  # noqa: F811
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m qms --workspace WS [--as USER] ARGS`` in a new process."""
    head = ["--workspace", str(ws.root)] + (["--as", user] if user else [])
    return subprocess.run([sys.executable, "-m", "qms", *head, *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=cwd or ws.root.parent)


def _gone(pid: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # Exited but not yet reaped by whoever adopted it: a zombie still answers kill(pid, 0).
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except (FileNotFoundError, IndexError):
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    raise AssertionError(f"the render service (pid {pid}) did not stop")


def audit_lines(ws: Workspace) -> list[dict[str, Any]]:  # noqa: F811
    app = App(Workspace.open(ws.root), Host(make_plugin_manager()))
    return [json.loads(line) for line in app.store.audit_bytes().splitlines() if line.strip()]


def served(ws: Workspace, env: dict[str, str]) -> int:  # noqa: F811
    status = qms(ws, env, "render-service", "status", "--json", user=None)
    data: dict[str, Any] = json.loads(status.stdout)
    return int(data["served"]) if data["running"] else -1


@pytest.mark.slow
def test_render_through_the_service_writes_what_the_command_writes_in_its_own_process(
        ws: Workspace, env: dict[str, str], running: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    # Outside the workspace nothing is logged, so both runs take the same chain head: same bytes.
    through = qms(ws, env, "render", "--all", "--out", str(tmp_path / "through"), "--json")
    assert through.returncode == 0, through.stderr
    assert served(ws, env) == 1, "the command was handed to the service"
    stopped = qms(ws, env, "render-service", "stop", user=None)
    assert stopped.returncode == 0 and "1 command(s) served" in stopped.stdout
    _gone(running["pid"])
    here = qms(ws, env, "render", "--all", "--out", str(tmp_path / "here"), "--json")
    assert here.returncode == 0, here.stderr
    assert sorted(json.loads(through.stdout)["rendered"]) == sorted(json.loads(here.stdout)["rendered"])
    files = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*") if p.is_file())
    assert len(files) == 4  # one procedure, two records, the manifest
    for name in files:
        assert (tmp_path / "through" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


@pytest.mark.slow
def test_a_render_into_the_workspace_is_logged_as_its_caller_and_verifies(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    first = qms(ws, env, "render", "--json")
    assert first.returncode == 0, first.stderr
    assert sorted(json.loads(first.stdout)["rendered"]) == sorted([f"documents/{NUMBER}_A-0.pdf", *RECORDS])
    logged = [e for e in audit_lines(ws) if e["action"] == "render.pdf"]
    assert len(logged) == 3 and {e["actor"] for e in logged} == {"zhou"}
    again = qms(ws, env, "render")
    assert again.returncode == 0 and "rendered 0 PDF(s) (0 pages), 3 unchanged" in again.stdout
    assert served(ws, env) == 2
    verified = qms(ws, env, "verify", user=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.slow
def test_a_refused_command_changes_nothing_and_the_service_goes_on(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    before = audit_lines(ws)
    wrong = qms(ws, {**env, "QMS_PASSWORD": "not-the-password"}, "render")
    assert wrong.returncode == 1 and wrong.stderr.strip() == "Error: wrong password for 'zhou'; nothing was changed"
    nobody = qms(ws, env, "render", user=None)
    assert nobody.returncode != 0 and nobody.stderr.startswith("Error: this command changes the workspace")
    assert nobody.stderr.count("\n") == 1
    assert audit_lines(ws) == before
    assert not (ws.records / "pdf").exists() or not list((ws.records / "pdf").rglob("*.pdf"))
    assert served(ws, env) == 2, "both were answered by the service"
    # The same refusal in the command's own process, for comparison: the same line and code.
    qms(ws, env, "render-service", "stop", user=None)
    _gone(running["pid"])
    here = qms(ws, {**env, "QMS_PASSWORD": "not-the-password"}, "render")
    assert (here.returncode, here.stderr) == (wrong.returncode, wrong.stderr)


@pytest.mark.slow
def test_help_and_bad_options_are_answered_by_the_command_itself(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    bad = qms(ws, env, "render", "--jobs", "0")
    assert bad.returncode == 2 and "Invalid value for '--jobs'" in bad.stderr
    shown = qms(ws, env, "render", "--help")
    assert shown.returncode == 0 and "render-service" in shown.stdout
    assert served(ws, env) == 0


@pytest.mark.slow
def test_start_twice_stop_and_status(ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    again = qms(ws, env, "render-service", "start", user=None)
    assert again.returncode == 0 and f"already (pid {running['pid']}" in again.stdout
    status = qms(ws, env, "render-service", "status", user=None)
    assert status.returncode == 0 and f"pid {running['pid']}" in status.stdout
    log = Path(running["log"])
    assert f"; log {log}" in status.stdout and log == service.service_files(ws.root)[1]  # type: ignore[index]
    assert f"ready on {running['socket']}" in log.read_text(encoding="utf-8")
    assert qms(ws, env, "render-service", "stop", user=None).returncode == 0
    _gone(running["pid"])
    none = qms(ws, env, "render-service", "status", user=None)
    assert none.returncode == 0 and "no render service runs" in none.stdout
    assert "no render service runs" in qms(ws, env, "render-service", "stop", user=None).stdout
    # Without a service, `qms render` renders in its own process as always.
    alone = qms(ws, env, "render", "--json")
    assert alone.returncode == 0 and len(json.loads(alone.stdout)["rendered"]) == 3


@pytest.mark.slow
def test_the_service_stops_when_idle(ws: Workspace, env: dict[str, str]) -> None:  # noqa: F811
    started = qms(ws, env, "render-service", "start", "--idle-minutes", "0.05", "--json", user=None)
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    _gone(pid, seconds=30)
    files = service.service_files(ws.root)
    assert files is not None and not files[0].exists(), "the socket goes with the service"
    assert "no command for 0.05 minutes: stopping" in files[1].read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_service_whose_code_changed_stops_and_the_command_renders_itself(
        ws: Workspace, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    # The service and the commands run a copy of qms, so that a file of it can change under them.
    code = tmp_path / "code"
    shutil.copytree(REPO / "qms", code / "qms", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**env, "PYTHONPATH": os.pathsep.join([str(code), env.get("PYTHONPATH", "")])}
    started = qms(ws, env, "render-service", "start", "--json", user=None, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    try:
        first = qms(ws, env, "render", "--json", cwd=tmp_path)
        assert first.returncode == 0 and served(ws, env) == 1
        hookspecs = code / "qms" / "hookspecs.py"
        hookspecs.write_text(hookspecs.read_text(encoding="utf-8") + "\n# upgraded\n", encoding="utf-8")
        after = qms(ws, env, "render", "--all", "--json", cwd=tmp_path)
        assert after.returncode == 0, after.stderr
        assert "ran older code than is installed now and has stopped; rendering here" in after.stderr
        assert len(json.loads(after.stdout)["rendered"]) == 3, "rendered in the command's own process"
        _gone(pid)
        # `start` does not take a service of older code for a running one: it starts a new one.
        pid = json.loads(qms(ws, env, "render-service", "start", "--json", user=None, cwd=tmp_path).stdout)["pid"]
        hookspecs.write_text(hookspecs.read_text(encoding="utf-8") + "# upgraded again\n", encoding="utf-8")
        again = qms(ws, env, "render-service", "start", "--json", user=None, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["started_now"] and json.loads(again.stdout)["pid"] != pid
        _gone(pid)
        pid = json.loads(again.stdout)["pid"]
    finally:
        qms(ws, env, "render-service", "stop", user=None)


@pytest.mark.slow
def test_two_commands_at_once_are_served_one_after_the_other(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    args = [sys.executable, "-m", "qms", "--workspace", str(ws.root), "--as", "zhou", "render", "--json"]
    both = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    reports = []
    for process in both:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    assert sorted(len(r["rendered"]) for r in reports) == [0, 3], "each PDF was rendered once"
    assert served(ws, env) == 2
    assert len([e for e in audit_lines(ws) if e["action"] == "render.pdf"]) == 3


def test_a_runtime_folder_others_may_enter_is_refused_and_render_works_without_it(
        ws: Workspace, env: dict[str, str]) -> None:  # noqa: F811
    folder = Path(env["XDG_RUNTIME_DIR"]) / "qms"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    started = qms(ws, env, "render-service", "start", user=None)
    assert started.returncode != 0 and started.stdout == ""
    assert started.stderr.strip() == (f"Error: {folder} is not a folder of this user closed to others (owner uid "
                                      f"{os.getuid()}, mode 0o755); remove it and start the render service again")
    assert list(folder.iterdir()) == []


def test_the_service_answers_no_other_user(ws: Workspace, env: dict[str, str],  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Connecting as another user (nobody) takes root, as the test command runs (it installs with apt).
    assert os.getuid() == 0, "run the suite as root (`make test`): this test connects as another user"
    # A runtime folder another user can reach (pytest's own temporary folders are closed to them).
    run = Path(tempfile.mkdtemp(prefix="qms-run-", dir="/tmp"))
    run.chmod(0o711)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    env = {**env, "XDG_RUNTIME_DIR": str(run)}
    started = qms(ws, env, "render-service", "start", "--json", user=None)
    assert started.returncode == 0, started.stderr
    status = json.loads(started.stdout)
    path = Path(status["socket"])
    try:
        # Open the way on purpose: the folder and socket modes must not be all that protects it.
        path.parent.chmod(0o711)
        path.chmod(0o777)
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit code
            code = 1
            try:
                os.setgid(65534)
                os.setuid(65534)
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.connect(str(path))
                conn.sendall(b'{"op": "status"}\n')
                answer = json.loads(conn.makefile("rb").readline())
                code = 0 if answer == {"error": "the render service answers only its own user", "exit": 2} else 3
            finally:
                os._exit(code)
        _, waited = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(waited) == 0, "another user got an answer other than the refusal"
        path.parent.chmod(0o700)
        assert served(ws, env) == 0
    finally:
        path.parent.chmod(0o700)
        qms(ws, env, "render-service", "stop", user=None)
        _gone(status["pid"])
        shutil.rmtree(run, ignore_errors=True)


@pytest.mark.slow
def test_a_command_handed_to_the_service_loads_neither_the_plugins_nor_the_pdf_engine(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr))\n"
              "from qms.launch import main\n"
              f"main(['--workspace', {str(ws.root)!r}, '--as', 'zhou', 'render', '--json'])\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          cwd=ws.root.parent)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["rendered"]) == 3 and served(ws, env) == 1
    loaded = set(done.stderr.split("MODULES", 1)[1].split())
    assert not loaded & {"pluggy", "weasyprint", "jinja2", "markdown_it", "qms.cli", "qms.host", "qms.store"}


@pytest.mark.slow
def test_a_command_with_other_plugins_disabled_renders_in_its_own_process(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    fewer = qms(ws, {**env, "QMS_DISABLE_PLUGINS": "qms_complaints"}, "render", "--json")
    assert fewer.returncode == 0, fewer.stderr
    assert len(json.loads(fewer.stdout)["rendered"]) == 3 and served(ws, env) == 0
    same = qms(ws, env, "render", "--all", "--json")
    assert same.returncode == 0 and served(ws, env) == 1


def test_a_long_report_comes_through_whole_and_a_long_request_is_refused() -> None:
    from qms.render.service import MAX_REQUEST, ServiceError, _receive, _send

    # A report of a big archive names every file rendered: far more than a request may carry.
    report = {"report": {"rendered": [f"records/QR-9.9-01/RC-2026-{n:06d}.pdf" for n in range(8000)]}}
    for limit, whole in ((-1, True), (MAX_REQUEST, False)):
        ours, theirs = socket.socketpair()
        with ours, theirs, ours.makefile("rwb") as out, theirs.makefile("rwb") as back:
            sender = threading.Thread(target=_send, args=(out, report))
            sender.start()
            if whole:
                assert _receive(back, limit) == report
            else:
                with pytest.raises(ServiceError, match="before a whole message came"):
                    _receive(back, limit)
                back.read(len(json.dumps(report, ensure_ascii=False)) + 1 - MAX_REQUEST)  # let the sender finish
            sender.join(timeout=10)


@pytest.mark.slow
def test_callers_that_leave_early_do_not_end_the_service_and_kill_ends_it_cleanly(
        ws: Workspace, env: dict[str, str], running: dict[str, Any]) -> None:  # noqa: F811
    for request in (b'{"op": "status"}\n', b'{"op": "status"', b""):
        for _ in range(10):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(running["socket"])
                conn.sendall(request)  # and gone before the answer
    assert served(ws, env) == 0, "the service still answers"
    os.kill(running["pid"], 15)
    _gone(running["pid"])
    assert not Path(running["socket"]).exists(), "SIGTERM ends it through its clean-up, socket removed"
    alone = qms(ws, env, "render", "--json")
    assert alone.returncode == 0 and len(json.loads(alone.stdout)["rendered"]) == 3
