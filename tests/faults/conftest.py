"""Fixtures of the fault harness (see harness.py): the parts in their own processes, on a Redis of
their own, each restored or stopped by the test that started it."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _missing, _test_database_url, log_dir

from .harness import PostgresServer, RedisServer, Site, Worker, manage, parts_env


@dataclass
class Stack:
    redis: RedisServer
    site: Site
    worker: Worker
    env: dict[str, str]
    media: Path

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)


@pytest.fixture
def fault_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        _missing("redis-server (the fault harness starts a Redis of its own)")
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    if server.ping():
        server.stop()


def _stack(*, redis: RedisServer, smtp_port: int, media: Path, log_dir: Path, **extra: str) -> Stack:
    from django.db import connection

    if connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL=postgres://…): the parts share the test database")
    media.mkdir(parents=True, exist_ok=True)
    # Production's claim grace (NOTIFICATION_DEAD_CLAIM_GRACE, 30 s) and heartbeats (15 s): the sweep takes the
    # branch it takes in production.
    env = parts_env(database_url=_test_database_url(), redis_url=redis.url(11), smtp_port=smtp_port,
                    media_root=str(media), **extra)
    log_dir.mkdir(parents=True, exist_ok=True)
    return Stack(redis=redis, site=Site(env, log_dir / "fault-site.log"),
                 worker=Worker(env, log_dir / "fault-worker.log"), env=env, media=media)


@pytest.fixture
def fault_stack(fault_redis, transactional_db, demo_purposes, mailbox, smtp_server, tmp_path) -> Iterator[Stack]:
    """gunicorn (2 processes) and a Celery worker on the test database and the harness's Redis."""
    stack = _stack(redis=fault_redis, smtp_port=smtp_server[1], media=tmp_path / "media",
                   log_dir=log_dir() / "faults")
    for log in (stack.site.log_path, stack.worker.log_path):
        log.write_bytes(b"")
    try:
        stack.worker.start()
        stack.site.start()
        yield stack
    finally:
        stack.site.stop()
        stack.worker.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, unmounted afterwards: a disk that fills up."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        _missing("mounting a small tmpfs (root, in a machine that allows mounts)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def fault_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the test's own, to be restarted; stopped (and removed) afterwards."""
    if not PostgresServer.available():
        _missing("PostgreSQL's initdb and pg_ctl (the fault harness runs a cluster of its own)")
    # Directly under the system's temporary directory: pytest's own is closed to the postgres user.
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="pp-faults-pg-")))
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(server.dir, ignore_errors=True)
