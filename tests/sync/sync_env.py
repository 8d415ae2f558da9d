"""Fixtures that run a real sync server process on loopback, on SQLite and on PostgreSQL.

PostgreSQL: ``ACCOUNTDESK_TEST_PG`` (a URL to an existing database used to create fresh ones),
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``. When it cannot be reached the
PostgreSQL cases are skipped — unless ``ACCOUNTDESK_REQUIRE_PG=1`` (CI), where they fail.
Each server gets a fresh database (``CREATE DATABASE`` with a random name, dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("ACCOUNTDESK_ARGON2_TEST", "1")  # cheap Argon2id parameters for the test servers

import httpx  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from accountdesk.server import admin  # noqa: E402
from accountdesk.server.db import Database  # noqa: E402
from accountdesk.services.context import open_profile  # noqa: E402
from accountdesk.sync.client import SyncEngine  # noqa: E402
from accountdesk.sync.credentials import Credentials  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "secret-pass-1"


def pg_base_url() -> str:
    return os.environ.get("ACCOUNTDESK_TEST_PG") or PG_DEFAULT


def _pg_admin_engine():
    url = make_url(pg_base_url())
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_available() -> str | None:
    try:
        eng = _pg_admin_engine()
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).splitlines()[0]


def create_pg_database() -> str:
    problem = _pg_available()
    if problem:
        if os.environ.get("ACCOUNTDESK_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required (ACCOUNTDESK_REQUIRE_PG=1) but unreachable: {problem}")
        pytest.skip(f"no PostgreSQL: {problem}")
    name = "ad_sync_" + uuid.uuid4().hex[:12]
    eng = _pg_admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return make_url(pg_base_url()).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    eng = _pg_admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``accountdesk-server serve`` in a subprocess on a free loopback port."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ):
        self.database_url = database_url
        self.log_path = log_path
        self.env = env or {}
        self.args = args or []  # more options of ``serve``
        self.db = Database(database_url)
        self.db.migrate()
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> None:
        self.port = port or free_port()
        # the notification schedule is off unless a test turns it on (its runs would add changes)
        env = dict(
            os.environ,
            ACCOUNTDESK_SERVER_TEST_HOOKS="1",
            **{"ACCOUNTDESK_NOTIFY_INTERVAL_S": "0", **self.env},
        )
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accountdesk.server.cli",
                "--database-url",
                self.database_url,
                "serve",
                "--port",
                str(self.port),
                *self.args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 90  # (a loaded machine starts a server slowly)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.log_path.read_text()[-2000:])
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """Die mid-request (SIGKILL): no cleanup, no answer."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def add_user(self, name: str, role: str) -> str:
        return admin.add_user(self.db, name, role, PASSWORD)["id"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def database_url(backend, tmp_path_factory):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('server') / 'server.sqlite3'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="module")
def _server_process(database_url, tmp_path_factory):
    """One server process per module and back end; its database is emptied before each test
    (the processes keep no state of their own, so that is a fresh server)."""
    srv = ServerProcess(database_url, tmp_path_factory.mktemp("log") / "server.log")
    srv.start()
    yield srv
    srv.stop()
    srv.db.close()


def reset_database(db: Database) -> None:
    from sqlalchemy import delete, insert

    from accountdesk.server import tables as t

    with db.write() as conn:
        for table in reversed(t.metadata.sorted_tables):
            conn.execute(delete(table))
        conn.execute(insert(t.counter).values(id=1, seq=0))


@pytest.fixture
def server(_server_process):
    reset_database(_server_process.db)
    if _server_process.proc is None or _server_process.proc.poll() is not None:
        _server_process.start(port=_server_process.port)  # a crash test killed it
    return _server_process


@pytest.fixture
def own_server(backend, tmp_path):
    """A server process of its own, with settings or ``serve`` options of the test's choosing."""
    made: list[ServerProcess] = []

    def make(env: dict[str, str] | None = None, args: list[str] | None = None) -> ServerProcess:
        n = len(made)
        url = f"sqlite:///{tmp_path / f'own{n}.sqlite3'}" if backend == "sqlite" else create_pg_database()
        srv = ServerProcess(url, tmp_path / f"own{n}.log", env=env, args=args)
        made.append(srv)
        srv.start()
        return srv

    yield make
    for srv in made:
        srv.stop()
        srv.db.close()
        if backend == "postgres":
            drop_pg_database(srv.database_url)


class WallClock:
    """Real time plus an offset (a device whose clock is wrong)."""

    def __init__(self, offset: dt.timedelta = dt.timedelta()):
        self.offset = offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def wall_ms(self) -> int:
        return int(self.now().timestamp() * 1000)


class Device:
    """One laptop: its own profile and sync engine."""

    def __init__(self, path: Path, server: ServerProcess, username: str, *, clock: WallClock | None = None):
        self.path = path
        self.server = server
        self.username = username
        self.clock = clock or WallClock()
        self.ctx = open_profile(path, now=self.clock.now, wall_ms=self.clock.wall_ms)
        self.engine = SyncEngine(
            self.ctx,
            server.url,
            Credentials(server.url, username, password=PASSWORD, use_keyring=False),
            page_size=50,
        )

    def sync(self, **kw):
        return self.engine.sync(**kw)

    def close(self) -> None:
        self.engine.close()
        self.ctx.close()


@pytest.fixture
def make_device(server, tmp_path, _template_profile):
    made: list[Device] = []

    def make(username: str, *, clock: WallClock | None = None, name: str | None = None) -> Device:
        path = tmp_path / (name or f"dev-{username}-{len(made)}")
        shutil.copytree(_template_profile, path)
        # each laptop has its own id; the connection is closed here, not left to the garbage
        # collector (sqlite3's statement cache makes a cycle): a connection closed late, after
        # another process wrote, lost that process's commits (the bulk-index crash test)
        conn = sqlite3.connect(path / "accountdesk.sqlite3")
        try:
            with conn:
                conn.execute("DELETE FROM meta WHERE key IN ('device_id', 'hlc', 'current_user_id')")
        finally:
            conn.close()
        dev = Device(path, server, username, clock=clock)
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()
