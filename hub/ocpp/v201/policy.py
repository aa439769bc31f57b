"""OCPP 2.0.1 version data: the actions the version defines, which may precede an accepted boot, error-code
spellings and limits. Pure data; imports the standard library only.
"""

from __future__ import annotations

from types import MappingProxyType

PROTOCOL = "ocpp2.0.1"

# Every action OCPP 2.0.1 defines (both directions): an unhandled one is answered NotImplemented, anything
# else NotSupported (OCPP-J 2.0.1 Part 4 §4.3).
STATION_TO_CSMS_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)
CSMS_TO_STATION_ACTIONS = frozenset(
    {
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ClearCache",
        "ClearChargingProfile",
        "ClearDisplayMessage",
        "ClearVariableMonitoring",
        "CostUpdated",
        "CustomerInformation",
        "DataTransfer",
        "DeleteCertificate",
        "GetBaseReport",
        "GetChargingProfiles",
        "GetCompositeSchedule",
        "GetDisplayMessages",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "GetMonitoringReport",
        "GetReport",
        "GetTransactionStatus",
        "GetVariables",
        "InstallCertificate",
        "PublishFirmware",
        "RequestStartTransaction",
        "RequestStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "SetDisplayMessage",
        "SetMonitoringBase",
        "SetMonitoringLevel",
        "SetNetworkProfile",
        "SetVariableMonitoring",
        "SetVariables",
        "TriggerMessage",
        "UnlockConnector",
        "UnpublishFirmware",
        "UpdateFirmware",
    }
)
ACTIONS = STATION_TO_CSMS_ACTIONS | CSMS_TO_STATION_ACTIONS

# Before its BootNotification was Accepted a station may send only BootNotification (2.0.1 Part 2 B02/B03);
# the CSMS answers anything else with CALLERROR SecurityError. Exempt besides Boot: Heartbeat (harmless clock
# sync) and the transaction messages, because a station that booted before a hub restart or lost its boot
# answer still carries queued charging data: refusing it would lose sessions and CDRs (spec notes §2, §5).
BOOT_EXEMPT = frozenset({"BootNotification", "Heartbeat", "TransactionEvent", "MeterValues"})

# OCPP-J 2.0.1 spells it FormatViolation (1.6's "FormationViolation" is not used here).
FORMAT_VIOLATION_CODE = "FormatViolation"

ID_TOKEN_MAX_LENGTH = 36
TRANSACTION_ID_MAX_LENGTH = 36

# Charging profiles the hub sets on behalf of an OCPI SCSP/eMSP (TxProfile bound to the transaction, or
# TxDefaultProfile on the EVSE when no transaction id is known).
CHARGING_PROFILE_STACK_LEVEL = 0
CHARGING_RATE_UNITS = frozenset({"W", "A"})

# Neutral TriggerMessage names (hub.core.ports.StationGateway.trigger_message) -> MessageTriggerEnumType.
TRIGGER_MESSAGES = MappingProxyType(
    {
        "BootNotification": "BootNotification",
        "Heartbeat": "Heartbeat",
        "StatusNotification": "StatusNotification",
        "MeterValues": "MeterValues",
        "TransactionEvent": "TransactionEvent",
        "StartTransaction": "TransactionEvent",
        "FirmwareStatusNotification": "FirmwareStatusNotification",
        "DiagnosticsStatusNotification": "LogStatusNotification",
        "LogStatusNotification": "LogStatusNotification",
        "SignChargingStationCertificate": "SignChargingStationCertificate",
        "SignV2GCertificate": "SignV2GCertificate",
        "SignCombinedCertificate": "SignCombinedCertificate",
        "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
    }
)

# GetBaseReport type used when `get_configuration` is asked for every key (answers arrive as NotifyReport).
FULL_CONFIGURATION_REPORT = "ConfigurationInventory"

POLICY = MappingProxyType(
    {
        "id_token_max_length": ID_TOKEN_MAX_LENGTH,
        "transaction_id_max_length": TRANSACTION_ID_MAX_LENGTH,
        "pre_boot_error": "SecurityError",
        "charging_profile_stack_level": CHARGING_PROFILE_STACK_LEVEL,
    }
)
