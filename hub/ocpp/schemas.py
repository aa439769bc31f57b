"""The official OCPP JSON schemas (shipped in the `ocpp` package) compiled once per process with
fastjsonschema, and the one table that turns a schema violation into an OCPP-J CallError (spec ocpp.md §4.4).

Imports the standard library, fastjsonschema, the `ocpp` package (for its schema files) and hub.ocpp.errors.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any, Literal

import fastjsonschema
import ocpp

from hub.ocpp.errors import (
    FormatViolationCallError,
    OcppCallError,
    ProtocolCallError,
    TypeConstraintViolationCallError,
)

Kind = Literal["Request", "Response"]
Validator = Callable[[Any], Any]

_PACKAGE_DIR = os.path.dirname(os.path.realpath(ocpp.__file__))

# Stations send timestamps without an offset or with odd fraction lengths; the `ocpp` package (jsonschema
# without a format checker) accepts any string there. Accept what the hub's timestamp parser accepts.
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$",
)

# Schema keyword -> CallError class (spec ocpp.md §4.4, same as the `ocpp` package): wrong type / too
# long -> TypeConstraintViolation, missing required -> ProtocolError, extra property and anything else ->
# FormatViolation.
VIOLATION_ERRORS: dict[str, type[OcppCallError]] = {
    "type": TypeConstraintViolationCallError,
    "maxLength": TypeConstraintViolationCallError,
    "required": ProtocolCallError,
    "additionalProperties": FormatViolationCallError,
}

_MISSING = object()
_cache: dict[tuple[str, str, str], Validator | None] = {}


def package_schema_dir(version_folder: str) -> str:
    """The `ocpp` package's schema folder for a version, e.g. `package_schema_dir("v16")`."""
    path = os.path.join(_PACKAGE_DIR, version_folder, "schemas")
    if not os.path.isdir(path):
        raise FileNotFoundError(path)
    return path


def _schema_path(schema_dir: str, action: str, kind: Kind) -> str | None:
    # 2.0.1 names files `<Action>Request.json`; 1.6 names requests `<Action>.json`.
    candidates = [f"{action}{kind}.json"]
    if kind == "Request":
        candidates.append(f"{action}.json")
    for name in candidates:
        path = os.path.join(schema_dir, name)
        if os.path.isfile(path):
            return path
    return None


def _compile(path: str) -> Validator:
    with open(path, encoding="utf-8-sig") as f:  # the 2.0.1 files start with a byte order mark
        schema = json.load(f)
    validator: Validator = fastjsonschema.compile(
        schema, formats={"date-time": _DATE_TIME.pattern}, use_default=False
    )
    return validator


def get_validator(schema_dir: str, action: str, kind: Kind) -> Validator | None:
    """The compiled validator for an action's request or response, or None when the package has no schema
    for it. Compiled on first use and cached for the process."""
    if not _ACTION_NAME.match(action):
        return None
    key = (schema_dir, action, kind)
    validator = _cache.get(key, _MISSING)
    if validator is _MISSING:
        path = _schema_path(schema_dir, action, kind)
        validator = _compile(path) if path else None
        _cache[key] = validator
    return validator  # type: ignore[return-value]


_ACTION_NAME = re.compile(r"^[A-Za-z0-9]{1,64}$")


def has_schema(schema_dir: str, action: str, kind: Kind) -> bool:
    return get_validator(schema_dir, action, kind) is not None


def to_call_error(exc: fastjsonschema.JsonSchemaValueException) -> OcppCallError:
    """Map one schema violation to its CallError (see VIOLATION_ERRORS)."""
    cls = VIOLATION_ERRORS.get(exc.rule or "", FormatViolationCallError)
    field = (exc.name or "data").removeprefix("data").lstrip(".") or None
    details: dict[str, Any] = {"rule": exc.rule}
    if field:
        details["field"] = field
    return cls(exc.message.removeprefix("data.").removeprefix("data "), details)


def check(schema_dir: str, action: str, kind: Kind, payload: Any) -> OcppCallError | None:
    """The violation as a CallError, or None when the payload is valid or there is no schema."""
    validator = get_validator(schema_dir, action, kind)
    if validator is None:
        return None
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        return to_call_error(exc)
    return None


def validate(schema_dir: str, action: str, kind: Kind, payload: Any) -> None:
    """Raise the mapped CallError when `payload` violates the schema (no schema: nothing to check)."""
    error = check(schema_dir, action, kind, payload)
    if error is not None:
        raise error


def warm_up(schema_dir: str) -> int:
    """Compile every schema of a folder now (start-up), so the first message of each action pays nothing."""
    count = 0
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".json"):
            continue
        stem = name.removesuffix(".json")
        if stem.endswith("Response"):
            get_validator(schema_dir, stem.removesuffix("Response"), "Response")
        else:
            get_validator(schema_dir, stem.removesuffix("Request"), "Request")
        count += 1
    return count
