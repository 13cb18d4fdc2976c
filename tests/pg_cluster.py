"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temporary folder,
pg_ctl on a free loopback port, removed again at stop.

Debian's packages keep the server programs in /usr/lib/postgresql/<version>/bin (not on PATH);
`make test` installs them when they are missing. initdb refuses to run as root, so as root the
cluster runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.fakes.server import free_port

USER = "chiiki"


def server_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: run `make test`, which installs it")
    return Path(versions[-1]).parent


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


class Cluster:
    def __init__(self, durable: bool = False) -> None:
        # Tests need no durability: a crash loses the cluster anyway. Benchmarks ask for it,
        # as far as SQLite's synchronous=NORMAL gives it: every commit survives a crash of the
        # server process; a power cut may lose the last ones (synchronous_commit=off).
        self._durable = durable
        self._bin = server_bin()
        self._folder = Path(tempfile.mkdtemp(prefix="chiiki-pg-"))
        self.port = free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:
            prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [*prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self._folder, "postgres", "postgres")
        data = self._folder / "data"
        self._run(
            str(self._bin / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        settings = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self._folder}",
            "-c max_connections=300",
        ]
        settings.append("-c synchronous_commit=off")
        if not self._durable:
            settings += ["-c fsync=off", "-c full_page_writes=off"]
        self._run(
            str(self._bin / "pg_ctl"), "-D", str(data), "-l", str(self._folder / "server.log"),
            "-o", " ".join(settings), "-w", "start",
        )  # fmt: skip
        return self

    def database_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql; return its unaligned output."""
        done = subprocess.run(
            [str(self._bin / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-d", self.database_url(database), "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout

    def stop(self) -> None:
        data = self._folder / "data"
        if data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):  # not running: fine
                self._run(str(self._bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(self._folder, ignore_errors=True)
