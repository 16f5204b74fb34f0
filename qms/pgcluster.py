"""A throwaway PostgreSQL cluster for the test suite and the benchmarks: made, started, stopped, removed.

It runs Debian's PostgreSQL binaries (package ``postgresql``) on a Unix socket in its own folder,
as the ``postgres`` system user when started by root (``initdb`` refuses root). Nothing of it
outlives ``stop``. Usage::

    cluster = Cluster.start()
    url = cluster.url          # postgresql://postgres@/qms?host=/tmp/qms-pg-…&port=…
    ...
    cluster.stop()

or ``python -m qms.pgcluster start|stop|url FOLDER`` from a shell script.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DATABASE = "qms"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (apt-get install postgresql)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{DATABASE}?host={self.folder}&port={self.port}"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    @classmethod
    def start(cls, folder: Path | None = None, *, fsync: bool = True) -> Cluster:
        """initdb a new cluster in ``folder`` (a new temporary one by default), start it, create ``qms``."""
        folder = folder or Path(tempfile.mkdtemp(prefix="qms-pg-"))
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o755)
        cluster = cls(folder, _free_port())
        # -N: no fsync while making a cluster that lives for one run; the locale comes from LC_ALL.
        subprocess.run(_as_postgres(["env", "LC_ALL=C.UTF-8", _bin("initdb"), "-D", str(cluster.data), "-U", "postgres",
                                     "-A", "trust", "-E", "UTF8", "-N"]),
                       check=True, capture_output=True)
        settings = [f"port = {cluster.port}", "listen_addresses = '127.0.0.1'",
                    f"unix_socket_directories = '{folder}'", "max_connections = 300",
                    "shared_buffers = 128MB", f"fsync = {'on' if fsync else 'off'}", "log_min_messages = warning"]
        with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as f:
            f.write("\n".join(settings) + "\n")
        cluster._ctl("start", "-w", "-l", str(folder / "server.log"))
        subprocess.run(["psql", "-h", str(folder), "-p", str(cluster.port), "-U", "postgres", "-d", "postgres",
                        "-qc", f"CREATE DATABASE {DATABASE}"], check=True, capture_output=True)
        return cluster

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", str(self.data), *args]), check=True, capture_output=True)

    def restart(self, mode: str = "fast") -> None:
        """Restart the server (``immediate``: as a crash would, with recovery from the WAL at start)."""
        self._ctl("restart", "-w", "-m", mode, "-l", str(self.folder / "server.log"))

    def stop(self) -> None:
        """Stop the server and remove the cluster's folder."""
        try:
            self._ctl("stop", "-w", "-m", "fast")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    @classmethod
    def at(cls, folder: Path) -> Cluster:
        """The cluster started earlier in ``folder`` (its port read from its settings)."""
        port = 0
        for line in (folder / "data" / "postgresql.conf").read_text(encoding="utf-8").splitlines():
            if line.startswith("port = "):
                port = int(line.split("=")[1])
        return cls(folder, port)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop", "url"):
        print("usage: python -m qms.pgcluster start|stop|url FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "start":
        print(Cluster.start(folder).url)
    elif argv[0] == "stop":
        Cluster.at(folder).stop()
    else:
        print(Cluster.at(folder).url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
