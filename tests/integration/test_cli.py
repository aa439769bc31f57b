"""The operator's command line as operators run it: real processes, real signals, real ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_hub(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_lists_every_sub_command() -> None:
    result = run_hub("--help")

    assert result.returncode == 0
    for command in ("serve", "simulate", "certs", "config"):
        assert command in result.stdout


@pytest.mark.parametrize("command", [["serve"], ["simulate"], ["certs", "dev"], ["config", "check"]])
def test_each_sub_command_has_help(command: list[str]) -> None:
    result = run_hub(*command, "--help")

    assert result.returncode == 0
    assert "usage:" in result.stdout


def test_config_check_accepts_the_repository_config() -> None:
    result = run_hub("config", "check", "--config", "config.toml")

    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_serve_refuses_a_misspelt_key_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[hub]\nlisen = "127.0.0.1:1"\n', encoding="utf-8")

    result = run_hub("serve", "--config", str(config))

    assert result.returncode == 2
    assert "unknown key 'hub.lisen'" in result.stderr


def test_serve_refuses_a_broken_tariff_file_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"id": "STD", "currency": "EUR", "elements": [', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        '[hub]\nlisten = "127.0.0.1:0"\n'
        f'database_url = "sqlite:///{tmp_path / "hub.db"}"\n'
        '[[tariffs]]\nid = "STD"\nparty = "NL*CPO"\nfile = "broken.json"\n',
        encoding="utf-8",
    )

    result = run_hub("serve", "--config", str(config))

    assert result.returncode == 2
    assert "tariffs[0] (STD)" in result.stderr
    assert "broken.json" in result.stderr


def wait_for_health(url: str, process: subprocess.Popen[str], deadline_s: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hub exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback URL we built
                return dict(json.loads(response.read()))
        except OSError:
            time.sleep(0.1)  # polling a separate process; nothing to await on
    raise AssertionError("hub did not answer /health in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_until_a_signal_then_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        (REPO / "config.toml")
        .read_text(encoding="utf-8")
        .replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        .replace('file = "fixtures/', f'file = "{REPO}/fixtures/'),
        encoding="utf-8",
    )
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert health["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert b"# TYPE" in response.read()
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert "hub_started" in events
    assert events[-1] == "hub_stopped"
    assert (tmp_path / "hub.db").exists()
