"""List GET pagination (checklist §6): reading `date_from`/`date_to`/`offset`/`limit` and writing
`X-Total-Count`, `X-Limit` and the absolute `Link: <…>; rel="next"`.

Imports aiohttp and the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from aiohttp import web

from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.headers import LINK, X_LIMIT, X_TOTAL_COUNT

_UNSIGNED = re.compile(r"\d{1,18}", re.ASCII)


@dataclass(frozen=True)
class PageRequest:
    """A list query: `date_from` inclusive and `date_to` exclusive on `last_updated` (PG-01); `limit` is
    already capped (PG-05)."""

    date_from: datetime | None
    date_to: datetime | None
    offset: int
    limit: int


def _integer(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text is None or text.strip() == "":
        return None
    if not _UNSIGNED.fullmatch(text.strip()):
        raise InvalidParametersError(f"{name} must be a non-negative integer, got {text!r}")
    return int(text)


def _datetime(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if text is None or text.strip() == "":
        return None
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise InvalidParametersError(f"{name} is not a DateTime: {text!r}") from exc


def parse_page(request: web.Request, *, cap: int, require_date_from: bool = False) -> PageRequest:
    """The request's page; offset defaults to 0, limit to `cap`, a limit above `cap` is capped (PG-05).

    Raises InvalidParametersError (2001, HTTP 400) for negative or non-integer offset/limit, unparseable
    dates, and a missing `date_from` when required (Sessions, PG-08). `limit=0` is honoured (an empty page
    that still reports X-Total-Count).
    """
    offset = _integer(request, "offset") or 0
    limit = _integer(request, "limit")
    date_from = _datetime(request, "date_from")
    date_to = _datetime(request, "date_to")
    if require_date_from and date_from is None:
        raise InvalidParametersError("date_from is required")
    return PageRequest(
        date_from=date_from,
        date_to=date_to,
        offset=offset,
        limit=cap if limit is None else min(limit, cap),
    )


def page_headers(
    request: web.Request,
    *,
    public_url: str,
    total: int,
    offset: int,
    limit: int,
    cap: int,
    returned: int,
) -> dict[str, str]:
    """`X-Total-Count` and `X-Limit` (= the server cap, PG-02) always; `Link` only when the page was not
    empty and `offset + returned < total` (PG-03: the last page has no Link).

    The next URL is `public_url` (scheme, host and any path prefix) + the request's raw path, with every
    query parameter of the request kept, `offset` advanced by `returned` and `limit` set, percent-encoded
    (PG-04); never the inbound Host.
    """
    headers = {X_TOTAL_COUNT: str(total), X_LIMIT: str(cap)}
    if returned > 0 and offset + returned < total:
        url = next_page_url(request, public_url=public_url, offset=offset + returned, limit=limit)
        headers[LINK] = f'<{url}>; rel="next"'
    return headers


def next_page_url(request: web.Request, *, public_url: str, offset: int, limit: int) -> str:
    """The absolute URL of the page at `offset`, `limit` at least 1 so a crawl always moves on."""
    key = (public_url, request.rel_url.raw_path_qs, offset, limit)
    url = _NEXT_URLS.get(key)
    if url is None:
        query = [(k, v) for k, v in request.rel_url.query.items() if k not in ("offset", "limit")]
        query += [("offset", str(offset)), ("limit", str(max(limit, 1)))]
        path = request.rel_url.raw_path
        url = f"{public_url.rstrip('/')}{path}?{urlencode(query, quote_via=quote, safe='')}"
        if len(_NEXT_URLS) >= _NEXT_URLS_MAX:
            _NEXT_URLS.clear()
        _NEXT_URLS[key] = url
    return url


# Partners crawl the same pages over and over: next-page URLs are remembered (a pure function of the key).
_NEXT_URLS: dict[tuple[str, str, int, int], str] = {}
_NEXT_URLS_MAX = 4096
