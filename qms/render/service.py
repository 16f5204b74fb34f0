"""The render service: one long-lived process per workspace that keeps the PDF engine loaded for ``qms render``.

A new ``qms render`` process pays, before its first page, for the interpreter, the plugins,
WeasyPrint's import and its first layout (fonts found and opened): about half a second, more than
a page costs. ``qms render-service start`` starts one process for the workspace that has paid all
of that once. While it runs, ``qms render`` hands it the command (``hand_over``) and prints its
answer, so a run after one change costs about one page.

* **Who starts and stops it:** the user, with ``qms render-service start`` and ``stop``. It also
  stops by itself after ``--idle-minutes`` without a command, and when its code is no longer
  the installed code.
* **Which code it runs:** the code it started with. Before every command it compares the files of
  ``qms`` and of every plugin package (path, size, mtime) and the installed distributions
  (``qms.discovery.signature``) with what they were at its start. On any difference it answers
  "stale" and exits, and ``qms render`` renders in its own process with the new code.
* **Who may talk to it:** its socket lives in a folder only its user may enter
  (``$XDG_RUNTIME_DIR/qms``, else ``/tmp/qms-UID``; mode 0700, refused when another user owns it
  or others may enter it), and it answers only a peer of its own user id (``SO_PEERCRED``).
  It acts for nobody: every command carries the caller's own proof (login token, ``QMS_TOKEN``
  or ``QMS_PASSWORD``). The workspace is opened afresh for each command and the caller proved
  exactly as a ``qms`` process proves them; the service's own environment holds no password.
* **What it does:** ``qms render`` and nothing else, through the command's own function
  (``qms.cli.pdf.render_report``), one command at a time; the PDFs, manifest and audit entries
  are the ones the command makes in its own process.

The protocol is one JSON line asked and JSON lines answered: progress lines, then one final
answer (``report``, ``error``, ``stale`` or a status).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import socket
import stat
import struct
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from io import BufferedIOBase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms.errors import QMSError, UsageError

if TYPE_CHECKING:
    from qms.host import Host

#: The caller's values of these are the environment a command runs under (never the service's own).
PASSED_ENV = ("QMS_PASSWORD", "QMS_TOKEN", "QMS_NOW", "QMS_STORE_URL")
DEFAULT_IDLE_MINUTES = 30.0
#: How long ``start`` waits for the service to load the PDF engine and answer.
START_SECONDS = 60.0
#: The longest request line read (a request is a few hundred bytes), and how long it may take to come.
MAX_REQUEST = 64 * 1024
REQUEST_SECONDS = 5.0


class ServiceError(UsageError):
    """The render service cannot be started, reached or trusted."""


def runtime_dir(create: bool = False) -> Path | None:
    """The user's private folder for service sockets; None when absent and not ``create``d.

    ``ServiceError`` when it exists but is not this user's own folder closed to everyone else:
    another user could otherwise put a socket there that ``qms render`` would hand its password to.
    """
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "qms" if base and os.path.isdir(base) else Path(f"/tmp/qms-{os.getuid()}")
    if create:
        folder.mkdir(mode=0o700, exist_ok=True)
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ServiceError(f"{folder} is not a folder of this user closed to others (owner uid {info.st_uid}, "
                           f"mode {oct(info.st_mode & 0o777)}); remove it and start the render service again")
    return folder


def service_files(root: Path, create: bool = False) -> tuple[Path, Path] | None:
    """The socket and log file of the service for the workspace at ``root``; None when no folder exists for them."""
    folder = runtime_dir(create)
    if folder is None:
        return None
    key = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:16]
    return folder / f"render-{key}.sock", folder / f"render-{key}.log"


def code_signature() -> list[Any]:
    """What the running code is made of: every file of ``qms`` and of each plugin package, and the installed distributions."""
    from qms import discovery

    roots = {str(Path(__file__).resolve().parents[1])}
    for found in discovery.plugin_entry_points():
        spec = importlib.util.find_spec(found.value.split(":")[0].split(".")[0])
        if spec is not None and spec.submodule_search_locations:
            roots.update(spec.submodule_search_locations)
        elif spec is not None and spec.origin:
            roots.add(spec.origin)
    files: list[tuple[str, int, int]] = []
    for top in sorted(roots):
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                path = os.path.join(folder, name)
                try:
                    info = os.stat(path)
                except FileNotFoundError:
                    continue  # removed while walking: the next signature differs anyway
                files.append((path, info.st_size, info.st_mtime_ns))
        if os.path.isfile(top):
            info = os.stat(top)
            files.append((top, info.st_size, info.st_mtime_ns))
    return [discovery.signature(), files]


def _peer_uid(conn: socket.socket) -> int:
    # struct ucred: pid, uid, gid (three C ints), as the kernel reports the connecting process.
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return int(uid)


def _send(stream: BufferedIOBase, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    stream.flush()


def _receive(stream: BufferedIOBase, limit: int = -1) -> dict[str, Any]:
    # The service reads a request with a limit; a report (every file rendered) may be long.
    line = stream.readline(limit)
    if not line.endswith(b"\n"):
        raise ServiceError("the render service's connection ended before a whole message came")
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ServiceError("the render service's connection carried something that is not a message")
    return message


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """``os.environ`` with the caller's values of ``PASSED_ENV`` for the length of one command."""
    saved = {name: os.environ.get(name) for name in PASSED_ENV}
    try:
        for name in PASSED_ENV:
            _set_env(name, values.get(name))
        yield
    finally:
        for name, value in saved.items():
            _set_env(name, value)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


