"""What every benchmark prints or writes the same way: the CPU model and the JSON results file.

Test support: standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or "unknown CPU"."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def write_json(results: Any, path: str | None) -> None:
    """`--json PATH` ("-" = stdout): the results as indented JSON."""
    if not path:
        return
    text = json.dumps(results, indent=2)
    if path == "-":
        print(text)
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


def pin_and_describe(cpu: int, machine: str) -> None:
    """Pin this process to `cpu` where the OS allows, and print the machine, the pinning and the load."""
    pinned = hasattr(os, "sched_setaffinity")
    if pinned:
        os.sched_setaffinity(0, {cpu})
    print(f"machine: {machine}")
    print(f"pinned to CPU {cpu}" if pinned else "not pinned (no sched_setaffinity)")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
