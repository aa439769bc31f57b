"""OCPP 1.6J version data: the actions the version defines, boot handling, error-code spellings, field limits
and plausibility bounds. Pure data; imports the standard library only.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

PROTOCOL = "ocpp1.6"

# Every 1.6 action, both directions, including the Security Whitepaper ed. 2 extension: an action in here
# without a handler is answered NotSupported, any other NotImplemented (OCPP-J 1.6 §4.2.3).
STATION_TO_CSMS_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        # Security extension
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    }
)
CSMS_TO_STATION_ACTIONS = frozenset(
    {
        "CancelReservation",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
        # Security extension
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    }
)
ACTIONS = STATION_TO_CSMS_ACTIONS | CSMS_TO_STATION_ACTIONS

# A 1.6 station in Pending/Rejected should send nothing but BootNotification; some do anyway
# (EVerest/libocpp#983) and a station that booted before a hub restart never boots again. 1.6 answers
# leniently: everything is processed, messages before an accepted boot are logged.
BOOT_EXEMPT = frozenset({"BootNotification", "Heartbeat"})
REJECT_BEFORE_BOOT = False

# OCPP-J 1.6 §4.2.3 lists "FormationViolation"; the spec notes (ocpp.md §4.4) settle on "FormatViolation",
# which is what stations and the `ocpp` package understand.
FORMAT_VIOLATION_CODE = "FormatViolation"
INVALID_JSON_CODE = "FormatViolation"  # the frame is syntactically incorrect
INVALID_FRAME_CODE = "ProtocolError"  # valid JSON, but not a [type, id, ...] RPC frame

ID_TAG_MAX_LENGTH = 20  # IdToken is CiString20Type
CONFIGURATION_KEY_MAX_LENGTH = 50
CONFIGURATION_VALUE_MAX_LENGTH = 500
VENDOR_ID_MAX_LENGTH = 255
MESSAGE_ID_MAX_LENGTH = 50

# Transaction ids the hub assigns stay within int32 (stations store them so); incoming ids are parsed wider.
TRANSACTION_ID_MAX = 2**31 - 1
# Placeholders stations send for a transaction the hub never numbered (spec ocpp.md §5).
PLACEHOLDER_TRANSACTION_IDS = frozenset({-1, 0})

# SetChargingProfile from the hub: a TxProfile bound to the running transaction.
TX_PROFILE_STACK_LEVEL = 1
CHARGING_RATE_UNITS = frozenset({"W", "A"})
LIMIT_STEP = Decimal("0.1")  # 1.6 schema: limit multipleOf 0.1 — round DOWN (steve-community/steve#1177)

# MessageTrigger values of TriggerMessage (neutral names are the same words).
TRIGGER_MESSAGES = MappingProxyType(
    {
        "BootNotification": "BootNotification",
        "DiagnosticsStatusNotification": "DiagnosticsStatusNotification",
        "LogStatusNotification": "DiagnosticsStatusNotification",
        "FirmwareStatusNotification": "FirmwareStatusNotification",
        "Heartbeat": "Heartbeat",
        "MeterValues": "MeterValues",
        "StatusNotification": "StatusNotification",
    }
)

# meterStart / meterStop are integer Wh: 0 … 10^12 Wh (1 TWh).
METER_WH_MAX = Decimal("1000000000000")