class Service:
    """The process behind the socket: loads everything once, then serves commands until idle, stale or stopped."""

    def __init__(self, root: Path, path: Path, idle_minutes: float) -> None:
        self.root = root.resolve()
        self.path = path
        self.idle = idle_minutes * 60
        self.started = datetime.now().replace(microsecond=0).isoformat()
        self.served = 0
        self.code: list[Any] = []
        self.host: Host | None = None
        self.disabled: list[str] = []

    def warm_up(self) -> None:
        """Load the plugins and the PDF engine and lay out one page, so the first command finds fonts open."""
        from qms.app import App
        from qms.discovery import disabled_from_env
        from qms.host import Host, make_plugin_manager
        from qms.render.batch import collect
        from qms.render.pdf import load_weasyprint, render_pdf
        from qms.workspace import find_workspace

        self.host = Host(make_plugin_manager())
        self.host.registry  # noqa: B018 - a duplicate registration fails the start, not a command
        self.disabled = sorted(disabled_from_env())
        load_weasyprint()
        app = App(find_workspace(str(self.root)), self.host)
        first = next(iter(collect(app)), None)
        if first is not None:
            render_pdf(first.page)  # the bytes are not kept: only the engine's state is
        else:
            import weasyprint

            weasyprint.HTML(string="<p>受控文件 controlled document</p>").write_pdf()
        self.code = code_signature()

    def status(self) -> dict[str, Any]:
        """What ``qms render-service status`` shows."""
        return {"running": True, "pid": os.getpid(), "workspace": str(self.root), "started": self.started,
                "served": self.served, "idle_minutes": self.idle / 60, "socket": str(self.path),
                "log": str(self.path.with_suffix(".log"))}

    def serve(self) -> None:
        """Answer commands until idle, stopped or stale; the socket is removed on the way out."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o077)  # the socket itself closed to others too, whatever the folder
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(mask)
        mine = self.path.stat().st_ino
        listener.listen(8)
        listener.settimeout(self.idle)
        try:
            while True:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    print(f"{_now()} no command for {self.idle / 60:g} minutes: stopping", flush=True)
                    return
                with conn:
                    conn.settimeout(REQUEST_SECONDS)  # a peer that sends no request does not hold the service
                    try:
                        going_on = self.answer(conn)
                    except OSError as exc:  # the peer went away before its answer: the service goes on
                        print(f"{_now()} a caller left before its answer ({exc})", flush=True)
                        going_on = True
                    if not going_on:
                        return
        finally:
            listener.close()
            try:
                if self.path.stat().st_ino == mine:  # a service started after this one keeps its own socket
                    self.path.unlink()
            except FileNotFoundError:
                pass

    def answer(self, conn: socket.socket) -> bool:
        """Answer one connection; False when the service is to stop."""
        stream = conn.makefile("rwb")
        with stream:
            try:
                # Read before answering, even a refusal: closing on a peer still sending would break its pipe.
                request = _receive(stream, MAX_REQUEST)
            except (ServiceError, ValueError, OSError):
                return True
            if _peer_uid(conn) != os.getuid():
                _send(stream, {"error": "the render service answers only its own user", "exit": 2})
                return True
            conn.settimeout(None)  # a render takes as long as it takes
            op = request.get("op")
            if op == "stop":
                _send(stream, {**self.status(), "running": False})
                print(f"{_now()} stopped on request", flush=True)
                return False
            if op not in ("status", "render"):
                _send(stream, {"error": f"the render service does not know {op!r}", "exit": 2})
                return True
            if code_signature() != self.code:
                # Asked for its status too: `start` then starts a service of the installed code.
                _send(stream, {"stale": True})
                print(f"{_now()} the installed code changed since the start: stopping", flush=True)
                return False
            if op == "status":
                _send(stream, self.status())
                return True
            if request.get("disabled", []) != self.disabled:
                # QMS_DISABLE_PLUGINS of the caller is not the service's: its command runs in its own process.
                _send(stream, {"other_plugins": True})
                return True
            self.render(stream, request)
            self.served += 1
            return True

    def render(self, stream: BufferedIOBase, request: dict[str, Any]) -> None:
        """Run one ``qms render`` for the caller and send its report (or its one-line error)."""
        from qms.cli.pdf import render_report
        from qms.logins import open_as
        from qms.workspace import find_workspace

        assert self.host is not None
        gone: list[bool] = []

        def send(message: dict[str, Any]) -> None:
            # A caller that went away (Ctrl-C) does not stop the run: it finishes and keeps its manifest.
            if not gone:
                try:
                    _send(stream, message)
                except OSError:
                    gone.append(True)

        given = request.get("env")
        env: dict[str, Any] = given if isinstance(given, dict) else {}
        out = request.get("out")
        with _environment({name: env.get(name) for name in PASSED_ENV}):
            try:
                app = open_as(self.host, find_workspace(str(self.root)), request.get("actor"), request.get("login"))
                report = render_report(app, force=bool(request.get("force")), out=Path(out) if out else None,
                                       jobs=request.get("jobs"),
                                       progress=lambda done, total, name: send({"progress": [done, total, name]}))
            except QMSError as exc:
                send({"error": str(exc), "exit": int(exc.exit_code)})
            except Exception as exc:  # noqa: BLE001 - one broken command must not end the service
                print(f"{_now()} {type(exc).__name__}: {exc}", flush=True)
                send({"error": f"the render service failed: {type(exc).__name__}: {exc}; run `qms render-service "
                               f"stop` and `qms render` again", "exit": 1})
            else:
                send({"report": report.as_dict()})


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def ask(path: Path, request: dict[str, Any], timeout: float | None = 5.0) -> dict[str, Any] | None:
    """Send one request and return the final answer; None when no service listens at ``path`` (or it was stale and stopped)."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        conn.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        return None
    try:
        with conn, conn.makefile("rwb") as stream:
            _send(stream, request)
            answer = _receive(stream)
    except TimeoutError:
        raise ServiceError("the render service is busy with a command; ask again when it has finished") from None
    if answer.get("stale"):
        _wait_gone(path)
        return None
    return answer


