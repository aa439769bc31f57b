"""`python -m hub serve --demo` as a newcomer runs it: simulated stations charge until SIGINT, and the hub
then lets them finish their sessions in flight, so none is left ACTIVE and every one has its CDR."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.test_cli import REPO, free_port

CDR_DEADLINE_S = 60.0
POLL_S = 0.2


def count(database: Path, sql: str) -> int:
    """A read-only look at the hub's SQLite file while the hub runs (0 while the schema is not there yet)."""
    if not database.exists():
        return 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        try:
            return int(connection.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # the migrations have not created the table yet
            return 0


ACTIVE = "SELECT count(*) FROM sessions WHERE status = 'ACTIVE'"


def wait_for_cdr_and_session_in_flight(database: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until a CDR exists and a later session is charging (the state a shutdown must not break)."""
    deadline = time.monotonic() + CDR_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hub exited early: {log.read_text(encoding='utf-8')[-2000:]}")
        if count(database, "SELECT count(*) FROM cdrs") > 0 and count(database, ACTIVE) > 0:
            return
        time.sleep(POLL_S)  # polling a separate process's database file; nothing to await on
    raise AssertionError(f"no CDR and session in flight within {CDR_DEADLINE_S} s")


def test_demo_ends_its_sessions_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        (REPO / "config.toml")
        .read_text(encoding="utf-8")
        .replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        .replace('file = "fixtures/', f'file = "{REPO}/fixtures/'),
        encoding="utf-8",
    )
    database = tmp_path / "hub.db"
    log = tmp_path / "hub.log"
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{database}"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--config", str(config), "--demo"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_cdr_and_session_in_flight(database, process, log)
            process.send_signal(signal.SIGINT)
            returncode = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output_text = log.read_text(encoding="utf-8")
    assert returncode == 0, output_text[-2000:]
    assert count(database, ACTIVE) == 0, output_text[-2000:]
    completed = count(database, "SELECT count(*) FROM sessions WHERE status = 'COMPLETED'")
    assert completed >= 1
    assert count(database, "SELECT count(*) FROM cdrs") == completed
    assert "demo_cancelled" not in output_text
