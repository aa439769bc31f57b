"""Session pushes with a per-receiver ledger: PUT first, PATCH with the newly closed charging periods, PUT
when final (SE-04, SE-05, SE-11). Imports ocpi_modules and the core only."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from hub.core.models import ChargingPeriod, PartnerRecord, PartyRef, Session, SessionStatus, Token, TokenType
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import join_url
from ocpi_modules.v2_2_1.push.base import PushBase, Receiver, _require_success
from ocpi_modules.v2_2_1.sessions import from_core_period, from_core_session, session_patch

# Where we remember, per receiver, how much of a session it already has (module of a PartnerRecord whose party
# is the receiver and whose id is the session id): PATCHes then carry only new charging periods (SE-05).
SESSION_LEDGER = "pushed.sessions"
FINAL_SESSION = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})


class SessionPushersMixin(PushBase):
    """The session pusher and its ledger of what each receiver already has."""

    async def _push_session(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        """Charging periods grow while they are the last one, so a PATCH only ever carries closed periods
        (appending is all a PATCH can do, SE-05); the final PUT carries them all."""
        session = Session.model_validate(payload)
        final = session.status in FINAL_SESSION
        closed = session.charging_periods if final else session.charging_periods[:-1]
        shown = session.model_copy(update={"charging_periods": closed})
        party = session.party
        url = join_url(self._url(receiver, "sessions"), party.country_code, party.party_id, session.id)
        ledger = await self._rt.core.records.get(SESSION_LEDGER, receiver.party, session.id)
        sent = _ledger_count(ledger, receiver, closed)
        if sent is not None and not final:
            response = await self._call(
                receiver, "PATCH", url, sender=party, body=session_patch(shown, periods_sent=sent)
            )
            if response.http_status != 404:  # 404: the receiver lost it, PUT it again (CO-07, CO-08)
                _require_success(response, "PATCH", url)
                await self._remember_session(receiver, session, closed)
                return
        token = await self._token(session.token_uid, session.token_party, session.token_type)
        await self._send(receiver, "PUT", url, sender=party, body=from_core_session(shown, token=token))
        if final:
            await self._rt.core.records.delete(SESSION_LEDGER, receiver.party, session.id)
        else:
            await self._remember_session(receiver, session, closed)

    async def _remember_session(
        self, receiver: Receiver, session: Session, closed: Sequence[ChargingPeriod]
    ) -> None:
        await self._rt.core.records.put(
            PartnerRecord(
                module=SESSION_LEDGER,
                party=receiver.party,
                id=session.id,
                data={
                    "platform": receiver.platform.id,
                    "periods": len(closed),
                    "digest": _digest(closed),
                    "status": session.status.value,
                },
                last_updated=session.last_updated,
            )
        )

    async def _token(self, uid: str, party: PartyRef | None, kind: TokenType) -> Token | None:
        if party is None:
            return None
        return await self._rt.core.tokens.get(uid, party, kind)


def _digest(periods: Sequence[ChargingPeriod]) -> str:
    wire = [from_core_period(p) for p in periods]
    return hashlib.sha256(ocpi_json.dumps(wire)).hexdigest()[:32]


def _ledger_count(
    ledger: PartnerRecord | None, receiver: Receiver, closed: Sequence[ChargingPeriod]
) -> int | None:
    """How many of `closed` the receiver already has, or None when it must get a PUT (never pushed, pushed
    through another platform, or the periods it has are no longer a prefix of ours)."""
    if ledger is None or ledger.data.get("platform") != receiver.platform.id:
        return None
    count = ledger.data.get("periods")
    if not isinstance(count, int) or count > len(closed):
        return None
    if ledger.data.get("digest") != _digest(closed[:count]):
        return None
    return count