def _wait_gone(path: Path, seconds: float = 10) -> None:
    """Wait until the service that answered at ``path`` has removed its socket on the way out."""
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def status(root: Path) -> dict[str, Any] | None:
    """The running service's status for the workspace at ``root``; None when none runs."""
    files = service_files(root)
    return ask(files[0], {"op": "status"}) if files else None


def start(root: Path, idle_minutes: float = DEFAULT_IDLE_MINUTES) -> tuple[dict[str, Any], bool]:
    """Start the workspace's service (once it answers, it has loaded everything); (its status, whether it was new)."""
    files = service_files(root, create=True)
    assert files is not None
    path, log = files
    running = ask(path, {"op": "status"})
    if running is not None:
        return running, False
    path.unlink(missing_ok=True)  # left by a service that was killed: nobody listens on it
    import subprocess

    # The service's environment keeps no password or token: each command brings its caller's own.
    env = {name: value for name, value in os.environ.items() if name not in PASSED_ENV}
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            # -P: the working folder is not put on sys.path, so nothing in it is imported as code (and
            # the folder's mtime, which every file made in it changes, is no part of the code signature).
            [sys.executable, "-P", "-m", "qms.render.service", str(root.resolve()), str(path), repr(idle_minutes)],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, cwd="/", env=env,
            start_new_session=True)  # its own session: a Ctrl-C in the starting terminal does not stop it
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"the render service did not start: {_last_line(log)}; see {log}")
        answer = ask(path, {"op": "status"})
        if answer is not None:
            return answer, True
        time.sleep(0.05)
    process.kill()
    raise ServiceError(f"the render service did not answer within {START_SECONDS:g} s; see {log}")


def stop(root: Path) -> dict[str, Any] | None:
    """Stop the workspace's service and wait until it is gone; its last status, or None when none ran."""
    files = service_files(root)
    if files is None:
        return None
    answer = ask(files[0], {"op": "stop"}, timeout=None)
    if answer is not None:
        _wait_gone(files[0])
    return answer


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1] if lines else "nothing logged"


# --- the `qms render` side -------------------------------------------------------------------------


