"""OCPP-J CallError exceptions: one class per error code, raised by handlers and by the RPC layer.

Shared by every OCPP version; imports the standard library only.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OcppCallError(Exception):
    """An error answered to (or received from) the peer as a CALLERROR `[4, id, code, description, details]`.

    `code` is the OCPP-J error code; the version's policy may respell it on the wire (see `VersionSpec`)."""

    default_code: ClassVar[str] = "GenericError"
    default_description: ClassVar[str] = ""

    def __init__(self, description: str | None = None, details: dict[str, Any] | None = None) -> None:
        self.code: str = self.default_code
        self.description: str = self.default_description if description is None else description
        self.details: dict[str, Any] = details or {}
        super().__init__(f"{self.code}: {self.description}" if self.description else self.code)


class NotImplementedCallError(OcppCallError):
    """The action is not known to the receiver."""

    default_code = "NotImplemented"
    default_description = "Requested action is not known by receiver"


class NotSupportedCallError(OcppCallError):
    """The action is known but not supported by the receiver."""

    default_code = "NotSupported"
    default_description = "Requested action is recognized but not supported by the receiver"


class InternalCallError(OcppCallError):
    default_code = "InternalError"
    default_description = "An internal error occurred and the receiver was not able to process the action"


class ProtocolCallError(OcppCallError):
    default_code = "ProtocolError"
    default_description = "Payload for action is incomplete"


class SecurityCallError(OcppCallError):
    default_code = "SecurityError"
    default_description = "A security issue occurred during processing of the action"


class FormatViolationCallError(OcppCallError):
    """Syntactically incorrect payload. OCPP-J 1.6 spells the code "FormationViolation"; the version's
    `format_violation_code` decides the spelling on the wire."""

    default_code = "FormatViolation"
    default_description = "Payload for action is syntactically incorrect"


class PropertyConstraintViolationCallError(OcppCallError):
    default_code = "PropertyConstraintViolation"
    default_description = "A field contains an invalid value"


class OccurrenceConstraintViolationCallError(OcppCallError):
    default_code = "OccurrenceConstraintViolation"
    default_description = "A field violates occurrence constraints"


class TypeConstraintViolationCallError(OcppCallError):
    default_code = "TypeConstraintViolation"
    default_description = "A field violates data type constraints"


class GenericCallError(OcppCallError):
    default_code = "GenericError"
    default_description = "Generic error"


class CallErrorReceived(OcppCallError):  # noqa: N818 - name fixed by the adapter's contract
    """The station answered one of the hub's CALLs with a CALLERROR; `code` is what the station sent."""

    def __init__(self, code: str, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(description, details)
        self.code = code
        self.args = (f"{code}: {description}" if description else code,)


CALL_ERROR_CLASSES: dict[str, type[OcppCallError]] = {
    cls.default_code: cls
    for cls in (
        NotImplementedCallError,
        NotSupportedCallError,
        InternalCallError,
        ProtocolCallError,
        SecurityCallError,
        FormatViolationCallError,
        PropertyConstraintViolationCallError,
        OccurrenceConstraintViolationCallError,
        TypeConstraintViolationCallError,
        GenericCallError,
    )
}
