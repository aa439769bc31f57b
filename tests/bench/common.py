"""What every benchmark prints or writes the same way: the CPU model and the JSON results file.

Test support: standard library only.
"""

from __future__ import annotations

import contextlib
import json
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
