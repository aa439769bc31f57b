"""The whole test command: lint, format check, types, import contracts, then the test suite with branch
coverage. README's Quickstart and `.ci/run` call `python -m tests.check`; extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

STEPS: list[tuple[str, list[str]]] = [
    ("ruff lint", [sys.executable, "-m", "ruff", "check", "hub", "ocpi_modules", "interconnect", "tests"]),
    (
        "ruff format",
        [sys.executable, "-m", "ruff", "format", "--check", "hub", "ocpi_modules", "interconnect", "tests"],
    ),
    ("mypy", [sys.executable, "-m", "mypy", "hub", "ocpi_modules", "interconnect"]),
    ("import contracts", ["lint-imports"]),
]


def run(name: str, command: list[str]) -> int:
    started = time.monotonic()
    print(f"== {name}: {' '.join(command[2:] if command[0] == sys.executable else command)}", flush=True)
    code = subprocess.call(command)
    print(
        f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.monotonic() - started:.1f}s",
        flush=True,
    )
    return code


def main(argv: list[str]) -> int:
    failed = [name for name, command in STEPS if run(name, command) != 0]
    pytest_cmd = [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", *argv]
    code = run("pytest", pytest_cmd)
    if code == 0:
        subprocess.call(
            [sys.executable, "-m", "coverage", "report", "--skip-covered", "--sort=cover"],
            stdout=subprocess.DEVNULL if os.environ.get("HUB_QUIET_COVERAGE") else None,
        )
    else:
        failed.append("pytest")
    if failed:
        print(f"== FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("== all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
