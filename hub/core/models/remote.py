"""Starts and stops the hub asks of a CPO on another platform (an OCPI partner CPO, through our eMSP's
Commands) on behalf of a party that is no driver's eMSP there (a 互联互通 EMSP), and what the CPO answered.
See `hub.core.remote` for the port that sends them.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel, PartyRef
from hub.core.models.commands import CommandResultType, CommandType


class RemoteStart(CoreModel):
    """A start at another platform's CPO. The driver belongs to a party the CPO does not know, so a token of
    our eMSP stands for it: `token_uid`, `contract_id` and `issuer` describe that token (the implementation
    stores it under our eMSP and sends it whole); `authorization_reference` comes back in the CPO's Session
    and CDR."""

    cpo: PartyRef
    location_id: str
    evse_uid: str
    connector_id: str | None = None
    token_uid: str
    contract_id: str
    issuer: str
    authorization_reference: str | None = None


class RemoteCommand(CoreModel):
    """One START_SESSION / STOP_SESSION sent to a CPO on another platform.

    `response` is the CPO's synchronous answer (None when it did not answer with one we understand: a
    refusal of the request itself reads as REJECTED), `result` its later asynchronous result (None until
    it arrives)."""

    id: str
    type: CommandType
    cpo: PartyRef
    token_uid: str | None = None  # START_SESSION
    session_id: str | None = None  # STOP_SESSION
    location_id: str | None = None
    evse_uid: str | None = None
    response: CommandResultType | None = None
    result: CommandResultType | None = None
    message: str | None = None
    requested: AwareDatetime
    answered: AwareDatetime | None = None  # when `result` arrived
