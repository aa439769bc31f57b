"""structlog set-up for the whole process: JSON lines (or console) with secrets redacted.

Composition layer; imports structlog and the standard library.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_KEYS = frozenset(
    {
        "password",
        "token",
        "authorization",
        "secret",
        "operator_secret",
        "data_secret",
        "sig_secret",
        "data_iv",
    }
)


def fingerprint(secret: str | bytes | None) -> str:
    """A short, stable, non-reversible stand-in for a token or password in logs."""
    if secret is None:
        return "-"
    raw = secret.encode() if isinstance(secret, str) else secret
    return "fp:" + hashlib.sha256(raw).hexdigest()[:10]


def redact_secrets(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence: a key that names a secret never reaches the output in clear."""
    for key in list(event):
        if key.lower() in SECRET_KEYS and event[key] is not None:
            event[key] = fingerprint(str(event[key]))
    return event


def configure_logging(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    # The ocpp package logs every frame at INFO (costly, and frames may hold tokens): keep it quiet.
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    logging.basicConfig(
        level=max(numeric, logging.WARNING), stream=stream or sys.stderr, format="%(message)s"
    )