def hand_over(args: list[str]) -> int | None:
    """Run ``qms render`` through the workspace's service when one runs; its exit code, or None to run it here.

    None (the command then runs in its own process, exactly as without a service) for anything
    this does not plainly recognise: other root options, ``--help``, options ``render`` refuses
    (its own process says what is wrong), a password still to be asked on the terminal, no
    service, a service whose code is stale, or one that loaded other plugins than
    ``QMS_DISABLE_PLUGINS`` leaves this command. Only click and the workspace's files are loaded
    for it, not the CLI or the plugins.
    """
    from qms.console import hoist_actor
    from qms.render import summary

    parsed = _parse(hoist_actor(args))
    if parsed is None:
        return None
    workspace_option, named, rest = parsed
    params = summary.parse(rest)
    if params is None:
        return None
    try:
        from qms.workspace import find_workspace

        root = find_workspace(workspace_option).root
        files = service_files(root)
    except QMSError:
        return None
    if files is None or not files[0].exists():
        return None
    from qms.logins import saved_login

    login = saved_login(root)
    acting = named or (str(login["user"]) if login else None)
    env = {name: os.environ.get(name) for name in PASSED_ENV}
    if (not env["QMS_TOKEN"] and env["QMS_PASSWORD"] is None and acting
            and not (login and login["user"] == acting) and sys.stdin.isatty()):
        return None  # the password is asked on this terminal, by the command in its own process
    from qms.discovery import disabled_from_env

    out = params.get("out")
    request = {"op": "render", "actor": named, "login": login, "env": env, "force": params["force"],
               "out": str(Path(out).resolve()) if out else None, "jobs": params["jobs"],
               "disabled": sorted(disabled_from_env())}
    return _run(files[0], request, bool(params["as_json"]))


def _parse(args: list[str]) -> tuple[str | None, str | None, list[str]] | None:
    """(``--workspace``, ``--as``, render's own arguments) when ``args`` is plainly a ``render`` command."""
    if any(0xD800 <= ord(c) <= 0xDFFF for arg in args for c in arg):
        return None
    workspace = os.environ.get("QMS_WORKSPACE") or None
    named = os.environ.get("QMS_USER") or None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--workspace", "-w", "--as") and i + 1 < len(args):
            name, value, i = arg, args[i + 1], i + 2
        elif arg.startswith(("--workspace=", "--as=")):
            (name, value), i = arg.split("=", 1), i + 1
        else:
            break
        if name == "--as":
            named = value
        else:
            workspace = value
    if i >= len(args) or args[i] != "render" or any(a in ("-h", "--help") for a in args[i + 1:]):
        return None
    return workspace, named, args[i + 1:]


def _run(path: Path, request: dict[str, Any], as_json: bool) -> int | None:
    import click

    from qms.render.summary import progress_bar, show_report

    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        return None  # a socket left by a service that was killed: render here
    try:
        with conn, conn.makefile("rwb") as stream, progress_bar(as_json) as progress:
            _send(stream, request)
            while True:
                answer = _receive(stream)
                if "progress" not in answer:
                    break
                progress(*answer["progress"])
    except ServiceError as exc:  # the service went away mid-command (killed, or the machine's memory ran out)
        click.echo(f"Error: {exc}; see `qms render-service status`, then run `qms render` again", err=True)
        return 1
    except KeyboardInterrupt:
        # As click says it; the run already begun is finished by the service, its manifest kept.
        click.echo("Aborted! The render service finishes the run it began; `qms render` again shows what is left.",
                   err=True)
        return 1
    if answer.get("stale"):
        click.echo("the render service ran older code than is installed now and has stopped; rendering here "
                   "(`qms render-service start` starts it again)", err=True)
        return None
    if answer.get("other_plugins"):
        return None  # the service loaded other plugins than QMS_DISABLE_PLUGINS leaves this command
    if "error" in answer:
        click.echo(f"Error: {answer['error']}", err=True)
        return int(answer.get("exit", 1))
    return show_report(answer["report"], as_json)


def main(argv: list[str] | None = None) -> None:
    """``python -m qms.render.service ROOT SOCKET IDLE_MINUTES``: what ``start`` runs, in the background."""
    root, path, idle = (argv if argv is not None else sys.argv[1:])
    service = Service(Path(root), Path(path), float(idle))
    # `kill PID` ends it as `stop` does: through the finally clauses that save a run's manifest and remove the socket.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"{_now()} starting for {service.root} (pid {os.getpid()})", flush=True)
    service.warm_up()
    print(f"{_now()} ready on {path}", flush=True)
    service.serve()
    # Done: the socket is gone and every file written. Tearing down the heap of a process that has laid
    # out many pages takes seconds, in which a new `start` would still see the old process.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()


__all__ = ["DEFAULT_IDLE_MINUTES", "Service", "ServiceError", "code_signature", "hand_over", "runtime_dir",
           "service_files", "start", "status", "stop"]
