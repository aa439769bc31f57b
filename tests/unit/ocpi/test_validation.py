"""Findings on inbound objects: recorded, logged and counted, never raised (§22)."""

from __future__ import annotations

from structlog.testing import capture_logs

from ocpi_modules.common.validation import FINDINGS, Findings, preview, string_problems


def test_findings_are_logged_and_counted() -> None:
    labels = {"module": "locations", "peer": "platform-1"}
    before = FINDINGS.value(labels)
    findings = Findings(peer="platform-1", module="locations", object_id="LOC1")
    with capture_logs() as logs:
        findings.add("address", "longer than 255 characters (300)")
        findings.extend(["name: contains control characters", "free text"])
    assert len(findings) == 3
    assert findings
    assert [(f.field, f.problem) for f in findings.items] == [
        ("address", "longer than 255 characters (300)"),
        ("name", "contains control characters"),
        ("-", "free text"),
    ]
    assert FINDINGS.value(labels) == before + 3
    assert [entry["event"] for entry in logs] == ["ocpi_validation_finding"] * 3
    assert logs[0]["peer"] == "platform-1"
    assert logs[0]["object_id"] == "LOC1"
    assert logs[0]["field"] == "address"


def test_no_findings_is_falsy() -> None:
    assert not Findings(peer="p", module="tariffs")


def test_ty_string_rules() -> None:
    assert string_problems("ok", 10) == []
    assert string_problems(None, 1) == []
    assert string_problems("x" * 11, 10) == ["longer than 10 characters (11)"]
    assert string_problems("a\nb", 10) == ["contains control characters"]
    assert string_problems("ümlaut", 10) == []
    assert string_problems("ümlaut", 10, ascii_only=True) == ["contains non-ASCII characters"]
    assert string_problems(5, 10) == ["expected a string, got int"]


def test_check_string_never_raises_on_odd_values() -> None:
    findings = Findings(peer="p", module="sessions")
    for value in (object(), b"bytes", 3.5, ["x"], "\x00" * 300):
        findings.check_string("id", value, 36, ascii_only=True)
    assert len(findings) == 6


def test_preview_is_short() -> None:
    assert len(preview("x" * 1000)) == 80
    assert preview("abc") == "'abc'"
