"""Shared pieces of our CPO's interfaces: caller check, envelope and page replies, body reader, caller's data.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from hub.core.errors import InvalidRequestError
from hub.core.models import Role, Session
from hub.core.services import Core
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.headers import party_headers
from ocpi_modules.common.pagination import PageRequest, page_headers
from ocpi_modules.common.runtime import runtime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_2_1.api.versions import BASE_PATH, VERSION
from ocpi_modules.v2_2_1.security import Functional, functional_caller

PREFIX = f"{BASE_PATH}/{VERSION}/cpo"


async def caller(request: web.Request, module: str) -> Functional:
    return await functional_caller(request, module=module, hosted_role=Role.CPO)


def reply(
    request: web.Request,
    fn: Functional,
    data: Any = None,
    *,
    http_status: int = 200,
    status_code: int = StatusCode.SUCCESS,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An envelope from our CPO to the calling party (response FROM/TO, design "Which hosted party")."""
    all_headers = party_headers(from_party=fn.hosted.ref, to_party=fn.party)
    all_headers.update(headers or {})
    return ocpi_response(
        request, data, status_code=status_code, message=message, http_status=http_status, headers=all_headers
    )


def page_reply(
    request: web.Request,
    fn: Functional,
    page: PageRequest,
    visible: Sequence[Any],
    render: Callable[[Any], Any],
) -> web.Response:
    """One page of `visible` (all the caller may see, in order) with X-Total-Count, X-Limit and Link."""
    rt = runtime(request)
    chosen = visible[page.offset : page.offset + page.limit]
    headers = page_headers(
        request,
        public_url=rt.config.public_url,
        total=len(visible),
        offset=page.offset,
        limit=page.limit,
        cap=rt.config.page_limit,
        returned=len(chosen),
    )
    return reply(request, fn, [render(item) for item in chosen], headers=headers)


async def json_body(request: web.Request) -> dict[str, Any]:
    data = ocpi_json.loads(await request.read())
    if not isinstance(data, dict):
        raise InvalidParametersError("expected a JSON object", http_status=200)
    return data


def invalid(exc: InvalidRequestError) -> InvalidParametersError:
    """Valid JSON to an existing resource from an authenticated caller: 2001 with HTTP 200 (RF-05)."""
    return InvalidParametersError(str(exc), http_status=200)


def caller_parties(fn: Functional) -> set[str]:
    """Keys of every party the calling platform carries: it sees the sessions and CDRs of their tokens."""
    return {role.party.key() for role in fn.platform.roles} | {fn.party.key()}


def session_of_caller(fn: Functional, session: Session | None) -> bool:
    return (
        session is not None
        and session.party.key() == fn.hosted.ref.key()
        and session.token_party is not None
        and session.token_party.key() in caller_parties(fn)
    )


def command_timeout(core: Core) -> int:
    return math.ceil(core.options.command_timeout_s)
