"""Base model and parties: `CoreModel` (frozen, strict), roles, `PartyRef`, `Party`.

Imports the standard library and pydantic only.
"""

from __future__ import annotations

from collections.abc import KeysView
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CoreModel(BaseModel):
    """Frozen, strict-by-default base: change a model with `model_copy(update=...)`."""

    # Every datetime field is annotated `AwareDatetime`: naive values are a programming error, refused by
    # pydantic's own (compiled) check rather than by a Python validator run on every field of every model.
    model_config = ConfigDict(frozen=True, extra="forbid")


_M = TypeVar("_M", bound=BaseModel)


_FIELDS: dict[type[BaseModel], KeysView[str]] = {}


def trusted(cls: type[_M], values: dict[str, Any]) -> _M:
    """Build a model from values the caller guarantees valid, with every field given, skipping validation:
    for hot paths only (the tariff engine builds thousands per second). `model_construct` is slower
    than validating; this is a third of it. Missing or unknown fields are a programming error."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = cls.model_fields.keys()
    if values.keys() != fields:
        raise TypeError(f"{cls.__name__}: fields {sorted(values.keys() ^ fields)}")
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NSP = "NSP"
    NAP = "NAP"
    SCSP = "SCSP"
    OTHER = "OTHER"


class PartyProtocol(StrEnum):
    LOCAL = "local"  # run on this hub (our CPO for OCPP stations, our eMSP)
    OCPI = "ocpi"
    INTERCONNECT = "interconnect"


class PartyRef(CoreModel):
    """A party's identity across protocols: ISO country code plus party id (`NL*CPO`)."""

    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)

    @classmethod
    def parse(cls, text: str) -> PartyRef:
        """Parse `CC*PID` (also `CC-PID`), keeping the original case."""
        for sep in ("*", "-"):
            if sep in text:
                cc, pid = text.split(sep, 1)
                return cls(country_code=cc, party_id=pid)
        raise ValueError(f"party {text!r} is not of the form CC*PID")

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"

    def key(self) -> str:
        """Case-insensitive lookup key."""
        return f"{self.country_code}*{self.party_id}".upper()


class Party(CoreModel):
    ref: PartyRef
    role: Role
    name: str
    protocol: PartyProtocol = PartyProtocol.LOCAL
    last_updated: AwareDatetime
