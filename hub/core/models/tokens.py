"""Tokens, whitelist types and authorization decisions.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel, PartyRef


class TokenType(StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class Token(CoreModel):
    uid: str
    party: PartyRef  # the eMSP that issued it
    type: TokenType = TokenType.RFID
    contract_id: str
    visual_number: str | None = None
    issuer: str = ""
    group_id: str | None = None
    valid: bool = True
    whitelist: WhitelistType = WhitelistType.ALLOWED
    language: str | None = None
    own: bool = False  # issued by one of the parties run on this hub
    last_updated: AwareDatetime


class AuthorizationStatus(StrEnum):
    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"
    UNKNOWN = "UNKNOWN"  # the hub does not know the token at all


class AuthorizationDecision(CoreModel):
    status: AuthorizationStatus
    token: Token | None = None
    authorization_reference: str | None = None
    expires_at: AwareDatetime | None = None
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status is AuthorizationStatus.ALLOWED
