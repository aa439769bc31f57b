"""Roaming agreements (`[[agreements]]`): which two parties may exchange which modules. With none configured
every party may roam with every other (CONTRACT.md); with any configured, only the listed pairs may, and only
for their modules. One rule for every protocol: OCPI relays, broadcasts, GET All and pushes ask it.

Imports the standard library and the core models only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from hub.core.models import PartyRef


class AgreementEntry(Protocol):
    """A configured agreement: two parties (`CC*PID`) and the modules they exchange."""

    @property
    def parties(self) -> Any: ...  # two "CC*PID" strings

    @property
    def modules(self) -> Any: ...  # module names ("locations", "sessions", …)


@dataclass(frozen=True)
class Agreements:
    """The configured agreements, indexed by the unordered pair of party keys."""

    pairs: dict[frozenset[str], frozenset[str]]

    @classmethod
    def of(cls, entries: Iterable[AgreementEntry] | None) -> Agreements:
        pairs: dict[frozenset[str], frozenset[str]] = {}
        for entry in entries or ():
            pair = frozenset(PartyRef.parse(str(p)).key() for p in entry.parties)
            modules = frozenset(str(m).lower() for m in entry.modules)
            pairs[pair] = pairs.get(pair, frozenset()) | modules
        return cls(pairs)

    @property
    def configured(self) -> bool:
        return bool(self.pairs)

    def allows(self, one: PartyRef, other: PartyRef, module: str) -> bool:
        """Whether `one` and `other` may exchange `module` (in either direction). A party always may talk to
        itself."""
        if not self.pairs or one.key() == other.key():
            return True
        modules = self.pairs.get(frozenset((one.key(), other.key())))
        return modules is not None and module.lower() in modules

    def partners_of(self, party: PartyRef) -> frozenset[str]:
        """Keys of every party `party` has an agreement with (any module)."""
        key = party.key()
        return frozenset(k for pair in self.pairs for k in pair if key in pair and k != key)

    def named(self) -> frozenset[str]:
        """Keys of every party named in an agreement."""
        return frozenset(k for pair in self.pairs for k in pair)
