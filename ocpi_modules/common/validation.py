"""Findings on inbound objects: parse permissively, record what is out of spec, never refuse for it (§22).

Each finding is logged as `ocpi_validation_finding` and counted in `ocpi_validation_findings_total`.
Imports structlog, the core metrics and the standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from hub.core.metrics import METRICS

log = structlog.get_logger(__name__)

FINDINGS = METRICS.counter(
    "ocpi_validation_findings_total", "Out-of-spec fields in inbound OCPI objects, by module and peer"
)

_MAX_VALUE_IN_LOG = 80


@dataclass(frozen=True)
class Finding:
    field: str
    problem: str


@dataclass
class Findings:
    """Problems found in one inbound object from one peer (`peer` is a platform id or party, never a token).

    `add` logs and counts at once; nothing here raises, whatever it is given.
    """

    peer: str
    module: str
    object_id: str | None = None
    items: list[Finding] = field(default_factory=list)

    def add(self, field_name: str, problem: str) -> None:
        finding = Finding(str(field_name), str(problem))
        self.items.append(finding)
        log.info(
            "ocpi_validation_finding",
            peer=self.peer,
            module=self.module,
            object_id=self.object_id,
            field=finding.field,
            problem=finding.problem,
        )
        FINDINGS.inc({"module": self.module, "peer": self.peer})

    def extend(self, problems: Iterable[str]) -> None:
        """Record validator output: strings `"field: problem"` (no colon → the whole text, field `-`)."""
        for text in problems:
            name, sep, problem = str(text).partition(": ")
            if sep:
                self.add(name, problem)
            else:
                self.add("-", str(text))

    def check_string(self, field_name: str, value: Any, max_length: int, *, ascii_only: bool = False) -> None:
        """string(n) / CiString(n) rules (§5): a string, at most `max_length`, no control characters, and
        printable ASCII only for CiString. None is not checked (required-ness is the caller's rule)."""
        for problem in string_problems(value, max_length, ascii_only=ascii_only):
            self.add(field_name, problem)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def string_problems(value: Any, max_length: int, *, ascii_only: bool = False) -> list[str]:
    """What is wrong with a string(n)/CiString(n) value; [] when fine or None."""
    if value is None:
        return []
    if not isinstance(value, str):
        return [f"expected a string, got {type(value).__name__}"]
    problems: list[str] = []
    if len(value) > max_length:
        problems.append(f"longer than {max_length} characters ({len(value)})")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        problems.append("contains control characters")
    if ascii_only and any(ord(ch) > 0x7F for ch in value):
        problems.append("contains non-ASCII characters")
    return problems


def preview(value: Any) -> str:
    """A short rendering of a value for a finding's text (never log whole objects)."""
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_IN_LOG else text[: _MAX_VALUE_IN_LOG - 1] + "…"
